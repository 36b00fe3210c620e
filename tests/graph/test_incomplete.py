"""Header-only cases in the graph (FORMATS.md, pattern D): stored flagged incomplete, and replaced by
their complete rendering when it arrives in a later ingest, in either order."""

from __future__ import annotations

from pathlib import Path

from ingest.load import write_cases
from ingest.pipeline import parse_paths, parse_text
from search.index import SearchIndex

PAGES = Path(__file__).resolve().parent.parent / "pages"

# A complete rendering (synthetic, written for this test) of tests/pages/d-investigation-cut.txt: the
# same investigation summary, this time with its recommendation.
COMPLETE = (PAGES / "d-investigation-cut.txt").read_text() + (
    "\nIOPC reference\n\nRecommendations\n\nThe IOPC recommends that Gwent Police review how missing children "
    "are risk assessed.\n\nAccepted\n\nGwent Police has updated its missing person policy.\n"
)


def header_only():
    [case] = parse_paths([PAGES / "d-investigation-cut.txt"]).cases
    assert case.incomplete
    return case


def test_header_only_case_is_stored_incomplete_and_replaced_by_its_complete_rendering(empty_store, tmp_path):
    index = SearchIndex(tmp_path / "index")
    try:
        header = header_only()
        write_cases([header], empty_store, index)
        stored = empty_store.case_record(header.id)
        assert stored.incomplete and stored.to_dict()["incomplete"] is True
        assert empty_store.get_node("Case", header.id)["incomplete"] is True

        complete = parse_text(COMPLETE, "complete.txt")
        assert complete.id != header.id  # neither has a reference: ids differ, the title and force match
        summary = write_cases([complete], empty_store, index)
        assert not summary.failures
        assert empty_store.counts()["Case"] == 1
        merged = empty_store.case_record(complete.id)
        assert header.id in merged.replaces  # the header-only page's id redirects to the case
        assert not merged.incomplete and len(merged.recommendations) == 1 and len(merged.sources) == 2
        assert not any(w.startswith("header only") for w in merged.warnings)
        assert empty_store.get_node("Case", complete.id)["incomplete"] is False
        assert index.case_hashes() == {complete.id: empty_store.case_hashes()[complete.id]}

        # The header-only page again changes nothing; the complete page again changes nothing.
        again = write_cases([header_only()], empty_store, index)
        assert again.written == 0 and again.indexed == 0 and empty_store.counts()["Case"] == 1
        assert index.case_hashes() == {complete.id: empty_store.case_hashes()[complete.id]}
    finally:
        index.close()


def test_header_only_page_arriving_after_its_complete_rendering_keeps_the_recommendations(empty_store):
    complete = parse_text(COMPLETE, "complete.txt")
    write_cases([complete], empty_store)
    write_cases([header_only()], empty_store)
    assert empty_store.counts()["Case"] == 1
    case = empty_store.case_record(complete.id)
    assert not case.incomplete and len(case.recommendations) == 1 and len(case.sources) == 2
