"""The embedded store: LadybugDB, a database file under the data directory; no server needed.

LadybugDB lets one process open a database read-write; a second writer fails with a clear message.
Connections are not shared between threads: each thread gets its own (`threading.local`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path

import ladybug

from graph import cypher
from graph.keys import FileKeys
from graph.shapes import shape_path, sort_paths
from graph.store import GraphStore, jsonable
from ontology.exc import QueryRefused, QueryTimeout, StoreUnavailable

log = logging.getLogger("iopc_kg.graph")

_INTERNAL = {"_ID", "_LABEL", "_SRC", "_DST"}


def _timed_out(error: RuntimeError) -> bool:
    """LadybugDB reports a query stopped by its timeout as an interruption."""
    text = str(error).lower()
    return "interrupt" in text or "timeout" in text


def _rollback(conn) -> None:
    """Roll back, unless LadybugDB already did (it ends the transaction of a query it interrupted, and
    a second ROLLBACK would then raise and hide the error that mattered)."""
    try:
        conn.execute("ROLLBACK")
    except RuntimeError as e:
        if "no active transaction" not in str(e).lower():
            raise


class EmbeddedStore(GraphStore):
    name = "embedded"
    dialect = cypher.LADYBUG
    merge_is_seek = False
    memoise = True  # the file lock makes this process the graph's one writer

    def __init__(self, path: Path, read_only: bool = False, buffer_pool_mb: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # LadybugDB's page cache defaults to 80% of the machine's memory and keeps what it touched:
        # a long-running server's memory would follow the graph's history, not its working set.
        self._options = {"read_only": read_only} | (
            {"buffer_pool_size": buffer_pool_mb * 1024 * 1024} if buffer_pool_mb else {})
        self._open()
        self._writer = threading.RLock()
        # Beside the graph, outside what the query worker may read (graph/sandbox: the graph's own files).
        self.keys = FileKeys(self.path.with_name(self.path.stem + "-merge-keys.sqlite"), read_only=read_only)

    def _open(self) -> None:
        try:
            self.db = ladybug.Database(str(self.path), **self._options)
        except RuntimeError as e:
            msg = str(e)
            if "lock" in msg.lower():
                msg = f"the graph at {self.path} is open in another process (only one may write it): {msg}"
            raise StoreUnavailable(msg) from None
        self._local = threading.local()
        # Every live connection (a thread's, or a read-only query's), closed before the database. Weak:
        # a connection goes with its thread (the API's worker threads come and go).
        self._conns: weakref.WeakSet[ladybug.Connection] = weakref.WeakSet()
        self._conns_lock = threading.Lock()
        self._closing = False

    @property
    def conn(self) -> ladybug.Connection:
        if self._closing:
            raise StoreUnavailable(f"the graph at {self.path} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _connect(self) -> ladybug.Connection:
        with self._conns_lock:
            if self._closing:
                raise StoreUnavailable(f"the graph at {self.path} is closed")
            conn = ladybug.Connection(self.db)
            self._conns.add(conn)
            return conn

    def close(self) -> None:
        """Close every thread's connection, then the database: LadybugDB asks that every connection
        and result be closed before its database, since the native objects of one dropped later (its
        thread ending, the garbage collector) refer to the freed database. Before, only the database
        was closed; a test run once died of a segfault at a random point, and this was the one
        native use-after-free in reach."""
        with self._conns_lock:  # no connection opens from here on
            self._closing = True
            conns = list(self._conns)
        for conn in conns:
            conn.close()  # waits for a query in flight on another thread, interrupting it
        self.db.close()
        if hasattr(self, "keys"):
            self.keys.close()

    def release_write_memory(self) -> None:
        """Close the database and open it again. What LadybugDB took for a large write (its buffer
        pool filled, and as much again of other native memory at checkpoints: 1.2 GB at 30k cases)
        stays with the process while the database is open; the command line's ingest gives it back
        before Whoosh's workers fork (docs/BENCHMARKS.md, "Ingest memory and scale")."""
        self.close()
        try:
            self._open()
        except StoreUnavailable as e:
            raise StoreUnavailable(f"{e} (it was closed for a moment to give back its write memory, and another "
                                   f"process opened it then; what was written is kept)") from None

    def __del__(self) -> None:
        # A store dropped without close() (a test, a notebook) may be collected in a cycle with its
        # connections, in any order: close them in the one safe order first.
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report to from a finaliser
            pass

    def _schema_statements(self) -> list[str]:
        return cypher.ladybug_schema()

    def _execute_write(self, statements: list[tuple[str, dict]]) -> None:
        with self._writer:
            conn = self.conn
            conn.execute("BEGIN TRANSACTION")
            try:
                for query, params in statements:
                    if params.get("rows") == []:
                        continue
                    conn.execute(query, params)
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except RuntimeError as e:
                if "committed successfully" not in str(e).lower():
                    raise
                self._checkpoint_again(e)

    def _checkpoint_again(self, error: RuntimeError) -> None:
        """LadybugDB committed a write but could not checkpoint it ("the buffer pool is full"): a 100k
        ingest met it at 75k cases with a 1 GiB pool, and retrying the batch (not knowing it was
        written) ended in a segfault. A database opened afresh replays its log and checkpoints in the
        same pool, so close and open it again (a read under way on another thread fails)."""
        log.warning("the graph at %s committed a write but could not checkpoint it (%s); opening it again to "
                    "checkpoint", self.path, str(error).split(": ", 1)[-1][:200])
        self.release_write_memory()
        try:
            self.conn.execute("CHECKPOINT")
        except RuntimeError as e:  # still durable in the write-ahead log; the next open replays it
            log.warning("the graph at %s could not checkpoint after opening again either: %s", self.path, e)

    def _rows(self, result, max_rows: int | None = None) -> list[dict]:
        try:
            cols = result.get_column_names()
            out = []
            while result.has_next() and (max_rows is None or len(out) < max_rows):
                out.append({c: self._value(v) for c, v in zip(cols, result.get_next())})
            return out
        finally:
            result.close()

    def _read(self, query: str, params: dict | None = None, timeout_ms: int | None = None) -> list[dict]:
        conn = self.conn
        timeout_ms = timeout_ms or self.timeout_ms
        if timeout_ms:
            conn.set_query_timeout(timeout_ms)
        try:
            return self._rows(conn.execute(query, params or {}))
        except RuntimeError as e:
            if _timed_out(e):
                raise QueryTimeout.after(timeout_ms) from None
            raise
        finally:
            if timeout_ms:
                conn.set_query_timeout(0)

    def _value(self, v):
        if isinstance(v, dict) and "_LABEL" in v and "_ID" in v and "_SRC" not in v:
            return self._node_dict(v)
        if isinstance(v, dict) and "_SRC" in v:
            return {"type": v["_LABEL"], **{k: jsonable(x) for k, x in v.items() if k not in _INTERNAL and x is not None}}
        if isinstance(v, list):
            return [self._value(x) for x in v]
        return jsonable(v)

    @staticmethod
    def _node_dict(v: dict) -> dict:
        # LadybugDB returns every table's columns on a node of any label; keep the set ones.
        out = {"label": v["_LABEL"]}
        out.update({k: jsonable(x) for k, x in v.items() if k not in _INTERNAL and x is not None and k not in cypher.STORE_ONLY})
        return out

    def paths(self, a, b, max_length: int = 8, limit: int = 10) -> list[dict]:
        self.get_node(*a)
        self.get_node(*b)
        result = self.conn.execute(self.dialect.path(a[0], b[0], max_length), {"a": a[1], "b": b[1], "limit": limit})
        out = []
        with result:
            while result.has_next():
                raw_nodes, raw_rels = result.get_next()
                # Relationships name their ends by internal id; map them back to our nodes.
                by_internal = {(n["_ID"]["table"], n["_ID"]["offset"]): self._node_dict(n) for n in raw_nodes}
                end = lambda ref: by_internal[(ref["table"], ref["offset"])]  # noqa: E731
                edges = [(end(r["_SRC"]), end(r["_DST"]), r["_LABEL"]) for r in raw_rels]
                out.append(shape_path([self._node_dict(n) for n in raw_nodes], edges))
        return sort_paths(out)

    def _drop_schema(self) -> None:
        for statement in cypher.ladybug_drop():
            self._execute_write([(statement, {})])

    def clear(self) -> None:
        from ontology.model import model

        for edge_type in [e.type for e in model.edges.values()]:
            self._execute_write([(f"MATCH ()-[e:{edge_type}]->() DELETE e", {})])
        self.keys.clear()
        for kind in model.schemas:
            self._execute_write([(f"MATCH (n:{cypher.label(kind)}) DELETE n", {})])

    def _read_only(self, query: str, params: dict, max_rows: int, timeout_ms: int) -> list[dict]:
        conn = self._connect()  # its own connection: a failed query cannot spoil another's
        conn.set_query_timeout(timeout_ms)
        try:
            conn.execute("BEGIN TRANSACTION READ ONLY")
            try:
                return self._rows(conn.execute(query, params), max_rows)
            finally:
                _rollback(conn)
        except RuntimeError as e:
            if _timed_out(e):
                raise QueryTimeout.after(timeout_ms) from None
            if "bad_alloc" in str(e) or "buffer pool is full" in str(e).lower():
                raise QueryRefused(f"the query needed more memory than its limit ({e})", errors={"query": "memory"}) from None
            raise QueryRefused(f"query failed: {e}", errors={"query": str(e)}) from None
        except (ValueError, TypeError) as e:  # the driver could not bind a parameter
            raise QueryRefused(f"a parameter could not be used: {e}", errors={"params": str(e)}) from None
        finally:
            conn.close()
