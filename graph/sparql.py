"""Read-only SPARQL over the RDF view of the graph (rdflib), with a time limit and a row cap.

The view is built in memory from the store's records and kept until the store is written again.
rdflib has no time limit of its own: the view is a `TimedGraph` whose triple lookups raise once the
query's deadline passes, so a runaway query stops (504) and frees its worker thread. Queries run on
a few worker threads; while all are busy new queries are refused at once (503) instead of piling up. SPARQL Update is not in the query
grammar this endpoint parses, so INSERT, DELETE, LOAD or CLEAR are refused as syntax (400).
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from graph import results
from graph.export import whole_graph
from graph.rdf import Terms
from graph.store import GraphStore
from ontology.exc import QueryRefused, QueryTimeout, StoreUnavailable

RESULT_TYPES = results.RESULT_FORMATS
# FROM and FROM NAMED name graphs of this dataset; rdflib would otherwise fetch them from the web.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
_KINDS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


class Stopped(Exception):
    """Raised inside a query that ran past its deadline."""


_deadline = threading.local()


class TimedGraph(Graph):
    """A graph whose triple lookups stop the query evaluating over it once its deadline passes.

    rdflib evaluates every pattern of a query through `triples()`, so checking there (every call,
    and every 2,000 triples of a long scan) stops even a cross product of three patterns promptly."""

    def triples(self, triple):
        deadline = getattr(_deadline, "at", None)
        if deadline is not None and time.monotonic() > deadline:
            raise Stopped()
        n = 0
        for t in super().triples(triple):
            n += 1
            if deadline is not None and n % 2000 == 0 and time.monotonic() > deadline:
                raise Stopped()
            yield t


class TimedDataset(Dataset):
    """The view as an RDF dataset: the data is the named graph `{base}dataset`, and the default graph
    is the union of the named graphs (so GRAPH, FROM and FROM NAMED work), under the same deadline."""

    def triples(self, triple, context=None):
        deadline = getattr(_deadline, "at", None)
        if deadline is not None and time.monotonic() > deadline:
            raise Stopped()
        n = 0
        for t in super().triples(triple, context):
            n += 1
            if deadline is not None and n % 2000 == 0 and time.monotonic() > deadline:
                raise Stopped()
            yield t

    def get_context(self, identifier, quoted=False, base=None):
        return TimedGraph(store=self.store, identifier=identifier, namespace_manager=self.namespace_manager)


def kind_of(query) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE."""
    return _KINDS.get(query.algebra.name, "SELECT")


class Sparql:
    def __init__(self, store: GraphStore, terms: Terms, timeout_ms: int, max_rows: int, workers: int = 2):
        self.store = store
        self.terms = terms
        self.timeout_ms = timeout_ms
        self.max_rows = max_rows
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparql")
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._view: tuple[tuple, Graph] | None = None

    def graph(self) -> Graph:
        key = (id(self.store), self.store.version)
        with self._lock:
            if self._view is None or self._view[0] != key:
                view = TimedDataset(default_union=True)
                view.graph(self.terms.dataset).__iadd__(whole_graph(self.store, self.terms))
                self._view = (key, view)
            return self._view[1]

    def prepare(self, text: str):
        try:
            return prepareQuery(text)
        except Exception as e:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
            word = text.strip().split(None, 1)[0].upper() if text.strip() else ""
            if word in {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}:
                raise QueryRefused(f"read-only endpoint: SPARQL Update ({word}) is not allowed", errors={"query": word}) from None
            raise QueryRefused(f"the query is not SPARQL 1.1: {e}", errors={"query": str(e)[:300]}) from None

    async def run(self, text: str, formats: list[str] | None = None, accept: str | None = None,
                  default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> tuple[str, bytes]:
        """Media type and body of the answer, in the format named (`formats`) or accepted (`accept`).

        `default_graphs` and `named_graphs` are the protocol's default-graph-uri and named-graph-uri:
        they replace the query's own FROM and FROM NAMED (SPARQL 1.1 Protocol, 2.1.4). The data is
        the graph named by the dataset's IRI; any other graph is empty."""
        query = self.prepare(text)
        result_format = results.choose(kind_of(query), formats or [], accept)
        if default_graphs or named_graphs:
            query.algebra["datasetClause"] = (
                [CompValue("DatasetClause", default=URIRef(g)) for g in default_graphs or []]
                + [CompValue("DatasetClause", named=URIRef(g)) for g in named_graphs or []])
        if not self._slots.acquire(blocking=False):
            raise StoreUnavailable("every SPARQL worker is busy with a long query; try again shortly", errors={"retry": "later"})
        future = self._pool.submit(self._execute, query, result_format)
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise QueryTimeout.after(self.timeout_ms, "SPARQL query") from None

    def _execute(self, query, result_format: str) -> tuple[str, bytes]:
        graph = self.graph()
        _deadline.at = time.monotonic() + self.timeout_ms / 1000
        try:
            return self._answer(graph, query, result_format)
        except Stopped:
            raise QueryTimeout.after(self.timeout_ms, "SPARQL query") from None
        finally:
            _deadline.at = None

    def _answer(self, graph: Graph, query, result_format: str) -> tuple[str, bytes]:
        result = graph.query(query)
        if result.type == "SELECT" and result.bindings is not None and len(result.bindings) > self.max_rows:
            result.bindings = result.bindings[: self.max_rows]
        return results.serialise(result, result_format)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
