"""What the search says besides its hits: no "did you mean" for a word the reader already made fuzzy
or for a field name, and snippets on one line (issue 19)."""

from __future__ import annotations

import pytest

from search.query import Search


def run(engine, q):
    return engine.search(Search(q=q, page_size=100))


def test_no_suggestion_for_a_word_already_searched_fuzzily(engine):
    fuzzy = run(engine, "custdy~")
    assert fuzzy.total > 0  # the fuzzy word found custody
    assert fuzzy.did_you_mean is None and fuzzy.suggestions == {}
    assert run(engine, "custdy").did_you_mean == "custody"  # without the ~ the correction is offered


def test_no_suggestion_rewrites_a_field_name_or_value(engine):
    for q in ("foo:bar", "force:essexx", 'response:"goverance group"'):
        result = run(engine, q)
        assert result.did_you_mean is None, (q, result.did_you_mean)


def test_snippets_hold_no_line_breaks(engine, _parsed_samples):
    # The samples' texts do hold line breaks (lists inside a recommendation).
    assert any("\n" in r.text for c in _parsed_samples.cases for r in c.recommendations)
    for q in ("police", "custody", "review", ""):
        for hit in run(engine, q).hits:
            for text in hit["snippets"].values():
                assert "\n" not in text and "\r" not in text and "  " not in text, text
