"""Read-only SPARQL over the RDF view of the graph (rdflib), run through the sandbox.

The query is checked here (Update and SERVICE are refused with a 400 that names them), then parsed
and evaluated in the sandbox's jailed worker (`graph/jail.py`), which builds the view from its own
read-only handle on the store once per store version and keeps it. The view is an RDF dataset: the
data is the named graph `{base}dataset` and the default graph is the union of the named graphs, so
GRAPH, FROM and FROM NAMED work (and never fetch anything: graph loading is off). There the
deadline holds twice: the view's triple lookups raise once it passes, and the sandbox kills a worker
that has not answered a second later. REGEX and REPLACE run on RE2 (linear time), and the worker's
memory is capped, so neither a backtracking pattern nor a string bomb can stall or swell the server.
"""

from __future__ import annotations

import re
import threading
import time

import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from graph import results
from graph.export import whole_graph
from graph.lexer import check_graph_names, check_sparql, scan_sparql
from graph.rdf import Terms
from graph.store import GraphStore
from ontology.exc import QueryRefused, QueryTimeout

RESULT_TYPES = results.RESULT_FORMATS
GRAPH_TYPES = results.GRAPH_FORMATS
# FROM and FROM NAMED name graphs of this dataset; rdflib would otherwise fetch them from the web.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
KINDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class Stopped(Exception):
    """Raised inside a query that ran past its deadline."""


_deadline = threading.local()


def _timed(triples):
    """The lookups of a query, stopped once its deadline passes: rdflib evaluates every pattern
    through `triples()`, so checking there (every call, and every 2,000 triples of a long scan)
    stops even a cross product of three patterns promptly."""
    deadline = getattr(_deadline, "at", None)
    if deadline is not None and time.monotonic() > deadline:
        raise Stopped()
    for n, t in enumerate(triples, 1):
        if deadline is not None and n % 2000 == 0 and time.monotonic() > deadline:
            raise Stopped()
        yield t


class TimedGraph(Graph):
    """A graph whose triple lookups stop the query evaluating over it once its deadline passes."""

    def triples(self, triple):
        return _timed(super().triples(triple))


class TimedDataset(Dataset):
    """The view as an RDF dataset (see the module's docstring), under the same deadline."""

    def triples(self, triple, context=None):
        return _timed(super().triples(triple, context))

    def get_context(self, identifier, quoted=False, base=None):
        return TimedGraph(store=self.store, identifier=identifier, namespace_manager=self.namespace_manager)


def view(store: GraphStore, terms: Terms) -> TimedDataset:
    """The whole graph as the endpoint's dataset: the data in the named graph `{base}dataset`."""
    dataset = TimedDataset(default_union=True)
    dataset.graph(terms.dataset).__iadd__(whole_graph(store, terms))
    return dataset


def prepare(text: str, endpoints: frozenset[str] = frozenset(), base: str | None = None):
    """The parsed query, or QueryRefused naming what is wrong (Update, SERVICE, a graph elsewhere, syntax)."""
    try:
        query = prepareQuery(text)
    except Exception as e:  # noqa: BLE001 - pyparsing and rdflib raise several kinds
        word = _first_word(text)
        if word in UPDATE_WORDS:
            raise QueryRefused(f"read-only endpoint: SPARQL Update ({word}) is not allowed", errors={"query": word}) from None
        raise QueryRefused(f"the query is not SPARQL 1.1: {e}", errors={"query": str(e)[:300]}) from None
    check_sparql(query, endpoints, base)
    return query


def _first_word(text: str) -> str:
    # The first word after any PREFIX/BASE lines and comments: `PREFIX x: <…> INSERT DATA …` is Update too.
    # IRIs first (a `#` inside one is no comment), then comments, then the prologue.
    bare = re.sub(r"<[^<>\s]*>", "<>", text)
    bare = re.sub(r"#[^\n]*", " ", bare)
    bare = re.sub(r"(?is)^\s*((PREFIX\s+\S*\s*<>|BASE\s*<>)\s*)*", "", bare)
    return bare.strip().split(None, 1)[0].upper() if bare.strip() else ""


def kind_of(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read from the text (the parse happens in the worker: the
    answer's format is chosen, and a 406 given, before the query is sent)."""
    word = _first_word(text)
    return word if word in KINDS else "SELECT"


def evaluate(graph: Graph, text: str, result_format: str, max_rows: int, timeout_ms: int,
             endpoints: frozenset[str] = frozenset(), default_graphs: list[str] | None = None,
             named_graphs: list[str] | None = None, base: str | None = None) -> tuple[str, bytes]:
    """Media type and body of the answer (in the worker: parsed and checked again, then timed).

    `default_graphs` and `named_graphs` are the protocol's default-graph-uri and named-graph-uri:
    they replace the query's own FROM and FROM NAMED (SPARQL 1.1 Protocol, 2.1.4)."""
    _deadline.at = time.monotonic() + timeout_ms / 1000
    try:
        query = prepare(text, endpoints, base)
        check_graph_names([*(default_graphs or []), *(named_graphs or [])], base)
        if default_graphs or named_graphs:
            query.algebra["datasetClause"] = (
                [CompValue("DatasetClause", default=URIRef(g)) for g in default_graphs or []]
                + [CompValue("DatasetClause", named=URIRef(g)) for g in named_graphs or []])
        return _answer(graph, query, result_format, max_rows)
    except Stopped:
        raise QueryTimeout.after(timeout_ms, "SPARQL query") from None
    finally:
        _deadline.at = None


def _answer(graph: Graph, query, result_format: str, max_rows: int) -> tuple[str, bytes]:
    result = graph.query(query)
    if result.type == "SELECT" and result.bindings is not None and len(result.bindings) > max_rows:
        result.bindings = result.bindings[:max_rows]
    return results.serialise(result, result_format)


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
        """The whole view, built here (dereferencing and tests; queries are evaluated in the sandbox)."""
        key = (id(self.store), self.store.version)
        with self._lock:
            if self._view is None or self._view[0] != key:
                self._view = (key, view(self.store, self.terms))
            return self._view[1]

    def prepare(self, text: str):
        return prepare(text, self.endpoints, self.terms.base)

    async def run(self, text: str, formats: list[str] | None = None, accept: str | None = None,
                  default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> tuple[str, bytes]:
        """Media type and body of the answer, in the format named (`formats`) or accepted (`accept`).

        Parsing too happens in the worker: rdflib's parser takes seconds over deeply nested
        expressions, and would hold this process's interpreter meanwhile."""
        scan_sparql(text, allow_service=bool(self.endpoints))
        result_format = results.choose(kind_of(text), formats or [], accept)
        return await self.sandbox.sparql_async(text, result_format, timeout_ms=self.timeout_ms, max_rows=self.max_rows,
                                               endpoints=self.endpoints, default_graphs=default_graphs,
                                               named_graphs=named_graphs)

    def close(self) -> None:
        pass
