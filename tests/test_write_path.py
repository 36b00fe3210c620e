"""The one write path (ingest/load.py `_ingest`): the whole graph in batches, then the index brought to
it, so LadybugDB's write memory and Whoosh's writers are never held at once; the index is given only
what the graph has committed, and ends holding exactly the graph's version of every case with
recommendations, whatever merges with what the graph held. (These were the two write modes' tests, an
interleaved one and a two-pass one; one path is left, and each scenario found by their reviews is kept.)"""

from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from ingest.load import ingest_paths, write_cases
from search.index import SearchIndex
from tests.conftest import SAMPLES

PAGES = Path(__file__).resolve().parent / "pages"


def opened(directory: Path):
    return EmbeddedStore(directory / "graph"), SearchIndex(directory / "index")


def state(store, index) -> tuple:
    return store.case_hashes(), store.counts(), index.case_hashes(), index.doc_count()


def with_recs(store) -> dict[str, str]:
    return {c.id: c.content_hash() for c in store.case_records() if c.recommendations}


def assert_index_is_graph(store, index, documents: int) -> None:
    """The index holds the graph's version of every case with recommendations, and nothing else;
    one document per recommendation, as many as `documents`."""
    assert index.case_hashes() == with_recs(store)
    assert index.doc_count() == store.counts()["Recommendation"] == documents


def test_an_ingest_twice_leaves_the_index_as_the_graph_and_changes_nothing(tmp_path):
    store, index = opened(tmp_path)
    try:
        first = ingest_paths([SAMPLES, PAGES], store, index, batch_size=7)
        again = ingest_paths([SAMPLES, PAGES], store, index, batch_size=7)
        graph, _, indexed, docs = state(store, index)
        assert indexed == {cid: h for cid, h in graph.items() if cid in indexed}
        assert_index_is_graph(store, index, first.indexed)
        assert again.written == 0 and again.indexed == 0 and again.unchanged == first.cases
        assert not list((tmp_path / "index").glob(".ingest-pending-*"))
    finally:
        index.close()
        store.close()


def test_the_index_pass_starts_when_the_graph_holds_every_case(tmp_path, sample_cases):
    # What a process killed at any point leaves: an index that never holds a case the graph lacks
    # (the crash test caught the index written first, committed, and the graph not yet written).
    store = EmbeddedStore(tmp_path / "graph")
    seen = []

    class Watched(SearchIndex):
        def bulk(self, *args, **kwargs):
            seen.append(store.case_hashes())
            return super().bulk(*args, **kwargs)

    index = Watched(tmp_path / "index")
    try:
        summary = write_cases(list(sample_cases), store, index, batch_size=3)
        assert seen == [{c.id: c.content_hash() for c in sample_cases}]
        assert index.case_hashes() == {c.id: c.content_hash() for c in sample_cases if c.recommendations}
        assert summary.indexed == index.doc_count() == store.counts()["Recommendation"]
    finally:
        index.close()
        store.close()


def two_renderings_of_one_stored_case():
    """A stored header-only case S (reference 2020/111111), then two complete pages the merge keeps
    apart: K gives S's reference, I gives none but S's force and title. Each alone would fold into
    S; they are one case with S, whatever the order."""
    import copy

    from ingest.pipeline import parse_paths, parse_text
    from ontology.records import CaseRecord

    [page] = parse_paths([PAGES / "d-investigation-cut.txt"]).cases
    header = page.to_dict() | {"reference": "2020/111111"}
    header.pop("id", None)
    complete = parse_text((PAGES / "d-investigation-cut.txt").read_text() + (
        "\nIOPC reference\n\nRecommendations\n\nThe IOPC recommends that Gwent Police review how missing "
        "children are risk assessed.\n\nAccepted\n\nGwent Police has updated its missing person policy.\n"), "i.txt")
    k = copy.deepcopy(complete.to_dict())
    k.pop("id", None)
    k["reference"] = "2020/111111"
    k["recommendations"][0]["text"] = "The IOPC recommends that Gwent Police train call handlers to escalate reports about vulnerable adults."
    k["sources"][0] |= {"id": "s-kkkkkkkkkkkkkkkk", "path": "k.txt"}
    return CaseRecord.from_dict(header, "test"), [CaseRecord.from_dict(k, "test"), complete]


