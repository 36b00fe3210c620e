"""Snippets mark exactly the words a token walk of the text would mark.

`search.snippets.matches` normalises each distinct word once and finds the matched ones with
`str.find`; the reference here walks every token as Whoosh's tokenizer splits the text. Generated
texts mix words, dots inside and between words, underscores, digits, accents and punctuation.
"""

from __future__ import annotations

import os
import re

from hypothesis import given, settings, strategies as st

from search.snippets import matches, normal, snippet

TOKEN = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # whoosh.analysis.RegexTokenizer's default
CI = os.environ.get("CI", "").lower() == "true"


def walked(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(text) if normal(m.group()) in terms]


WORDS = ["review", "reviews", "reviewed", "Review", "custody", "café", "cafe", "e.g", "x_y", "2024", "rousing", "rouse", "a"]
PIECES = st.sampled_from([*WORDS, " ", ".", "..", ", ", "-", "\n", "_", "'", "é"])


@settings(max_examples=400, deadline=None, derandomize=CI)
@given(st.lists(PIECES, max_size=40), st.sets(st.sampled_from([normal(w) for w in WORDS]), min_size=1, max_size=3))
def test_matched_words_are_the_token_walks(pieces, terms):
    text = "".join(pieces)
    terms = frozenset(terms)
    assert matches(text, terms) == walked(text, terms)


def test_a_snippet_marks_every_form_of_a_word():
    text = "The force reviewed its policy. Reviews of e.g. custody are done; a review.of and reviewing."
    marked = snippet(text, frozenset({normal("review")}))
    # "review.of" is one token (a dot between word characters joins them), not the word "review"
    assert re.findall(r'<mark class="hit">(\w+)</mark>', marked) == ["reviewed", "Reviews", "reviewing"]
    assert "a review.of and" in marked
