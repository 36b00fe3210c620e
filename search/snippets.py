"""Highlighted snippets: the stretches of a text where the query's terms are densest, terms marked.

Words are normalised as the index analyses them (Whoosh's default token pattern, lower case, Porter
stem, accents folded), so "reminders" is marked for the query "reminder". This replaces Whoosh's
highlighter, which runs the whole analyser chain token by token and cost most of a warm search
(9 of 11 ms for 20 hits, docs/BENCHMARKS.md).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

_TOKEN = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)  # whoosh.analysis.RegexTokenizer's default
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def normal(word: str) -> str:
    return stem(word.lower()).translate(accent_map)


def snippet(text: str, terms: frozenset[str], chars: int = 240, fragments: int = 2) -> str:
    """Up to `fragments` windows of about `chars` characters with the most matched terms, joined by
    " … ", HTML-escaped, with each match in <mark class="hit">. Empty when nothing matches."""
    spans = matches(text, terms)
    if not spans:
        return ""
    chosen: list[tuple[int, int]] = []
    remaining = spans
    while remaining and len(chosen) < fragments:
        best, best_n = None, 0
        j = 0
        for i, (start, _) in enumerate(remaining):  # windows that start at a match
            while j < len(remaining) and remaining[j][1] - start <= chars:
                j += 1
            if j - i > best_n:
                best, best_n = (i, j), j - i
            j = max(j, i + 1)
        i, j = best
        first, last = remaining[i][0], remaining[j - 1][1]
        pad = max(0, (chars - (last - first)) // 2)
        lo = _word_start(text, max(0, first - pad))
        hi = _word_end(text, min(len(text), last + pad))
        chosen.append((lo, hi))
        remaining = [s for s in remaining if s[1] <= lo or s[0] >= hi]
    out = []
    for lo, hi in sorted(chosen):
        parts, pos = [], lo
        for start, end in spans:
            if start >= lo and end <= hi:
                parts.append(html.escape(text[pos:start], quote=False))
                parts.append(f'<mark class="hit">{html.escape(text[start:end], quote=False)}</mark>')
                pos = end
        parts.append(html.escape(text[pos:hi], quote=False))
        out.append(("… " if lo > 0 else "") + "".join(parts).strip() + (" …" if hi < len(text) else ""))
    # A snippet is one line: the page's line breaks inside a window are spaces.
    return _SPACES.sub(" ", " ".join(out).replace("… …", "…"))


def matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """Where the words of `text` whose normal form is one of `terms` are, in order.

    Each distinct word is normalised once (most words of a text are not matched), and only the
    few matched words are then found, as whole tokens, with `str.find`: a page of hits took 40%
    of a never-asked search's CPU walking every token of every text through a match object."""
    hits = [w for w in set(_TOKEN.findall(text)) if normal(w) in terms]
    if not hits:
        return []
    spans = []
    for word in hits:
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if _token_at(text, at, end):
                spans.append((at, end))
            at = text.find(word, at + 1)
    spans.sort()
    return spans


def _word(c: str) -> bool:
    return c.isalnum() or c == "_"  # the re module's \w


def _token_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole token as `_TOKEN` splits the text: no word character
    (or a dot joining one) on either side."""
    if start > 0:
        c = text[start - 1]
        if _word(c) or (c == "." and start > 1 and _word(text[start - 2])):
            return False
    if end < len(text):
        c = text[end]
        if _word(c) or (c == "." and end + 1 < len(text) and _word(text[end + 1])):
            return False
    return True


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i
