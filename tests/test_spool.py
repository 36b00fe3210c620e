"""An ingest holds parsed cases on disk until it writes (ingest/spool.py); merging them there must give
exactly what merging them in memory gives."""

from pathlib import Path

import pytest

from ingest.load import ingest_paths
from ingest.merge import merge_cases, merge_held
from ingest.pipeline import ParseResult, parse_each
from ingest.spool import Spool
from tests.conftest import SAMPLES

PAGES = Path(__file__).resolve().parent / "pages"


def parsed(order):
    return list(order(list(parse_each([SAMPLES, PAGES], ParseResult([], [], 0)))))


@pytest.mark.parametrize("order", [list, reversed], ids=["as-read", "reversed"])
def test_merging_on_disk_gives_what_merging_in_memory_gives(order):
    cases = parsed(order)
    # The corpus exercises every branch: renderings joined by reference, and pages without one
    # matched against the rest (header-only pages of pattern D among them).
    assert sum(not c.reference for c in cases) >= 5
    assert len({c.id for c in cases if c.reference}) < sum(1 for c in cases if c.reference)
    in_memory = [c.to_dict() for c in merge_cases(cases)]
    with Spool() as spool:
        held = merge_held(parsed(order), spool)
        assert all(h.case is None for h in held) and spool.bytes_on_disk > 0
        on_disk = [spool.get(h).to_dict() for h in held]
        assert [(h.id, h.recommendations, h.warnings) for h in held] == [
            (c["id"], len(c["recommendations"]), len(c["warnings"])) for c in on_disk]
    assert on_disk == in_memory


def test_an_ingest_writes_what_was_merged_and_counts_it(tmp_path):
    from graph.embedded import EmbeddedStore
    from search.index import SearchIndex

    store = EmbeddedStore(tmp_path / "graph")
    index = SearchIndex(tmp_path / "index")
    try:
        summary = ingest_paths([SAMPLES, PAGES], store, index, batch_size=7)
        merged = merge_cases(parsed(list))
        ids = {c.id for c in merged}
        assert summary.cases == len(ids) == store.counts()["Case"]
        assert summary.recommendations == store.counts()["Recommendation"] == index.doc_count()
        assert set(store.case_hashes()) == ids
    finally:
        index.close()
        store.close()


def test_a_merge_that_renames_a_case_leaves_one_case_not_two():
    # Pages without a reference are named by force and first text; here the first page has no
    # force and takes the second's, so its id changes. The merged case stays under the key it was
    # found by: before, the old key kept a stale copy (written as a second case from the spool, or,
    # in memory, reported as a page conflicting with itself).
    from ontology.records import CaseRecord, RecommendationRecord, Ref, SourceRecord

    text = "The force should review its custody training so that officers check detainees every thirty minutes"

    def page(name, force):
        return CaseRecord(reference=None, title="Custody checks", force=force, layout="PC-A",
                          recommendations=[RecommendationRecord([1], 1, text)], sources=[SourceRecord.make(None, name, "PC-A")])

    def pages():
        return [page("a.txt", None), page("b.txt", Ref("kent", "Kent Police"))]

    [merged] = merge_cases(pages())
    assert merged.force.id == "kent" and {s.path for s in merged.sources} == {"a.txt", "b.txt"}
    with Spool() as spool:
        [held] = merge_held(pages(), spool)
        assert held.id == merged.id and spool.get(held).to_dict() == merged.to_dict()
