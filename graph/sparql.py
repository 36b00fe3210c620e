"""Read-only SPARQL over the RDF view of the graph (rdflib), run through the sandbox.

The query is parsed and checked here (Update, FROM and SERVICE are refused with a 400 that names
them), then evaluated in the sandbox's jailed worker (`graph/jail.py`), which builds the view from
its own read-only handle on the store once per store version and keeps it. There the deadline holds
twice: the view is a `TimedGraph` whose triple lookups raise once it passes, and the sandbox kills a
worker that has not answered a second later. REGEX and REPLACE run on RE2 (linear time), and the
worker's memory is capped, so neither a backtracking pattern nor a string bomb can stall or swell the
server.
"""

from __future__ import annotations

import threading
import time

from rdflib import Graph
from rdflib.plugins.sparql import prepareQuery

from graph.export import whole_graph
from graph.lexer import check_sparql, scan_sparql
from graph.rdf import Terms
from graph.store import GraphStore
from ontology.exc import QueryRefused, QueryTimeout

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "csv": "text/csv; charset=utf-8",
    "xml": "application/sparql-results+xml",
}
GRAPH_TYPES = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json"), "nt": ("nt", "application/n-triples")}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


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


def prepare(text: str, endpoints: frozenset[str] = frozenset()):
    """The parsed query, or QueryRefused naming what is wrong (Update, FROM, SERVICE, syntax)."""
    try:
        query = prepareQuery(text)
    except Exception as e:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
        word = _first_word(text)
        if word in UPDATE_WORDS:
            raise QueryRefused(f"read-only endpoint: SPARQL Update ({word}) is not allowed", errors={"query": word}) from None
        raise QueryRefused(f"the query is not SPARQL 1.1: {e}", errors={"query": str(e)[:300]}) from None
    check_sparql(query, endpoints)
    return query


def _first_word(text: str) -> str:
    import re

    # The first word after any PREFIX/BASE lines and comments: `PREFIX x: <…> INSERT DATA …` is Update too.
    bare = re.sub(r"#[^\n]*", " ", text)
    bare = re.sub(r"(?is)^\s*((PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", "", bare)
    return bare.strip().split(None, 1)[0].upper() if bare.strip() else ""


def evaluate(graph: Graph, text: str, result_format: str, max_rows: int, timeout_ms: int,
             endpoints: frozenset[str] = frozenset()) -> tuple[str, bytes]:
    """Media type and body of the answer (in the worker: parsed and checked again, then timed)."""
    _deadline.at = time.monotonic() + timeout_ms / 1000
    try:
        return _answer(graph, prepare(text, endpoints), result_format, max_rows)
    except Stopped:
        raise QueryTimeout.after(timeout_ms, "SPARQL query") from None
    finally:
        _deadline.at = None


def _answer(graph: Graph, query, result_format: str, max_rows: int) -> tuple[str, bytes]:
    result = graph.query(query)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        fmt, media = GRAPH_TYPES.get(result_format, GRAPH_TYPES["ttl"])
        return media, result.graph.serialize(format=fmt).encode()
    if result.type == "SELECT" and result.bindings is not None and len(result.bindings) > max_rows:
        result.bindings = result.bindings[:max_rows]
    fmt = result_format if result_format in RESULT_TYPES else "json"
    return RESULT_TYPES[fmt], result.serialize(format=fmt)


class Sparql:
    """The SPARQL endpoint: checks a query, then has the sandbox evaluate it."""

    def __init__(self, store: GraphStore, terms: Terms, timeout_ms: int, max_rows: int, sandbox=None,
                 endpoints: frozenset[str] = frozenset()):
        self.store = store
        self.terms = terms
        self.timeout_ms = timeout_ms
        self.max_rows = max_rows
        self.sandbox = sandbox
        self.endpoints = frozenset(endpoints)
        self._view: tuple[tuple, Graph] | None = None
        self._lock = threading.Lock()

    def graph(self) -> Graph:
        """The whole view, built here (exports and tests; queries are evaluated in the sandbox)."""
        key = (id(self.store), self.store.version)
        with self._lock:
            if self._view is None or self._view[0] != key:
                view = Graph()
                view += whole_graph(self.store, self.terms)
                self._view = (key, view)
            return self._view[1]

    def prepare(self, text: str):
        return prepare(text, self.endpoints)

    async def run(self, text: str, result_format: str = "json") -> tuple[str, bytes]:
        """Media type and body of the answer. Parsing too happens in the worker: rdflib's parser takes
        seconds over deeply nested expressions, and would hold this process's interpreter meanwhile."""
        scan_sparql(text, allow_service=bool(self.endpoints))
        return await self.sandbox.sparql_async(text, result_format, timeout_ms=self.timeout_ms, max_rows=self.max_rows,
                                               endpoints=self.endpoints)

    def close(self) -> None:
        pass
