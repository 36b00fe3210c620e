"""The per-commit search tables are kept beside the index, so a restarted server loads them
instead of building them (docs/BENCHMARKS.md, "Cold start"), and a new commit never reads another
commit's tables."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.generator import generate
from search.index import SearchIndex
from search.facets import facet_tables
from search.query import Engine, Search


def _refuse(_searcher):
    raise AssertionError("built again instead of loaded from beside the index")


@pytest.fixture()
def cases():
    return generate(60, seed=5)


def test_a_reopened_index_loads_the_tables_an_earlier_process_built(tmp_path, cases):
    first = SearchIndex(tmp_path)
    first.update(cases)
    engine = Engine(first)
    engine.warm()
    expected = engine.search(Search(q="custody", filters={"status": ["accepted"]}))
    built = first.cached("facets", facet_tables)
    first.close()

    again = SearchIndex(tmp_path)
    loaded = again.cached("facets", _refuse)
    assert loaded.n == built.n and np.array_equal(loaded.date_order, built.date_order)
    assert loaded.facets["force"].values == built.facets["force"].values
    engine = Engine(again)
    engine.warm(search_only=True)
    assert engine.is_ready()
    result = engine.search(Search(q="custody", filters={"status": ["accepted"]}))
    assert (result.total, [h["id"] for h in result.hits], result.facets) == (expected.total, [h["id"] for h in expected.hits], expected.facets)
    again.close()


def test_a_new_commit_builds_its_own_tables_and_drops_the_old_ones(tmp_path, cases):
    index = SearchIndex(tmp_path)
    index.update(cases[:30])
    Engine(index).warm(search_only=True)
    before = {p.name for p in (tmp_path / "tables").iterdir()}
    index.update(cases[30:])
    built = []
    tables = index.cached("facets", lambda s: built.append(1) or facet_tables(s))
    assert built == [1] and tables.n == index.searcher().doc_count_all()
    after = {p.name for p in (tmp_path / "tables").glob("facets.*")}
    assert len(after) == 1 and not after & before
    index.close()


def test_a_damaged_table_file_is_built_again(tmp_path, cases):
    index = SearchIndex(tmp_path)
    index.update(cases)
    Engine(index).warm(search_only=True)
    index.close()
    for path in (tmp_path / "tables").glob("facets.*"):
        path.write_bytes(b"not a pickle")
    again = SearchIndex(tmp_path)
    assert again.cached("facets", facet_tables).n == again.searcher().doc_count_all()
    again.close()


def _segments(index):
    return {seg.segment_id() for r, _ in index.searcher().reader().leaf_readers() if (seg := r.segment()) is not None}


def test_postings_tables_are_kept_per_segment_until_the_segment_is_merged_away(tmp_path, cases):
    index = SearchIndex(tmp_path)
    for start in range(0, 60, 20):
        index.update(cases[start:start + 20])
    engine = Engine(index)
    engine.warm(search_only=True)
    kept = {p.name.rsplit(".seg-", 1)[1].removesuffix(".pickle") for p in (tmp_path / "tables").glob("postings-text.seg-*")}
    assert kept == _segments(index)
    before = engine.search(Search(q="custody"))
    index.ix.optimize()  # one segment: the old ones retired
    assert len(_segments(index)) == 1
    engine.forget()
    after = engine.search(Search(q="custody"))
    kept = {p.name.rsplit(".seg-", 1)[1].removesuffix(".pickle") for p in (tmp_path / "tables").glob("postings-text.seg-*")}
    assert kept == _segments(index)
    assert [h["id"] for h in after.hits] == [h["id"] for h in before.hits] and after.total == before.total
    index.close()


def test_an_index_of_many_segments_keeps_its_tables(tmp_path, cases):
    # A 100k ingest left ten segments; a table named for all of them passed the 255 bytes a file name
    # may have, so every start built it again ("File name too long", found by bench/scale_bench.py).
    index = SearchIndex(tmp_path)
    commit = index._commit
    index._commit = lambda writer, words, **kw: commit(writer, words, merge=False)  # keep every segment
    for part in range(12):
        index.update(cases[part * 5:(part + 1) * 5])
    assert len(index.searcher().reader().leaf_readers()) >= 10
    built = index.cached("facets", facet_tables)
    index.close()
    again = SearchIndex(tmp_path)
    assert again.cached("facets", _refuse).n == built.n > 0
    again.close()
