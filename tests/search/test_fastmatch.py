"""The numpy matcher (`search.fastmatch`) against Whoosh's own matchers, query form by query form.

The corpus is generated (400 cases), written in three commits so the index has several segments,
and then a few cases are deleted, so document offsets and deleted documents are both exercised.
Every form must match exactly the same documents; scores must be Whoosh's own, except for prefix,
wildcard and fuzzy terms, where Whoosh's scores are not consistent (a document can score the
constant 1 or the full BM25 depending on how its matchers line up) and ours are BM25 summed over
the words the pattern expands to.
"""

from __future__ import annotations

import numpy as np
import pytest

from ingest.generator import generate
from search.fastmatch import Evaluator, Lengths
from search.fields import DEFAULT_FIELDS
from search.index import SearchIndex
from search.query import Engine, Search, _whoosh_matches

EXACT = [
    "automated reminders", "training", "custody AND rouse", "custody OR detention", "policy NOT accepted",
    "(custody OR training) AND review", '"body worn video"', 'response:"governance group"',
    '"supervisory review" training', "force:essex training", "status:accepted custody", "athena",
    "date_recommended:[2019 to 2021] custody", "year:2020 OR year:2021", "text:review^3 response:review",
    "custody AND NOT (training OR review)", 'NOT training', "zzzznotaword", '"zzz yyy"', "body worn",
    '"review of the"', '"custody custody"', '"worn video body"',
]
PATTERNS = ["safeguard*", "superv*", "remind~", "reference:20*", "cust?d*", "custod* AND NOT training"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("fastmatch"))
    cases = generate(400, seed=11)
    for start in range(0, 400, 150):
        ix.update(cases[start:start + 150])
    ix.delete([c.id for c in cases[10:400:37]])
    yield Engine(ix)
    ix.close()


@pytest.fixture(params=["whoosh blocks", "segment tables"])
def postings(request, engine):
    """Postings read from Whoosh's blocks each time, or from the per-segment tables the engine keeps."""
    return None if request.param == "whoosh blocks" else engine.segment_postings


def both(engine, text, postings=None):
    q, _ = engine.parse(text)
    s = engine.index.searcher()
    docs, scores = Evaluator(s, Lengths(s, DEFAULT_FIELDS), _whoosh_matches, postings).run(q)
    live = np.array([not s.reader().is_deleted(int(d)) for d in docs], dtype=bool)
    return (docs[live], scores[live]), _whoosh_matches(s, q)


def test_the_index_has_several_segments_and_deletions(engine):
    r = engine.index.searcher().reader()
    assert not r.is_atomic() and r.has_deletions()


@pytest.mark.parametrize("text", EXACT)
def test_same_documents_and_scores_as_whoosh(engine, text, postings):
    (docs, scores), (w_docs, w_scores) = both(engine, text, postings)
    assert docs.tolist() == w_docs.tolist()
    np.testing.assert_allclose(scores, w_scores, rtol=1e-9)


@pytest.mark.parametrize("text", PATTERNS)
def test_patterns_match_the_same_documents_as_whoosh(engine, text, postings):
    (docs, scores), (w_docs, _) = both(engine, text, postings)
    assert len(docs) and docs.tolist() == w_docs.tolist()
    assert (scores > 0).all()


def test_a_query_with_many_matches_has_something_to_compare(engine):
    (docs, _), _ = both(engine, "custody OR training")
    assert len(docs) > 100


def test_engine_ranks_by_these_scores(engine):
    """The engine's hits come out in descending score order, ties by document number."""
    result = engine.search(Search(q="custody OR training", page_size=50, facets=False, highlight=False))
    scores = [h["score"] for h in result.hits]
    assert scores == sorted(scores, reverse=True) and result.total > 50


def test_a_matcher_of_another_kind_is_walked_posting_by_posting(engine, monkeypatch):
    """The block reader relies on Whoosh's W3 codec; any other matcher takes the generic walk and
    gives the same answer."""
    from whoosh.matching import ListMatcher
    from whoosh.reading import SegmentReader

    original = SegmentReader.postings

    def as_list(self, fieldname, text, scorer=None):
        m = original(self, fieldname, text, scorer)
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
        return ListMatcher(ids, weights, values, format=self.schema[fieldname].format)

    expected = {text: both(engine, text) for text in ("custody OR training", '"body worn video"')}
    monkeypatch.setattr(SegmentReader, "postings", as_list)
    for text, ((docs, scores), _) in expected.items():
        (again, again_scores), _ = both(engine, text)
        assert again.tolist() == docs.tolist()
        np.testing.assert_allclose(again_scores, scores, rtol=1e-9)


@pytest.mark.parametrize("field", ["text", "response", "reference", "title"])
def test_field_lengths_read_from_the_columns_are_whooshs_own(engine, field):
    s = engine.index.searcher()
    n = s.doc_count_all()
    slow = np.array([s.doc_field_length(d, field, 1) or 0 for d in range(n)], dtype=np.float64)
    assert np.array_equal(Lengths(s, eager=[field]).by_field[field], slow)


def test_positions_decoded_together_are_whooshs_own(engine):
    # `_positions` reads the values of many postings with one unpickling; each must give what
    # Whoosh's format gives it alone: real values from the index, and the shapes it writes rarely
    # (a position list longer than a pickle's batch of 1,000, large gaps, the stop byte stripped).
    from whoosh.formats import Positions

    from search.fastmatch import _positions

    fmt = Positions()
    reader = engine.index.searcher().reader()
    values = []
    for word in (b"custody", b"review", b"video", b"the"):
        if ("text", word) in reader:
            m = reader.postings("text", word)
            while m.is_active():
                values.append(m.value())
                m.next()
    assert len(values) > 500
    odd = [fmt.encode(list(range(0, 3000, 2))), fmt.encode([5, 70_000, 2**31 - 1]), fmt.encode([0])[:-1]]
    import pickle

    other = [b"\x00\x00\x00\x02" + pickle.dumps([1, 2], 4)]  # not Whoosh's protocol: decoded one by one
    for batch in (values, odd, values[:1] + odd + values[1:50], values[:20] + other):
        counts, flat = _positions(batch, fmt)
        expected = [fmt.decode_positions(v) for v in batch]
        assert counts.tolist() == [len(p) for p in expected]
        assert flat.tolist() == [p for ps in expected for p in ps]


def test_phrase_decoding_in_threads_leaves_the_cycle_collector_on(engine):
    # `_positions` pauses the cycle collector while it unpickles; searches run in threads, and a
    # paused-then-resumed flag read by two threads at once could leave it off for good (review).
    import gc
    from concurrent.futures import ThreadPoolExecutor

    assert gc.isenabled()
    with ThreadPoolExecutor(8) as pool:
        for _ in pool.map(lambda _: both(engine, '"body worn video"'), range(64)):
            pass
    assert gc.isenabled()
