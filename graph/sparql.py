"""Read-only SPARQL over the RDF view of the graph: the endpoint (`Sparql`, which hands every query
to the gate, graph/sandbox/), the evaluation the gate's SPARQL worker runs (`evaluate`, on a query
the gate has parsed and checked) and Oxigraph's answers as rdflib results.

The view is the export's N-Triples in an Oxigraph store (pyoxigraph), which evaluates SPARQL in
Rust: on disk, built once per store version by a process of the server's own and opened read-only
by the worker (`graph/view.py`; about 40 MiB in the worker at 10k cases, where the view in memory
took 0.45 GiB and rdflib's in-memory dataset 1.6 GiB: docs/BENCHMARKS.md). `view()` below builds
the same view in memory, for the benches. The view is an RDF dataset: the data is the named graph
`{base}dataset` and the default graph is the union of the named graphs, so GRAPH, FROM and FROM
NAMED work (and never fetch anything: a graph name is only looked up in the view). REGEX and
REPLACE run on Rust's `regex` (linear time, no backtracking).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.query import Result

from graph import results
from graph.export import export
from graph.sandbox.text import SPARQL, Token, first_word, tokens
from graph.rdf import Terms
from graph.store import GraphStore
from ontology.exc import QueryRefused, QueryTimeout, StoreUnavailable

RESULT_TYPES = results.RESULT_FORMATS
GRAPH_TYPES = results.GRAPH_FORMATS
KINDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _Pieces(io.RawIOBase):
    """The export's text pieces as a binary stream, so the view is loaded without the whole N-Triples
    document in memory at once."""

    def __init__(self, pieces: Iterator[str]):
        self._pieces, self._left = pieces, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = piece.encode("utf-8")
        n = min(len(buffer), len(self._left))
        buffer[:n], self._left = self._left[:n], self._left[n:]
        return n


def view(store: GraphStore, terms: Terms) -> ox.Store:
    """The whole graph as the endpoint's dataset: the export (with its DCAT/VoID description) in the
    named graph `{base}dataset` of an in-memory Oxigraph store."""
    dataset = ox.Store()
    # Lenient: a page's URL is kept as the page gave it, and Oxigraph's strict IRI check refuses some
    # that rdflib wrote (`?filter[year]=2024`, `%zz`); one such URL made the whole view fail.
    dataset.load(io.BufferedReader(_Pieces(export(store, "nt", terms)), 1 << 20), ox.RdfFormat.N_TRIPLES,
                 to_graph=ox.NamedNode(str(terms.dataset)), lenient=True)
    return dataset


def kind_of(toks) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, read from the tokens (the parse happens in the worker: the
    answer's format is chosen, and a 406 given, before the query is sent)."""
    word = first_word(toks)
    return word if word in KINDS else "SELECT"


def evaluate(dataset: ox.Store, text: str, result_format: str, max_rows: int, query=None,
             default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
             base: str | None = None) -> tuple[str, bytes]:
    """Media type and body of the answer to `text` (normalised), parsed as `query` by the gate
    (graph/sandbox/plan.py: parsed here when not given, for the benches).

    `default_graphs` and `named_graphs` are the protocol's default-graph-uri and named-graph-uri:
    they replace the query's own FROM and FROM NAMED (SPARQL 1.1 Protocol, 2.1.4). Without either,
    the default graph is the union of the view's graphs."""
    if query is None:
        from graph.sandbox.plan import parse_sparql

        query = parse_sparql(text, base=base)
    options: dict = {"base_iri": base} if base else {}
    if default_graphs or named_graphs:
        options["default_graph"] = [_graph_name(g) for g in default_graphs or []] or [ox.DefaultGraph()]
        options["named_graphs"] = [_graph_name(g) for g in named_graphs or []]
    elif not query.algebra.get("datasetClause"):
        options["use_default_graph_as_union"] = True
    try:
        answer = dataset.query(text, **options)
    except SyntaxError as e:  # rdflib's grammar took it, Oxigraph's did not
        raise QueryRefused(f"the query is not SPARQL 1.1: {e}", errors={"query": str(e)[:300]}) from None
    return results.serialise(_result(query, text, answer, max_rows), result_format)


