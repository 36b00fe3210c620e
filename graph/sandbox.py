"""The one gate for untrusted queries: every Cypher and SPARQL query from a user goes through `Sandbox`.

Lines of defence, each enough on its own for what it covers:
1. The text: `graph/lexer.py` tokenizes Cypher (strings, comments, backticks) and allows only read
   clauses, one statement; SPARQL is parsed and SERVICE, FROM and Update are refused by name.
2. The engine: queries run in a worker process (`graph/jail.py`) on a handle opened read-only
   (LadybugDB `read_only=True`, which refuses every write whatever the text says; on Neo4j the
   worker reads in READ access mode with a transaction timeout, see `graph/neo4j.py`, and the
   server's own memory settings apply: SECURITY.md).
3. The process: the worker cannot read outside the data directory and Python, write any file or
   open a TCP connection (Landlock), and its address space may grow by `query_memory_mb` at most.
4. The clock: the client has its 504 at the deadline; the worker stops the query then itself, and
   the sandbox kills a worker that has not answered 0.6 s later and starts another (on Neo4j, whose
   transaction timeout is checked lazily, the dropped connection ends the transaction); waiting for a
   worker counts against the same deadline. Server threads never run a query: they wait on a pipe, so a query cannot hold
   the interpreter that answers /health and /search.

Every refusal is `QueryRefused` (400) and every deadline `QueryTimeout` (504), on both stores, so the
HTTP routes and the CLI report them in one shape. LadybugDB allows a read-only open while this
process holds the database read-write (measured with 0.22: a worker opened at store version N sees
every write committed before it opened); a worker reopens the database when the store's version
changes, so it answers from the graph as this process last wrote it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from graph.jail import MAX_ANSWER_BYTES
from graph.lexer import check_cypher, normalise_sparql, scan_sparql, sparql_tokens
from graph.store import GraphStore
from graph.view import DIRECTORY as VIEWS, Views
from ontology.exc import IopcKgError, QueryRefused, QueryTimeout, StoreUnavailable

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
GRACE = 0.6  # seconds past a deadline before a silent worker is killed
START_TIMEOUT = 120  # seconds a new worker may take to import, open the store and lock itself in
ERRORS = {"query_refused": QueryRefused, "query_timeout": QueryTimeout, "store_unavailable": StoreUnavailable}


class Worker:
    """One jailed process and the pipe to it."""

    def __init__(self, config: dict):
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        # The role in the command line is for people reading `ps`; the worker reads it from the config.
        self.proc = subprocess.Popen([sys.executable, "-m", "graph.jail", config.get("role", "cypher")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=ROOT, env=env, close_fds=True)
        self._buffer = b""
        self.killed = False
        self.view_version = None  # the version of the SPARQL view (graph/view.py) the worker has open
        self.proc.stdin.write((json.dumps(config) + "\n").encode())
        self.proc.stdin.flush()
        hello = self.read(time.monotonic() + START_TIMEOUT)
        if hello is None:
            self.kill()
            raise StoreUnavailable("the query worker did not start in time")
        self.jail = hello.get("hello")
        log.info("query worker %s: %s", self.proc.pid, self.jail)

    @property
    def alive(self) -> bool:
        return not self.killed and self.proc.poll() is None

    def send(self, request: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # it died while idle (killed from outside, or the engine crashed on reopening)
            self.kill()
            raise StoreUnavailable("a query worker stopped; another is starting: try again shortly",
                                   errors={"retry": "later"}) from None

    def read(self, deadline: float) -> dict | None:
        """The next reply, or None if the deadline passed first. A dead worker raises QueryRefused."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.kill()
                raise QueryRefused("the query stopped its worker (past its memory limit, or it crashed the engine)",
                                   errors={"query": "worker stopped"})
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER_BYTES:
                self.kill()
                raise QueryRefused(f"the answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB", errors={"query": "too large"})
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        self.killed = True
        if self.proc.poll() is None:
            self.proc.kill()
        # Reaped in the background: a loaded machine can take a while to tear a big process down,
        # and the caller is answering a client whose deadline has come.
        threading.Thread(target=self.proc.wait, name="sandbox-reap", daemon=True).start()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class Pool:
    """A few workers of one kind; a query takes an idle one or waits for one until its deadline."""

    def __init__(self, config: dict, size: int, name: str, views=None):
        self.config, self.size, self.name = config, size, name
        self.views = views  # the SPARQL views on disk (graph/view.py), for a pool of SPARQL workers
        self._idle: list[Worker] = []
        self._workers: set[Worker] = set()  # every live one, idle or busy
        self._live = 0  # idle, busy and starting
        self._cond = threading.Condition()
        self._closed = False
        self._warm = False  # has a query been answered yet (see `ask`)
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        with self._cond:
            if self._closed or self._live >= self.size:
                return
            self._live += 1

        def start():
            try:
                worker = Worker(self.config)
            except Exception:  # noqa: BLE001 - logged; the next query finds no worker and waits or times out
                log.exception("starting a %s query worker failed", self.name)
                with self._cond:
                    self._live -= 1
                    self._cond.notify_all()
                return
            self.give(worker)

        threading.Thread(target=start, name=f"sandbox-{self.name}-start", daemon=True).start()

    def take(self, deadline: float, timeout_ms: int) -> Worker:
        with self._cond:
            while not self._idle:
                if self._live < self.size and not self._closed:
                    self._cond.release()
                    try:
                        self._spawn()
                    finally:
                        self._cond.acquire()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(f"the query waited its whole limit of {timeout_ms} ms for a free query worker "
                                       "(others were running)", errors={"timeout_ms": timeout_ms})
                self._cond.wait(min(remaining, 1.0))
            return self._idle.pop()

    def give(self, worker: Worker) -> None:
        with self._cond:
            if worker.alive and not self._closed:
                self._idle.append(worker)
                self._workers.add(worker)
            else:
                self._live -= 1
                self._workers.discard(worker)
                if worker.alive:
                    worker.kill()
            self._cond.notify_all()
        if not worker.alive and self.views is not None and worker.view_version is not None:
            self.views.release(worker.view_version)  # its view may go now
            worker.view_version = None
        if not worker.alive:
            self._spawn()  # a replacement, started now rather than by the next query

    def ask(self, request: dict, timeout_ms: int, version, sparql: bool = False) -> dict:
        """The worker's reply to `request`, or QueryTimeout at the end of `timeout_ms`. A worker that
        has not answered by then is given GRACE more, in the background, to stop the query itself
        (and is killed if it does not): the client's answer never waits for that.

        A SPARQL query first has its view (graph/view.py) chosen, built if need be, before it takes a
        worker: a query waiting for a build holds no worker (others have their 503 in turn, not a
        504 for want of a worker). The worker opens the view named with the query if it has not."""
        # The pool's first query waits for its start (and the SPARQL view) outside its own limit: a
        # cold start is not the query's doing. Later, a worker killed at a deadline is replaced while
        # others answer, and waiting for it (or for a view) counts against the query's limit.
        cold = not self._warm
        deadline = time.monotonic() + (START_TIMEOUT if cold else timeout_ms / 1000)
        held = self.views.acquire(version, deadline)[0] if sparql else None
        try:
            worker = self.take(deadline, timeout_ms)
            if cold:
                self._warm = True
                deadline = time.monotonic() + timeout_ms / 1000
            settling = False
            try:
                if sparql:
                    request = self._with_view(request, worker, held)
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    raise QueryTimeout.after(timeout_ms)
                worker.send({**request, "timeout_ms": left, "version": version})
                reply = worker.read(deadline)
                if reply is None:
                    settling = True
                    self._settle(worker, deadline + GRACE, timeout_ms)
                    raise QueryTimeout.after(timeout_ms)
                self._note_view(worker, reply)
                if not reply["ok"]:
                    raise ERRORS.get(reply["code"], QueryRefused)(reply["message"], errors=reply.get("errors") or {})
                return reply
            finally:
                if not settling:
                    self.give(worker)
        finally:
            if held is not None:
                self.views.release(held)

    def _with_view(self, request: dict, worker: Worker, held: int) -> dict:
        """`request` naming the view to read: the one held for it, or the worker's own if newer
        (versions only go forward)."""
        view = held if worker.view_version is None or worker.view_version < held else worker.view_version
        return {**request, "view": view, "path": str(self.views.path_of(view))}

    def _note_view(self, worker: Worker, reply: dict) -> None:
        """The worker says which view it has open (after any reply): the pool holds that one for it."""
        view = reply.get("view")
        if self.views is not None and view is not None and view != worker.view_version:
            self.views.hold(view)
            self.views.release(worker.view_version)
            worker.view_version = view

    def _settle(self, worker: Worker, until: float, timeout_ms: int) -> None:
        """In the background: the reply of a query whose client was told it timed out (the worker's own
        timeout, most often, a moment late) is read and dropped, and the worker goes back to the pool;
        a worker still silent at `until` is killed (and replaced)."""
        def run():
            try:
                reply = worker.read(until)
                if reply is None:
                    log.warning("query worker %s ran past its deadline of %d ms: killed", worker.proc.pid, timeout_ms)
                    worker.kill()
                else:
                    self._note_view(worker, reply)
            except Exception:  # noqa: BLE001 - it died meanwhile (read raised) or answered garbage: replaced
                worker.kill()
            finally:
                self.give(worker)

        try:
            threading.Thread(target=run, name=f"sandbox-{self.name}-settle", daemon=True).start()
        except RuntimeError:  # no thread to be had: the worker is not waited for
            worker.kill()
            self.give(worker)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


