"""The process that runs untrusted queries (`python -m graph.sandbox.jail ROLE`), started and killed by
`pool.py`: it loads what it needs, locks itself in (Landlock, rlimits, niceness; where Landlock is
missing its hello line says so), then answers one JSON request a line with one JSON reply a line:
`{"ok": true, ...}` or `{"ok": false, "code", "message", "errors"}`.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import struct
import sys
import sysconfig
import time
from pathlib import Path
from urllib.parse import urlsplit

from graph.sandbox.plan import classify_cypher, parse_sparql
from graph.sandbox.pool import MAX_ANSWER_BYTES
from ontology.exc import IopcKgError, QueryRefused, QueryTimeout, StoreUnavailable

# -- Landlock, through the raw system calls (numbers are the same on x86_64 and arm64) -------------

_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446
_PATH_BENEATH, _NET_PORT = 1, 2
_FS_EXECUTE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 2, 1 << 3
_FS_BITS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND, _NET_CONNECT = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1


def landlock(read_paths: list[Path], connect_ports: list[int]) -> str:
    """Restrict this process (and the threads it starts) for good; returns what holds, for the hello line."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return "landlock unavailable (files and network rest on the other lines)"
    net = _NET_BIND | _NET_CONNECT if abi >= 4 else 0
    attr = struct.pack("=QQQ", _FS_BITS_BY_ABI[max(k for k in _FS_BITS_BY_ABI if k <= abi)], net,
                       _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL if abi >= 6 else 0)[:24 if abi >= 6 else 16]
    ruleset = libc.syscall(_CREATE, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"landlock refused the ruleset (errno {ctypes.get_errno()})"
    try:
        for path in (p for p in read_paths if p.exists()):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:  # struct landlock_path_beneath_attr is packed: u64 rights, s32 fd
                rule = struct.pack("=Qi", _FS_READ_FILE | (_FS_READ_DIR | _FS_EXECUTE if path.is_dir() else 0), fd)
                libc.syscall(_ADD_RULE, ruleset, _PATH_BENEATH, rule, ctypes.c_uint32(0))
            finally:
                os.close(fd)
        for port in connect_ports if net else []:
            libc.syscall(_ADD_RULE, ruleset, _NET_PORT, struct.pack("=QQ", _NET_CONNECT, port), ctypes.c_uint32(0))
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS, which restrict_self requires
        if libc.syscall(_RESTRICT, ruleset, ctypes.c_uint32(0)) != 0:
            return f"landlock restrict_self failed (errno {ctypes.get_errno()})"
    finally:
        os.close(ruleset)
    return f"landlock ABI {abi}: read-only {', '.join(str(p) for p in read_paths)}; " + (
        f"TCP only to ports {connect_ports}" if net and connect_ports else "no TCP" if net else "network not restricted (ABI < 4)")


def cap_memory(memory_mb: int | None) -> None:
    """Let the address space grow by `memory_mb` from here (re-based after a reopen); None lifts the cap."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    if memory_mb is not None:
        with open("/proc/self/statm") as f:
            limit = int(f.read().split()[0]) * resource.getpagesize() + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


class StaleWorker(IopcKgError):  # a graph file the Landlock rules do not cover (a WAL made after the lock): replaced
    code = "worker_stale"


class Worker:
    def __init__(self, config: dict):
        self.config, self.sparql_role = config, config.get("role") == "sparql"
        self.version = self.store = self.sparql = self.readable = None  # sparql: (version, view); readable: see lock

    def open(self, version) -> None:
        """The graph, opened read-only (again if the store's version moved on)."""
        from ontology.settings import Settings
        from graph.open import open_store

        if self.store is not None and self.version == version:
            return
        settings = dict(self.config["settings"])
        graph = Path(settings.pop("graph_path"))
        if self.readable is not None and _graph_files(graph) - self.readable:  # None: not locked, or not embedded
            raise StaleWorker("the graph has files this worker may not read")
        cap_memory(None)
        self.close()
        try:
            self.store = open_store(Settings(**settings, _env_file=None), read_only=True)
        except Exception as e:  # a graph file made after the lock, between the check above and the open
            if self.readable is not None and "permission denied" in str(e).lower():
                raise StaleWorker("the graph has files this worker may not read") from None
            raise
        self.store.memoise, self.version = False, version
        cap_memory(self.config["memory_mb"])

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store = None

    def start(self) -> str:
        """Load everything, lock the process in, and open the graph again (Landlock binds the threads started after it)."""
        if not self.sparql_role:
            self.open(None)
        self.warm()
        self.close()
        jail = self.lock()
        self.open(None) if not self.sparql_role else cap_memory(self.config["memory_mb"])
        return jail

    def view(self, version, path: str):
        """The SPARQL view named (graph/view.py), opened read-only unless it is open already."""
        import pyoxigraph as ox

        if self.sparql is None or self.sparql[0] != version:
            cap_memory(None)
            try:
                self.sparql = None
                self.sparql = (version, ox.Store.read_only(path))
            except OSError as e:  # the detail names the server's files: for its log only
                print(f"opening the SPARQL view {path} failed: {e}", file=sys.stderr, flush=True)
                raise StoreUnavailable("the SPARQL view could not be opened; try again shortly", errors={"retry": "later"}) from None
            finally:
                cap_memory(self.config["memory_mb"])
        return self.sparql[1]

    def handle(self, request: dict) -> dict:
        try:
            if request["kind"] == "sparql":
                return self.run_sparql(self.view(request["view"], request["path"]), request)
            self.open(request.get("version"))
            query, params, max_rows = request["query"], request.get("params") or {}, request["max_rows"]
            classify_cypher(self.store, query, params)
            rows = self.store._read_only(query, params, max_rows + 1, request["timeout_ms"])
            return {"ok": True, "rows": rows[:max_rows], "truncated": len(rows) > max_rows}
        except Exception as e:  # noqa: BLE001 - whatever a query raises is its answer; the worker lives on
            return failure(e, self.config["memory_mb"])

    def run_sparql(self, dataset, request: dict) -> dict:
        """Evaluate a SPARQL query in a child forked from this worker (sharing its view, dying past its memory
        cap): Oxigraph computes a COUNT, an ASK or a sort before handing back anything, so killing the child
        is how it stops at the deadline (as LadybugDB's timeout does for Cypher); the worker lives on."""
        deadline = time.monotonic() + request["timeout_ms"] / 1000
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer, write the reply, and leave without any cleanup of the parent's
            os.close(read_fd)
            try:
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(encode(self._evaluate(dataset, request)).encode("utf-8"))
            finally:
                os._exit(0)
        os.close(write_fd)
        chunks, done = [], False
        try:
            while not done and (left := deadline - time.monotonic()) > 0:
                if select.select([read_fd], [], [], left)[0]:
                    chunks.append(os.read(read_fd, 1 << 20))
                    done = not chunks[-1]
        finally:
            os.close(read_fd)
            if not done:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        if not done:
            return failure(QueryTimeout.after(request["timeout_ms"], "SPARQL query"), self.config["memory_mb"])
        if any(chunks):
            return json.loads(b"".join(chunks))
        return failure(QueryRefused(f"the query stopped before answering (past its memory limit of {self.config['memory_mb']} MiB, "
                                    "or it crashed the engine)", errors={"memory_mb": self.config["memory_mb"]}), 0)

    def _evaluate(self, dataset, request: dict) -> dict:
        from graph.rdf import Terms
        from graph.sparql import evaluate

        try:
            base = Terms(self.config["settings"]["base_iri"]).base
            graphs = request.get("default_graphs") or [], request.get("named_graphs") or []
            query = parse_sparql(request["query"], frozenset(request.get("endpoints") or ()), base, [*graphs[0], *graphs[1]])
            media, body = evaluate(dataset, request["query"], request["format"], request["max_rows"], query, *graphs, base)
            return {"ok": True, "media": media, "body": body.decode("utf-8")}
        except Exception as e:  # noqa: BLE001 - a SERVICE the jail refused (PermissionError), an engine error
            return failure(e, self.config["memory_mb"])

    def warm(self) -> None:
        """Run one of everything before the lock: modules and rdflib plugins load lazily from files."""
        if self.store is not None:
            classify_cypher(self.store, "RETURN 1 AS one", {})
            self.store._read_only("RETURN 1 AS one", {}, 1, 1000)
        if not self.sparql_role:
            return
        import pyoxigraph as ox

        from graph.sparql import GRAPH_TYPES, RESULT_TYPES, evaluate

        dataset = ox.Store()
        dataset.load(b'<urn:a> <urn:b> "ccc" .', ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:g"))
        for text, formats in (("SELECT ?o (REPLACE(?o, 'c', 'd') AS ?r) WHERE { ?s ?p ?o FILTER regex(?o, '^c+$', 'i') } ORDER BY ?o",
                               RESULT_TYPES), ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", GRAPH_TYPES),
                              ("ASK { ?s ?p ?o }", ["json"]), ("DESCRIBE <urn:a>", ["ttl"])):
            for fmt in formats:
                evaluate(dataset, text, fmt, 10, parse_sparql(text))

    def lock(self) -> str:
        """Landlock: read the Python installation, the code, and the graph's files (Cypher on the
        embedded store) or the views (SPARQL), nothing else of the data directory; write nothing."""
        settings, paths = self.config["settings"], sysconfig.get_paths()
        here = Path(__file__).resolve().parents[2]  # the project: its packages, not its data
        reads = [Path(p) for p in {sys.prefix, sys.base_prefix, paths["stdlib"], paths["purelib"], paths["platlib"]}]
        reads += [here / "graph", here / "ontology", Path("/proc/self/statm")]
        ports = []
        if self.sparql_role:
            from graph.view import DIRECTORY as VIEWS

            reads.append(Path(settings["data_dir"]).resolve() / VIEWS)
        elif settings.get("store") == "neo4j":
            ports = [urlsplit(settings.get("NEO4J_URI") or "").port or 7687]
            reads.append(Path("/etc"))  # name resolution and CA certificates for the driver's reconnects
        else:
            self.readable = _graph_files(Path(settings["graph_path"]))  # what it may read: the stale check of open()
            reads += [Path(name) for name, _ in self.readable]
        for url in map(urlsplit, self.config.get("endpoints") or []):  # SERVICE targets the operator allow-listed
            ports.append(url.port or (443 if url.scheme == "https" else 80))
        for limit in (resource.RLIMIT_FSIZE, resource.RLIMIT_CORE):  # write no file, dump no core
            resource.setrlimit(limit, (0, 0))
        return landlock(sorted(set(reads)), ports)


def _graph_files(graph: Path) -> set[tuple[str, int]]:
    """The embedded graph's files (the database and its siblings, `graph.lbug.wal` …) with their inodes:
    Landlock's rules hold a file, not a name, so a WAL deleted and made again is one this worker may not read."""
    out = set()
    for p in graph.parent.glob(graph.name + "*") if graph.parent.is_dir() else []:
        try:
            out.add((str(p), p.stat().st_ino))
        except FileNotFoundError:
            pass
    return out


def failure(e: BaseException, memory_mb: int) -> dict:
    """The one translation of what a query raised into a reply: memory errors (MemoryError, LadybugDB's
    bad_alloc and full buffer pool) as a refusal naming the limit, ours as they are, others as a refusal."""
    text = str(e)
    if isinstance(e, MemoryError) or any(w in text.lower() for w in ("bad_alloc", "buffer pool", "out of memory")):
        e = QueryRefused(f"the query needed more than its memory limit of {memory_mb} MiB (the server's query_memory_mb "
                         "and query_buffer_mb settings)", errors={"memory_mb": memory_mb})
    elif not isinstance(e, IopcKgError):
        e = QueryRefused(f"query failed: {type(e).__name__}: {text[:500]}", errors={"query": type(e).__name__})
    return {"ok": False, "code": e.code, "message": e.message,
            "errors": {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in e.errors.items()}}


def encode(reply: dict) -> str:
    """The reply as one JSON line, or a refusal if it is larger than MAX_ANSWER_BYTES: the one size check."""
    try:
        text = json.dumps(reply, ensure_ascii=False, default=str)
    except MemoryError:
        text = None
    if text is None or (len(text) > (MAX_ANSWER_BYTES - 4096) // 4 and len(text.encode("utf-8")) > MAX_ANSWER_BYTES - 4096):
        too_large = QueryRefused(f"the answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB", errors={"query": "too large"})
        text = json.dumps({**failure(too_large, 0), "view": reply.get("view")})
    return text


def main() -> None:
    out, sys.stdout = sys.stdout, sys.stderr  # nothing but replies reaches the parent's pipe
    config = json.loads(sys.stdin.readline())
    os.nice(10)  # below the server: a query burning every core must not slow /health or /search
    worker = Worker(config)
    print(json.dumps({"ok": True, "hello": worker.start()}), file=out, flush=True)
    for line in sys.stdin:
        reply = worker.handle(json.loads(line))
        if worker.sparql is not None:
            reply["view"] = worker.sparql[0]  # which view is open: the pool keeps it until the worker moves on
        print(encode(reply), file=out, flush=True)


if __name__ == "__main__":
    main()
