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

_TOKEN = re.compile(r"\w+(\.?\w+)*", re.UNICODE)  # whoosh.analysis.RegexTokenizer's default
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def normal(word: str) -> str:
    return stem(word.lower()).translate(accent_map)


def snippet(text: str, terms: frozenset[str], chars: int = 240, fragments: int = 2) -> str:
    """Up to `fragments` windows of about `chars` characters with the most matched terms, joined by
    " … ", HTML-escaped, with each match in <mark class="hit">. Empty when nothing matches."""
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text) if normal(m.group()) in terms]
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


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i
