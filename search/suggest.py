"""Spelling suggestions: the words of a query that appear nowhere in the corpus, with the nearest words
that do, for at most `caps.suggest_words` of them."""

from __future__ import annotations

import re

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector

from ontology.gazetteer import fold
from search.fields import DEFAULT_FIELDS
from search.index import SearchIndex
from search.limits import Caps, check

MAX_SPELT = 40  # longer words are not spelt out: no word of the corpus is that long, and the automaton grows with it
_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"and", "or", "not", "to"}
_FUZZY_WORD = re.compile(r"\w+~[\d.]*")
_FIELD_VALUE = re.compile(r"\w+:(?:\"[^\"]*\"|\[[^\]]*\]|\S+)")


def suggest(index: SearchIndex, caps: Caps, s: Searcher, q: wq.Query, text: str) -> tuple[str | None, dict[str, list[str]], str | None]:
    """Words of the query that appear nowhere in the corpus, with the nearest words that do: for
    the first `caps.suggest_words` of them in the query (a notice says when more were left)."""
    words = {t.decode() if isinstance(t, bytes) else t for f, t in _plain_terms(q)}
    # A word the reader marked fuzzy (custdy~) already matches its near spellings: offering
    # "custody~" above good fuzzy hits reads as an error. Field names and their values
    # (foo:bar) are not words of the text: correcting them gave "for:part".
    plain = _FIELD_VALUE.sub(" ", _FUZZY_WORD.sub(" ", text or ""))
    raw_words = dict.fromkeys(w for w in _WORD.findall(plain) if w.lower() not in _OPERATORS)
    vocabulary = index.vocabulary()
    if not vocabulary:
        return None, {}, None
    corrector = index.cached("corrector", lambda _: ListCorrector(sorted(vocabulary)), searcher=s)
    suggestions: dict[str, list[str]] = {}
    spelt, left = 0, 0
    for word in raw_words:  # in the query's order: the cap keeps its first words
        low = fold(word).lower()
        if low in vocabulary or low.isdigit() or len(low) < 3 or len(low) > MAX_SPELT:
            continue
        if not any(low.startswith(w[:3]) for w in words):
            continue  # a field value or operator, not a word searched in the text
        if _indexed(s, low):
            continue  # in the corpus in another form ("rouse" finds "rousing"): nothing to correct,
            # and the spelling automaton was a quarter of a first search where it ran
        if spelt >= caps.suggest_words:
            left += 1
            continue
        check()
        spelt += 1
        found = [x for x in corrector.suggest(low, limit=3, maxdist=2) if x != low]
        if found:
            suggestions[word] = found
    notice = (f"Spelling suggestions cover the first {caps.suggest_words} unknown words of the query; "
              f"{left} more were not looked up (the search_suggest_words setting)") if left else None
    if not suggestions:
        return None, {}, notice
    suggestions = dict(sorted(suggestions.items()))
    corrected = text
    for word, found in suggestions.items():
        corrected = re.sub(rf"\b{re.escape(word)}\b", found[0], corrected)
    return corrected, suggestions, notice


def _indexed(s: Searcher, word: str) -> bool:
    """Whether a word, analysed as a search analyses it, is a term of a field bare words search."""
    reader = s.reader()
    for name in DEFAULT_FIELDS:
        field = s.schema[name]
        if any((name, t) in reader for t in field.process_text(word, mode="query")):
            return True
    return False


def _plain_terms(q: wq.Query):
    """(field, text) of the terms of `q` searched in the free-text fields."""
    out = []
    for leaf in q.leaves() if q.children() else [q]:
        leaf = getattr(leaf, "inner", leaf)  # an Expansion: the prefix or fuzzy term it caps
        if isinstance(leaf, (wq.Term, wq.FuzzyTerm, wq.Prefix)) and leaf.fieldname in DEFAULT_FIELDS:
            out.append((leaf.fieldname, leaf.text))
        elif isinstance(leaf, wq.Phrase) and leaf.fieldname in DEFAULT_FIELDS:
            out += [(leaf.fieldname, w) for w in leaf.words]
    return out