def _graph_name(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as e:
        raise QueryRefused(f"the graph name <{iri[:200]}> is not an absolute IRI: {e}", errors={"graph": iri[:200]}) from None


def _result(query, text: str, answer, max_rows: int) -> Result:
    """Oxigraph's answer as rdflib's Result, which the formats of graph/results.py write (a SELECT
    cut to `max_rows`, its columns in the order the query names them)."""
    kind = query.algebra.name
    if isinstance(answer, ox.QueryBoolean):
        result = Result("ASK")
        result.askAnswer = bool(answer)
        return result
    if isinstance(answer, ox.QueryTriples):
        result = Result("CONSTRUCT" if kind == "ConstructQuery" else "DESCRIBE")
        graph = Graph()
        for t in answer:
            graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
        result.graph = graph
        return result
    result = Result("SELECT")
    names = [v.value for v in answer.variables]
    # The columns in the order the query names them; for SELECT * Oxigraph's own order, which is
    # stable (rdflib's projection of * is a set: its order changed with every worker's hash seed).
    stated = [] if selects_all(tokens(text, SPARQL)) else [str(v) for v in query.algebra.get("PV") or []]
    order = [n for n in stated if n in names] + [n for n in names if n not in stated]
    result.vars = [Variable(n) for n in order]
    rows = []
    for solution in answer:
        if len(rows) == max_rows:
            break
        row = {}
        for n, v in zip(order, result.vars, strict=True):
            value = solution[n]
            if value is not None:
                row[v] = _term(value)
        rows.append(row)
    result.bindings = rows
    return result


def selects_all(toks: list[Token]) -> bool:
    """Whether the outermost SELECT is `SELECT *` (or `SELECT DISTINCT *`, `SELECT REDUCED *`)."""
    words = [t.text.upper() if t.kind == "word" else t.text for t in toks]
    if "SELECT" not in words:
        return False
    k = words.index("SELECT") + 1
    k += k < len(words) and words[k] in ("DISTINCT", "REDUCED")
    return k < len(words) and words[k] == "*"


def _term(value):
    if isinstance(value, ox.NamedNode):
        return URIRef(value.value)
    if isinstance(value, ox.BlankNode):
        return BNode(value.value)
    if isinstance(value, ox.Literal):
        if value.language:
            return Literal(value.value, lang=value.language)
        datatype = value.datatype.value
        return Literal(value.value) if datatype == XSD_STRING else Literal(value.value, datatype=URIRef(datatype))
    raise QueryRefused("an answer holds an RDF-star triple term, which this endpoint does not return",
                       errors={"query": "triple term"})


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
        self._triples: tuple[int, int] | None = None  # (store version, triples in the view)

    async def run(self, text: str, formats: list[str] | None = None, accept: str | None = None,
                  default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> tuple[str, bytes]:
        """Media type and body of the answer, in the format named (`formats`) or accepted (`accept`).

        Every look at the text, parsing too, happens off the event loop: the text pre-check in the
        sandbox's own thread, the parse in the worker (rdflib's parser takes seconds over deeply
        nested expressions, and would hold this process's interpreter meanwhile)."""
        return await self.sandbox.sparql_async(text, lambda kind: results.choose(kind, formats or [], accept),
                                               timeout_ms=self.timeout_ms, max_rows=self.max_rows,
                                               endpoints=self.endpoints, default_graphs=default_graphs,
                                               named_graphs=named_graphs)

    async def triples(self) -> int | None:
        """How many triples the view holds (the service description states it): counted once per
        store version, and None while it cannot be had at once (the view being built, the worker busy
        or still starting): a description is never kept waiting for it."""
        version = self.store.version
        if self._triples is not None and self._triples[0] == version:
            return self._triples[1]
        if not self.sandbox.sparql_ready():
            return None
        try:
            _, body = await self.sandbox.sparql_async("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json",
                                                      timeout_ms=min(self.timeout_ms, 2000), max_rows=1)
        except (StoreUnavailable, QueryTimeout, QueryRefused):
            return None
        self._triples = (version, int(json.loads(body)["results"]["bindings"][0]["n"]["value"]))
        return self._triples[1]

    def close(self) -> None:
        pass