@pytest.mark.parametrize("given_as", ["list", "spool"])
def test_two_pages_folding_into_one_stored_case_leave_the_index_as_the_graph(tmp_path, given_as):
    # Found by review of the index-first write (since replaced): its index pass folded both pages
    # into the stored case (the graph as it was), so one case id was given twice in one uncommitted
    # Whoosh writer, and the index kept a document of a version the graph never held.
    from ingest.spool import Spool

    store, index = opened(tmp_path / given_as)
    try:
        header, pages = two_renderings_of_one_stored_case()
        write_cases([header], store, index)
        with Spool() as spool:
            cases = pages if given_as == "list" else spool.cases([spool.put(c) for c in pages])
            summary = write_cases(cases, store, index, batch_size=1)
        graph, counts, indexed, docs = state(store, index)
        # All three are one case: K by the reference, I by the header's force and title.
        assert docs == counts["Recommendation"] == 2 and counts["Case"] == 1
        assert indexed == graph
        assert summary.indexed == 2
        assert not list((tmp_path / given_as / "index").glob(".ingest-pending-*"))
    finally:
        index.close()
        store.close()


def _header(reference: str):
    from ingest.pipeline import parse_paths
    from ontology.records import CaseRecord

    [page] = parse_paths([PAGES / "d-investigation-cut.txt"]).cases
    d = page.to_dict() | {"reference": reference}
    d.pop("id", None)
    name = reference.replace("/", "")
    d["sources"][0] |= {"id": "s-" + name[:16].ljust(16, "h"), "path": name + ".txt"}
    return CaseRecord.from_dict(d, "test")


def _complete():
    return two_renderings_of_one_stored_case()[1][1]


@pytest.mark.parametrize("scenario", ["superseded, then given again", "folded elsewhere in each pass"])
def test_graph_and_index_agree_whatever_each_pass_folds(tmp_path, scenario):
    # Found by review, each with batches of one case:
    # - a stored complete page without a reference, then a header-only page giving it one (which
    #   supersedes it: the merge had changed the stored case in place, so nothing was superseded and
    #   the graph kept both), then the complete page again: taken out of the index and not put back;
    # - a stored header-only case, then another header-only case, then a complete page: the
    #   index-first write (since replaced) folded it into the first when indexing and into the
    #   second when writing the graph, and the index kept both ids.
    if scenario.startswith("superseded"):
        stored, incoming = [_complete()], [_header("2020/111111"), _complete()]
    else:
        stored, incoming = [_header("2020/222222")], [_header("2020/111111"), _complete()]
    store, index = opened(tmp_path)
    try:
        write_cases(stored, store, index)
        summary = write_cases(incoming, store, index, batch_size=1)
        assert_index_is_graph(store, index, summary.indexed)
        # Superseded: the header gives the complete page a reference; all are one case. Folded
        # elsewhere: the complete page joins one header, never both (their references contradict).
        assert store.counts()["Case"] == (1 if scenario.startswith("superseded") else 2)
    finally:
        index.close()
        store.close()


# -- found by the review of the two passes (each case ran on both ways of writing) ------------------

def _retitled(case, **changes):
    import copy

    from ontology.records import CaseRecord

    d = copy.deepcopy(case.to_dict())
    d.pop("id")
    d.update(changes)
    d["sources"][0] |= {"id": "s-nnnnnnnnnnnnnnnn", "path": "new.txt"}
    return CaseRecord.from_dict(d, "test")


