"""A search's bounds (search/limits.py): past its deadline an error in the one error shape, never a
partial answer; past a cap a partial answer that says what was left out, the same every time."""

from __future__ import annotations

import itertools

import pytest

from ontology.exc import QueryTimeout
from search import limits
from search.index import SearchIndex
from search.limits import Caps, Deadline
from search.query import Engine, Search


@pytest.fixture(scope="module")
def index(_parsed_samples, tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("index"))
    ix.update(_parsed_samples.cases)
    yield ix
    ix.close()


def engine(index, **caps) -> Engine:
    return Engine(index, Caps(**caps))


def past() -> Deadline:
    """A deadline already gone by (no clock read by the test, nothing timed)."""
    deadline = Deadline(100)
    deadline.at -= 3600
    return deadline


@pytest.mark.parametrize("q", ["custody", "*a*", "custdy polise", "supervis* AND NOT training", ""])
def test_a_search_past_its_deadline_is_an_error_not_a_partial_answer(index, q):
    e = engine(index)
    e.forget()  # nothing cached: the search has work to do
    with pytest.raises(QueryTimeout) as raised:
        e.search(Search(q=q), past())
    assert raised.value.code == "query_timeout" and "100 ms" in raised.value.message
    with pytest.raises(QueryTimeout):
        e.export(Search(q=q), deadline=past())
    assert e.search(Search(q=q), Deadline(60_000)).total >= 0  # the same search within its time answers


def test_no_deadline_leaks_into_the_next_search_of_the_thread(index):
    e = engine(index)
    with pytest.raises(QueryTimeout):
        e.search(Search(q="custody"), past())
    e.forget()
    assert e.search(Search(q="custody")).total > 0
    assert limits._current.get() is None


def test_a_prefix_past_the_cap_searches_its_first_words_and_says_so(index):
    capped, whole = engine(index, expansions=2), engine(index, expansions=100_000)
    small = capped.search(Search(q="re*", page_size=100))
    full = whole.search(Search(q="re*", page_size=100))
    assert 0 < small.total < full.total
    assert "re*" in small.notice and "more than 2 words" in small.notice and "search_max_expansions" in small.notice
    assert full.notice is None
    assert small.parsed == full.parsed  # the query reads the same; only its reach is capped
    again = engine(index, expansions=2).search(Search(q="re*", page_size=100))
    assert [h["id"] for h in again.hits] == [h["id"] for h in small.hits]  # a cap is the same every time
    header, rows = capped.export(Search(q="re*"))
    assert header.notice == small.notice and len(list(rows)) == small.total


def test_a_fuzzy_distance_past_two_edits_is_searched_with_two(index):
    result = engine(index).search(Search(q="custody~5"))
    assert "at most 2 edits" in result.notice
    assert "~5" not in result.parsed and result.total == engine(index).search(Search(q="custody~2")).total


def test_suggestions_cover_the_first_words_only_and_say_how_many_were_left(index):
    words = "custdy polise reveiw trainning complant"
    every = engine(index).search(Search(q=words))
    assert len(every.suggestions) >= 3 and every.notice is None  # the default cap covers them
    two = engine(index, suggest_words=2).search(Search(q=words))
    assert 0 < len(two.suggestions) <= 2
    assert set(two.suggestions) <= set(words.split()[:2])  # the query's first words, not any two
    assert "first 2 unknown words" in two.notice and "search_suggest_words" in two.notice
    none = engine(index, suggest_words=0).search(Search(q=words))
    assert none.suggestions == {} and none.did_you_mean is None and "5 more" in none.notice


def test_a_query_of_hundreds_of_nonsense_words_answers_with_a_few_suggestions(index):
    letters = itertools.cycle("qwertyuiopasdfghjklzxcvbnm")
    words = " ".join("".join(next(letters) for _ in range(7)) for _ in range(120))
    result = engine(index, suggest_words=3).search(Search(q=words[:1000]))
    assert result.total == 0 and len(result.suggestions) <= 3
