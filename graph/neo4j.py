"""The Neo4j store (Neo4j 5 Community, Enterprise clusters, Aura) through the official driver.

The driver is created by `open_store` and injected; the store never creates it.
"""

from __future__ import annotations

import re
import threading
import time

import neo4j
from neo4j.exceptions import ClientError, Neo4jError
from neo4j.graph import Node, Relationship

from graph import cypher
from graph.keys import GraphKeys
from graph.shapes import shape_path, sort_paths
from graph.store import GraphStore, jsonable
from ontology.exc import QueryRefused, QueryTimeout


def _timed_out(error: Neo4jError) -> bool:
    """Neo.ClientError.Transaction.TransactionTimedOut and its relatives."""
    return "Timeout" in (error.code or "") or "TimedOut" in (error.code or "")


_SCHEMA = re.compile(r"\s*CREATE\s+(CONSTRAINT|INDEX|FULLTEXT\s+INDEX|RANGE\s+INDEX)\b", re.I)


_PLAIN = frozenset({str, int, float, bool})
_MAX_KNOWN_QUERIES = 2048  # the store's query texts number a few hundred; a bound all the same


class _NotCollected(Exception):
    """The collected form of a query failed where the query itself may not: run it streamed."""

    def __init__(self, error: Neo4jError):
        super().__init__(str(error))
        self.error = error