def test_a_republished_page_and_a_header_folding_its_old_version_away_in_one_file(tmp_path):
    # Page X republished under a new title, and in the same file a header-only page with X's old
    # title and a reference: one batch supersedes X and writes it again. The graph pass dropped X
    # from what it had written, so the index lost a case the graph held.
    import json

    store, index = opened(tmp_path)
    try:
        write_cases([_complete()], store, index)
        new = _retitled(_complete(), title="Officer conduct during a custody transfer in Newport")
        assert new.id == _complete().id
        (tmp_path / "in").mkdir()
        with open(tmp_path / "in" / "part.jsonl", "w") as f:
            for c in (_header("2020/111111"), new):
                f.write(json.dumps(c.to_dict()) + "\n")
        summary = ingest_paths([tmp_path / "in"], store, index)
        [(cid, _)] = with_recs(store).items()  # the header gave the page its reference: one case
        assert cid == "2020-111111" and new.id in store.case_record(cid).replaces
        assert_index_is_graph(store, index, summary.indexed)
    finally:
        index.close()
        store.close()


@pytest.mark.parametrize("given_as", ["list", "spool"])
@pytest.mark.parametrize("again", ["changed", "same"])
def test_a_case_superseded_and_given_again_in_one_batch(tmp_path, given_as, again):
    # "same": the graph finds X unchanged and the header's fold deletes it; the batch-by-batch write
    # still gave it to the index.
    from ingest.spool import Spool

    store, index = opened(tmp_path)
    try:
        write_cases([_complete()], store, index)
        x = _retitled(_complete(), summary=(_complete().summary or "") + " Updated.") if again == "changed" else _complete()
        incoming = [_header("2020/111111"), x]
        with Spool() as spool:
            cases = incoming if given_as == "list" else spool.cases([spool.put(c) for c in incoming])
            summary = write_cases(cases, store, index, batch_size=2)
        assert_index_is_graph(store, index, summary.indexed)
    finally:
        index.close()
        store.close()


@pytest.mark.parametrize("given_as", ["list", "spool"])
def test_a_listed_case_the_graph_refused_after_folding_stays_out_of_the_index(tmp_path, given_as):
    # Folding changes a listed case in place, into the stored case's id; the graph refuses it. The
    # index pass chose cases by id and indexed a version the graph never held.
    from ingest.spool import Spool

    store, index = opened(tmp_path)
    try:
        write_cases([_header("2020/111111")], store, index)
        complete = _complete()
        refused_source = complete.sources[0].id
        other_header = _header("2020/111111").to_dict()
        other_header.pop("id")
        other_header["sources"][0] |= {"id": "s-hhhhhhhhhhhh2222", "path": "h2.txt"}
        from ontology.records import CaseRecord

        incoming = [complete, CaseRecord.from_dict(other_header, "test")]
        store.ensure_schema()
        real = store._replace

        def refuse(cases, stored, supersedes):  # a case the graph refuses (as a bad value would be)
            if any(s.id == refused_source for c in cases for s in c.sources):
                raise RuntimeError("refused")
            return real(cases, stored, supersedes)

        store._replace = refuse
        with Spool() as spool:
            cases = incoming if given_as == "list" else spool.cases([spool.put(c) for c in incoming])
            summary = write_cases(cases, store, index, batch_size=1)
        assert any("refused" in f.message for f in summary.failures)
        assert index.case_hashes() == with_recs(store)
    finally:
        index.close()
        store.close()


@pytest.mark.parametrize("versions", ["same", "changed"])
@pytest.mark.parametrize("batch_size", [1, 2])
def test_one_case_given_twice(tmp_path, batch_size, versions):
    # Whoosh's writer does not delete what it holds uncommitted: the batch-by-batch write kept both
    # copies' documents. Two versions in one graph batch collided on their recommendations' ids.
    store, index = opened(tmp_path)
    try:
        second = _complete() if versions == "same" else _retitled(_complete(), title="Another title for the same page")
        summary = write_cases([_complete(), second], store, index, batch_size=batch_size)
        assert not summary.failures
        # Two pages (two sources) of one case, or one page given twice: the case merged from both.
        from ingest.merge import merge_cases

        [merged] = merge_cases([_complete(), second])
        assert with_recs(store) == {second.id: merged.content_hash()}
        assert_index_is_graph(store, index, len(merged.recommendations))
    finally:
        index.close()
        store.close()