class Sandbox:
    """Runs users' Cypher and SPARQL under the limits of `settings` (see the module docstring)."""

    def __init__(self, store: GraphStore, settings, cypher_workers: int | None = None, sparql_workers: int = 1,
                 check_text: bool = True):
        self.store = store
        self.settings = settings
        self._config = {"settings": _worker_settings(store, settings), "memory_mb": settings.query_memory_mb,
                        "endpoints": list(settings.sparql_endpoints), "check_text": check_text}
        self.check_text = check_text  # off only in the tests that show the engine and the jail hold alone
        workers = self._cypher_workers = cypher_workers or settings.query_workers
        self._sparql_workers = sparql_workers
        self._cypher: Pool | None = None
        self._sparql: Pool | None = None
        self._lock = threading.Lock()
        self._waiters = ThreadPoolExecutor(max_workers=workers + sparql_workers + 4, thread_name_prefix="sandbox-wait")

    def cypher(self, query: str, params: dict | None = None, max_rows: int | None = None, timeout_ms: int | None = None) -> dict:
        """{rows, truncated} of a read-only Cypher query; QueryRefused or QueryTimeout otherwise."""
        max_rows = max_rows or self.settings.max_rows
        timeout_ms = timeout_ms or self.settings.query_timeout_ms
        if self.check_text:
            check_cypher(query)
        _check_params(params or {})
        reply = self._pool("cypher").ask({"kind": "cypher", "query": query, "params": params or {}, "max_rows": max_rows},
                                 timeout_ms, self.store.version)
        return {"rows": reply["rows"], "truncated": reply["truncated"]}

    def sparql(self, text: str, result_format="json", timeout_ms: int | None = None, max_rows: int | None = None,
               endpoints: frozenset[str] = frozenset(), default_graphs: list[str] | None = None,
               named_graphs: list[str] | None = None) -> tuple[str, bytes]:
        """Media type and body of a SPARQL query's answer. `result_format` is a name of
        graph/results.py, or a function from the query's kind (SELECT, ASK, CONSTRUCT, DESCRIBE) to one."""
        from graph.sparql import kind_of

        text = normalise_sparql(text)
        toks = scan_sparql(text, allow_service=bool(endpoints)) if self.check_text else sparql_tokens(text)
        if callable(result_format):
            result_format = result_format(kind_of(toks))
        reply = self._pool("sparql").ask({"kind": "sparql", "query": text, "format": result_format,
                                  "max_rows": max_rows or self.settings.max_rows, "endpoints": sorted(endpoints),
                                  "default_graphs": default_graphs or [], "named_graphs": named_graphs or []},
                                 timeout_ms or self.settings.query_timeout_ms, self.store.version, sparql=True)
        return reply["media"], reply["body"].encode("utf-8")

    def _pool(self, kind: str) -> Pool:
        with self._lock:
            if kind == "cypher" and self._cypher is None:
                self._cypher = Pool(self._config, self._cypher_workers, "cypher")
            if kind == "sparql" and self._sparql is None:
                views = Views(Path(self._config["settings"]["data_dir"]) / VIEWS, self._config["settings"])
                # The SPARQL worker reads the views only: no credentials of the store.
                bare = {k: v for k, v in self._config["settings"].items() if not k.startswith("NEO4J_")}
                self._sparql = Pool({**self._config, "settings": bare, "role": "sparql"}, self._sparql_workers, "sparql", views)
            return self._cypher if kind == "cypher" else self._sparql

    def start(self, sparql: bool = True) -> None:
        """Start the workers now (a server at start-up) rather than on the first query."""
        self._pool("cypher")
        if sparql:
            self._pool("sparql")

    async def cypher_async(self, *args, **kwargs) -> dict:
        """`cypher` on a waiting thread of the sandbox's own, not one of the server's request threads."""
        return await asyncio.get_running_loop().run_in_executor(self._waiters, functools.partial(self.cypher, *args, **kwargs))

    def sparql_ready(self) -> bool:
        """Whether a SPARQL worker has answered once (its view built): a query now does not wait for a start."""
        return self._sparql is not None and self._sparql._warm

    async def sparql_async(self, *args, **kwargs) -> tuple[str, bytes]:
        return await asyncio.get_running_loop().run_in_executor(self._waiters, functools.partial(self.sparql, *args, **kwargs))

    def close(self) -> None:
        for pool in (self._cypher, self._sparql):
            if pool is not None:
                pool.close()
                if pool.views is not None:
                    pool.views.close()
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _worker_settings(store: GraphStore, settings) -> dict:
    out = {"store": store.name, "base_iri": settings.base_iri, "graph_buffer_mb": settings.query_buffer_mb,
           "data_dir": str(Path(getattr(store, "path", settings.graph_path)).resolve().parent)}
    if store.name == "neo4j":
        out.update({"NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
                    "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(), "NEO4J_DATABASE": settings.neo4j_database})
    return out


def _check_params(params: dict) -> None:
    try:
        json.dumps(params)
    except (TypeError, ValueError, RecursionError) as e:
        raise QueryRefused(f"parameters must be JSON values: {e}", errors={"params": str(e)}) from None


def describe(error: IopcKgError) -> str:
    """One line for the CLI: the code and the message."""
    return f"{error.code}: {error.message}"