class Neo4jStore(GraphStore):
    name = "neo4j"
    dialect = cypher.NEO4J

    def __init__(self, driver: neo4j.Driver, database: str = "neo4j"):
        self.driver = driver
        self.database = database
        self._writer = threading.RLock()
        self._columns: dict[str, list[str]] = {}  # query text -> its columns, once it has run
        self._streamed: set[str] = set()  # queries whose collected form failed (see _read)
        self._scoped_call: bool | None = None  # whether the server takes `CALL () {` (5.23+)
        self.keys = GraphKeys(self._read)

    def close(self) -> None:
        self.driver.close()

    def _schema_statements(self) -> list[str]:
        return cypher.neo4j_schema()

    def _execute_write(self, statements: list[tuple[str, dict]]) -> None:
        def work(tx):
            for query, params in statements:
                if params.get("rows") == []:
                    continue
                tx.run(query, params).consume()

        # Schema statements cannot share a transaction with data: run them in auto-commit.
        if len(statements) == 1 and _SCHEMA.match(statements[0][0]):
            with self.driver.session(database=self.database) as session:
                session.run(statements[0][0]).consume()
            return
        with self.driver.session(database=self.database) as session:
            session.execute_write(work)

    def _read(self, query: str, params: dict | None = None, timeout_ms: int | None = None) -> list[dict]:
        """The rows of one of the store's own read queries (cypher.py), as dicts.

        Each record costs the driver about 28 µs however small it is (850 rows of four strings: 28 ms
        in the client, 7 in the server), so once a query has run and its columns are known, its rows
        come back as one record: `CALL () { query } RETURN collect([columns])`, 5 ms for the same 850.
        Queries that read whole case records (cypher.STREAMED) stream as before. If the collected
        form fails where the query itself would not (a column Neo4j will not take from a subquery,
        an answer past the per-transaction memory cap as one value), the query is run streamed, and
        stays streamed (unless the server's shared memory pool was full: only that once).
        """
        timeout_ms = timeout_ms or self.timeout_ms
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None

        def work_for(stream: bool):
            left = max(deadline - time.monotonic(), 0.001) if deadline else None

            @neo4j.unit_of_work(timeout=left)
            def work(tx):
                columns = None if stream or query in cypher.STREAMED or query in self._streamed else self._columns.get(query)
                if columns is not None:
                    try:
                        rows = tx.run(self._collected(query, columns), params or {}).single(strict=True)[0]
                    except Neo4jError as e:
                        if (e.code or "").startswith("Neo.ClientError.Statement.") or "MemoryPoolOutOfMemory" in (e.code or ""):
                            raise _NotCollected(e) from None  # out of the driver's retries: streamed at once
                        raise
                    value = self._value
                    return [dict(zip(columns, map(value, row))) for row in rows]
                result = tx.run(query, params or {})
                out = [{k: self._value(v) for k, v in record.items()} for record in result]
                if len(self._columns) < _MAX_KNOWN_QUERIES:
                    self._columns[query] = list(result.keys())
                return out

            return work

        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                try:
                    return session.execute_read(work_for(stream=False))
                except _NotCollected as e:
                    if "MemoryPoolOutOfMemory" not in (e.error.code or "") or "db.memory.transaction.max" in (e.error.message or ""):
                        self._streamed.add(query)  # this query's own doing, not a busy server's
                    return session.execute_read(work_for(stream=True))
        except ClientError as e:
            if _timed_out(e):
                raise QueryTimeout.after(timeout_ms) from None
            raise

    def _collected(self, query: str, columns: list[str]) -> str:
        """`query` run as a subquery, its rows (in their order) returned as one list of lists. Neo4j
        5.23+ wants the subquery's scope said (`CALL () {`); older 5.x know only `CALL {`."""
        if self._scoped_call is None:
            try:
                version = re.search(r"/(\d+)\.(\d+)", self.driver.get_server_info().agent or "")
                self._scoped_call = bool(version) and (int(version[1]), int(version[2])) >= (5, 23)
            except Exception:  # noqa: BLE001 - the unscoped form works on every 5.x, with a deprecation notice
                self._scoped_call = False
        listed = ", ".join("`" + c.replace("`", "``") + "`" for c in columns)
        return f"CALL {'() ' if self._scoped_call else ''}{{\n{query}\n}}\nRETURN collect([{listed}]) AS rows"

    def _value(self, v):
        if v is None or type(v) in _PLAIN:  # most values: 4,945 overdue rows spent 70 ms in the checks below
            return v
        if isinstance(v, Node):
            return self._node_dict(v)
        if isinstance(v, Relationship):
            return {"type": v.type, **{k: jsonable(x) for k, x in dict(v).items()}}
        if isinstance(v, list):
            return [self._value(x) for x in v]
        if hasattr(v, "iso_format"):
            return v.iso_format()
        return jsonable(v)

    @staticmethod
    def _node_dict(n: Node) -> dict:
        kind = next(iter(n.labels))
        return {"label": kind, **{k: jsonable(x) for k, x in dict(n).items() if x is not None and k not in cypher.STORE_ONLY}}

    def paths(self, a, b, max_length: int = 8, limit: int = 10) -> list[dict]:
        self.get_node(*a)
        self.get_node(*b)
        query = self.dialect.path(a[0], b[0], max_length)

        def work(tx):
            out = []
            for record in tx.run(query, {"a": a[1], "b": b[1], "limit": limit}):
                by_element = {n.element_id: self._node_dict(n) for n in record["nodes"]}
                edges = [(by_element[r.start_node.element_id], by_element[r.end_node.element_id], r.type) for r in record["rels"]]
                out.append(shape_path([self._node_dict(n) for n in record["nodes"]], edges))
            return out

        with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
            return sort_paths(session.execute_read(work))

    def clear(self) -> None:
        # In bounded transactions of their own: one DETACH DELETE of a 10k-case graph (or CALL … IN
        # TRANSACTIONS, whose outer transaction holds every row) runs past a server's transaction memory cap.
        with self.driver.session(database=self.database) as session:
            # Relationships first: a force or programme node carries thousands, and detaching them all
            # at once is what overflows the cap.
            for statement in ("MATCH ()-[r]->() WITH r LIMIT 5000 DELETE r RETURN count(*) AS n",
                              "MATCH (n) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS n"):
                while session.run(statement).single()["n"]:
                    pass

    def _read_only(self, query: str, params: dict, max_rows: int, timeout_ms: int) -> list[dict]:
        @neo4j.unit_of_work(timeout=timeout_ms / 1000)
        def work(tx):
            rows = []
            for record in tx.run(query, params):
                rows.append({k: self._value(v) for k, v in record.items()})
                if len(rows) >= max_rows:
                    break
            return rows

        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        except (ClientError, Neo4jError) as e:
            if _timed_out(e):
                raise QueryTimeout.after(timeout_ms) from None
            raise QueryRefused(f"query failed: {e.message or e}", errors={"query": e.code or str(e)}) from None
