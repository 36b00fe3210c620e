"""A query of plain words reads the same whether the parser reads it whole or word by word.

`Engine._parse` builds such a query as the AND of each word's own parse, kept per word (a query
never asked whose words have been asked costs no parsing); here every generated query of plain
words — stop words, numbers, capitals, operator-like lower-case words, single letters — is held
equal to what Whoosh's parser makes of the whole text, and so is its notice.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from search.index import SearchIndex
from search.query import Engine

CI = os.environ.get("CI", "").lower() == "true"
WORDS = ["custody", "rousing", "reviews", "the", "a", "and", "or", "not", "to", "of", "IOPC", "Essex", "2024", "x", "I",
         "automated", "reminders", "body", "worn", "video", "safeguarding", "be", "Athena", "e"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    index = SearchIndex(tmp_path_factory.mktemp("parse") / "index")
    yield Engine(index)
    index.close()


def whole(engine: Engine, text: str):
    """What the parser alone makes of the text (the path every other query takes)."""
    fresh = Engine(engine.index)
    fresh._word = lambda word: None  # no word's parse known: the whole text goes to the parser
    return fresh._parse(text)


@settings(max_examples=300, deadline=None, derandomize=CI)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text("abcdefghijklmnopqrstuvwxyzABC0123456789", min_size=1, max_size=8)),
                min_size=2, max_size=6))
def test_plain_words_parse_as_the_whole_text_does(engine, words):
    text = " ".join(words)
    fast, notice = engine._parse(text)
    slow, slow_notice = whole(engine, text)
    assert fast == slow and str(fast) == str(slow) and notice == slow_notice


def test_a_query_with_syntax_is_left_to_the_parser(engine):
    for text in ['custody AND rousing', '"body worn"', 'custody NOT rousing', 'force:essex custody', 'supervis* review']:
        assert engine._parse(text) == whole(engine, text)
