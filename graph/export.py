"""Export the graph, or part of it, as RDF: streamed case by case from the store's records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from rdflib import Graph

from graph import cypher
from graph.rdf import Tally, Terms, case_graph, dataset_graph, new_nodes, referenced, serialise, vocabulary_graph
from graph.store import GraphStore
from ontology.exc import InvalidData
from ontology.records import CaseRecord
from ontology.vocabulary import bind

CONTEXT_PATH = Path(__file__).resolve().parent.parent / "ontology" / "context.jsonld"
PAGE = 500


def context() -> dict:
    return json.loads(CONTEXT_PATH.read_text())


def case_ids_for(store: GraphStore, force: str | None = None, programme: str | None = None) -> list[str]:
    """The cases of a part of the graph: one force's, or those whose recommendations reach a programme."""
    if force:
        store.get_node("Force", force)
        return [r["id"] for r in store._read(cypher.CASES_OF_FORCE, {"id": force})]
    if programme:
        store.get_node("Programme", programme)
        return [r["id"] for r in store._read(cypher.CASES_OF_PROGRAMME, {"id": programme})]
    raise InvalidData("name a force or a programme, or export everything")


def export(store: GraphStore, fmt: str, terms: Terms | None = None, case_ids: list[str] | None = None,
           issued: str | None = None) -> Iterator[str]:
    """The RDF document, in pieces. `case_ids=None` exports everything, with the dataset's DCAT and
    VoID description (sizes counted as the pieces pass, so it comes last)."""
    terms = terms or Terms()
    return serialise(_chunks(store, terms, case_ids, issued), fmt, context())


def _chunks(store: GraphStore, terms: Terms, case_ids: list[str] | None, issued: str | None = None) -> Iterator[Graph]:
    """Graphs that together are the export, none repeating a triple of another: a source page shared
    by two cases, or a programme found by pattern in two pages, is described once (`seen`)."""
    seen: set = set()
    if case_ids is not None:
        cases = [store.case_record(cid) for cid in sorted(set(case_ids))]
        yield vocabulary_graph(terms, keep=referenced(cases))
        yield new_nodes(cases, terms, seen)
        for case in cases:
            yield case_graph(case, terms, seen)
        return
    tally = Tally()
    yield tally.add(vocabulary_graph(terms))
    skip = 0
    while True:
        page: list[CaseRecord] = store.case_records(skip=skip, limit=PAGE)
        if not page:
            break
        yield tally.add(new_nodes(page, terms, seen))
        for case in page:
            yield tally.add(case_graph(case, terms, seen))
        skip += PAGE
    yield dataset_graph(terms, tally, terms.base, issued)


def data_tally(store: GraphStore, terms: Terms) -> Tally:
    """The sizes the dataset description states, without serialising anything."""
    tally = Tally()
    chunks = _chunks(store, terms, None)
    for g in chunks:
        if (terms.dataset, None, None) in g:
            break
        tally.add(g)
    return tally


def whole_graph(store: GraphStore, terms: Terms | None = None) -> Graph:
    """The whole RDF view in memory (for SPARQL), the dataset description included."""
    terms = terms or Terms()
    g = bind(Graph())
    for chunk in _chunks(store, terms, None):
        g += chunk
    return g
