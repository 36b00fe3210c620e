"""A command-line load writes the whole index, then the whole graph (`write_cases(index_first=True)`),
so that LadybugDB's write memory and Whoosh's forked workers are never held at once. It must leave
exactly what the interleaved write leaves, and put the index right wherever the graph did otherwise."""

from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.load import ingest_paths, reconcile, write_cases
from search.index import SearchIndex
from tests.conftest import SAMPLES

PAGES = Path(__file__).resolve().parent / "pages"


def opened(directory: Path):
    return EmbeddedStore(directory / "graph"), SearchIndex(directory / "index")


def state(store, index) -> tuple:
    return store.case_hashes(), store.counts(), index.case_hashes(), index.doc_count()


def test_index_first_leaves_what_the_interleaved_write_leaves(tmp_path):
    runs = {}
    for index_first in (False, True):
        store, index = opened(tmp_path / str(index_first))
        try:
            first = ingest_paths([SAMPLES, PAGES], store, index, batch_size=7, index_first=index_first)
            again = ingest_paths([SAMPLES, PAGES], store, index, batch_size=7, index_first=index_first)
            runs[index_first] = (first.as_dict() | {"finished": None}, again.as_dict() | {"finished": None},
                                 state(store, index))
            graph, _, indexed, docs = runs[index_first][2]
            assert indexed == {cid: h for cid, h in graph.items() if cid in indexed}
            assert docs == store.counts()["Recommendation"] and first.indexed == docs
            assert again.written == 0 and again.indexed == 0 and again.unchanged == first.cases
        finally:
            index.close()
            store.close()
    assert runs[True] == runs[False]
    assert not list((tmp_path / "True" / "index").glob(".ingest-pending-*"))


def test_index_first_needs_cases_it_can_read_twice(tmp_path, sample_cases):
    store, index = opened(tmp_path)
    try:
        with pytest.raises(TypeError, match="twice"):
            write_cases(iter(sample_cases), store, index, index_first=True)
        assert store.counts()["Case"] == 0 and index.doc_count() == 0
    finally:
        index.close()
        store.close()


def test_reconcile_makes_the_index_hold_what_the_graph_holds(tmp_path, sample_cases):
    # What an index-first write leaves to put right: a case the index was given but the graph
    # refused (absent from the graph), and one the graph wrote in another version.
    store, index = opened(tmp_path)
    try:
        kept, refused, changed = sample_cases[0], sample_cases[1], sample_cases[2]
        store.ensure_schema()
        store.write_cases([kept, changed])
        index.update([kept, refused])
        other = changed.to_dict()
        other["recommendations"][0]["text"] += " (an earlier version)"
        from ontology.records import CaseRecord
        index.update([CaseRecord.from_dict(other, "test")])
        assert index.case_hashes() != store.case_hashes()

        written = reconcile(store, index, sorted({kept.id, refused.id, changed.id}))
        assert index.case_hashes() == store.case_hashes()
        assert written == len(changed.recommendations)
        assert index.doc_count() == store.counts()["Recommendation"]
        assert reconcile(store, index, [kept.id, refused.id, changed.id]) == 0
    finally:
        index.close()
        store.close()
