"""The one gate for untrusted queries: every Cypher and SPARQL query from a user (HTTP routes, and the
CLI, which calls them) goes through `Sandbox.cypher` or `Sandbox.sparql`, on both stores.

| invariant | enforced by, once |
|---|---|
| the text is one statement the engines read alike (one linear pass, off the event loop; a quick refusal) | `text.check_cypher`, `text.scan_sparql`, run by `Sandbox.precheck_cypher` / `Sandbox.precheck_sparql` |
| the engine decides what a query is: read-only plan operators, no table function or procedure but an allow-list; SPARQL parsed to algebra, no Update, SERVICE or outside graph | `plan.classify_cypher`, `plan.parse_sparql` (in the worker) |
| read-only handle (LadybugDB `read_only=True`; Neo4j READ access mode; the SPARQL view opened read-only) | `jail.Worker.open`, `jail.Worker.view` |
| OS confinement, files: read only Python, the code and the graph's or the view's files; write nothing (the engine opened again after the lock, so its threads are bound too) | `jail.Worker.lock` (Landlock, RLIMIT_FSIZE 0), `jail.Worker.start` |
| OS confinement, network: no TCP but the Neo4j port (Cypher on Neo4j) and allow-listed SERVICE ports | `jail.Worker.lock` (Landlock ABI 4+) |
| OS confinement, memory: the address space grows by `query_memory_mb` at most | `jail.cap_memory` (RLIMIT_AS) |
| OS confinement, CPU: below the server in the scheduler, and only until the deadline | `jail.main` (niceness 10) and the deadline |
| deadline, one for both languages: the client has its 504 at `query_timeout_ms`; a worker silent GRACE after it is killed (within it, the engine stops at the same deadline: LadybugDB's timeout, the SPARQL child killed); a crash is a refusal: the query that killed its worker is a 400, and its text is refused at once for QUARANTINE s | `pool.Pool.ask` |
| answer size: no reply above MAX_ANSWER_BYTES leaves a worker | `jail.encode` |
| one translation of engine errors into 400 / 504 | `jail.failure` |

Every refusal is `QueryRefused` (400) and every deadline `QueryTimeout` (504).
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graph.sandbox.pool import Pool
from graph.sandbox.text import check_cypher, normalise_sparql, refuse, scan_sparql
from graph.store import GraphStore
from graph.view import DIRECTORY as VIEWS, Views


class Sandbox:
    """Runs users' Cypher and SPARQL under the limits of `settings` (see the module docstring)."""

    def __init__(self, store: GraphStore, settings, cypher_workers: int | None = None):
        self.store, self.settings = store, settings
        self._config = {"settings": _worker_settings(store, settings), "memory_mb": settings.query_memory_mb,
                        "endpoints": list(settings.sparql_endpoints)}
        self._sizes = {"cypher": cypher_workers or settings.query_workers, "sparql": 1}
        self._pools: dict[str, Pool] = {}  # started on first use
        self._lock = threading.Lock()
        self._waiters = ThreadPoolExecutor(max_workers=sum(self._sizes.values()) + 4, thread_name_prefix="sandbox-wait")

    precheck_cypher = staticmethod(check_cypher)  # (query) -> None
    precheck_sparql = staticmethod(scan_sparql)  # (text, allow_service) -> tokens

    def cypher(self, query: str, params: dict | None = None, max_rows: int | None = None, timeout_ms: int | None = None) -> dict:
        """{rows, truncated} of a read-only Cypher query; QueryRefused or QueryTimeout otherwise."""
        self.precheck_cypher(query)
        try:
            json.dumps(params or {})
        except (TypeError, ValueError, RecursionError) as e:
            raise refuse(f"parameters must be JSON values: {e}", "params") from None
        reply = self._pool("cypher").ask({"kind": "cypher", "query": query, "params": params or {},
                                          "max_rows": max_rows or self.settings.max_rows},
                                         timeout_ms or self.settings.query_timeout_ms, self.store.version)
        return {"rows": reply["rows"], "truncated": reply["truncated"]}

    def sparql(self, text: str, result_format="json", timeout_ms: int | None = None, max_rows: int | None = None,
               endpoints: frozenset[str] = frozenset(), default_graphs: list[str] | None = None,
               named_graphs: list[str] | None = None) -> tuple[str, bytes]:
        """Media type and body of a SPARQL query's answer. `result_format` is a name of
        graph/results.py, or a function from the query's kind (SELECT, ASK, CONSTRUCT, DESCRIBE) to one."""
        from graph.sparql import kind_of

        text = normalise_sparql(text)
        toks = self.precheck_sparql(text, bool(endpoints))
        if callable(result_format):
            result_format = result_format(kind_of(toks))
        reply = self._pool("sparql").ask({"kind": "sparql", "query": text, "format": result_format,
                                          "max_rows": max_rows or self.settings.max_rows, "endpoints": sorted(endpoints),
                                          "default_graphs": default_graphs or [], "named_graphs": named_graphs or []},
                                         timeout_ms or self.settings.query_timeout_ms, self.store.version)
        return reply["media"], reply["body"].encode("utf-8")

    def _pool(self, kind: str) -> Pool:
        with self._lock:
            if kind not in self._pools:
                config, views = {**self._config, "role": kind}, None
                if kind == "sparql":  # the SPARQL worker reads the views only: no credentials of the store
                    views = Views(Path(config["settings"]["data_dir"]) / VIEWS, config["settings"])
                    config["settings"] = {k: v for k, v in config["settings"].items() if not k.startswith("NEO4J_")}
                self._pools[kind] = Pool(config, self._sizes[kind], kind, views)
            return self._pools[kind]

    def start(self, sparql: bool = True) -> None:
        """Start the workers now (a server at start-up) rather than on the first query."""
        for kind in ("cypher", "sparql") if sparql else ("cypher",):
            self._pool(kind)

    def sparql_ready(self) -> bool:
        """Whether a SPARQL worker has answered once (its view built): a query now does not wait for a start."""
        return "sparql" in self._pools and self._pools["sparql"]._warm

    async def cypher_async(self, *args, **kwargs) -> dict:
        """`cypher` on a thread of the sandbox's own, not a request thread or the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._waiters, functools.partial(self.cypher, *args, **kwargs))

    async def sparql_async(self, *args, **kwargs) -> tuple[str, bytes]:
        return await asyncio.get_running_loop().run_in_executor(self._waiters, functools.partial(self.sparql, *args, **kwargs))

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _worker_settings(store: GraphStore, settings) -> dict:
    graph = Path(getattr(store, "path", settings.graph_path)).resolve()
    out = {"store": store.name, "base_iri": settings.base_iri, "graph_buffer_mb": settings.query_buffer_mb,
           "data_dir": str(graph.parent), "graph_path": str(graph)}
    if store.name == "neo4j":
        out.update({"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
                    "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(), "NEO4J_DATABASE": settings.neo4j_database})
    return out
