"""How a query is read: the repairs that turn a query that cannot be read as written into its most
plausible reading, each one said, so a parsing artefact never shows as a silent zero.

Whoosh forgives a dangling operator by searching it as a word (`Essex AND` requires the word
"AND"), reads `force:` with no value as the word "force", and an unclosed range as two words. A
researcher sees 0 hits and no reason. `repair` reads the query's tokens before Whoosh does: it
drops an operator with nothing on one side, a field with no value and an unmatched closing bracket,
closes an open quotation mark, bracket or range, and reads `-word` as `NOT word`; each repair adds a
note. After parsing, `without_empty_words` drops words that only the reference field kept (a common
word such as "the", or a lone "-", is left out of the text fields by the analyser and would
otherwise be required in the reference), and `with_compounds` lets a prefix find the hyphenated
words the analyser split (`bodywor*` finds "body-worn", indexed as "body" and "worn").
"""

from __future__ import annotations

import re

from whoosh import query as wq

BINARY = {"AND", "OR", "ANDNOT", "ANDMAYBE", "REQUIRE"}
UNARY = {"NOT"}
_FIELD_START = re.compile(r"(\w+):")
_COMPARISON = re.compile(r"^(?:<=|>=|<|>|=)?$")
MAX_EXPANSIONS = 20  # words a compound prefix's last part expands to, per split


def repair(text: str) -> tuple[str, list[str]]:
    """The query as it can be read, and what was changed to read it (empty when nothing was)."""
    tokens, notes = _tokens(text)
    tokens = _balanced(tokens, notes)
    tokens = _with_operands(tokens, notes)
    return _joined(tokens), notes


def _range_shaped(inner: list[str]) -> bool:
    """`a TO b`, `a TO` or `TO b`: a range Whoosh reads as one."""
    return inner.count("TO") == 1 and (inner.index("TO") == 1 if len(inner) == 3 else len(inner) == 2)


def _joined(tokens: list[tuple[str, str]]) -> str:
    out, before = [], "open"
    for kind, t in tokens:
        if before != "open" and kind != "close":
            out.append(" ")
        out.append(t)
        before = kind
    return "".join(out)


def _tokens(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(kind, text) tokens: word, op, open, close, with fields, phrases and ranges kept whole."""
    out: list[tuple[str, str]] = []
    notes: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            out.append(("open", "("))
            i += 1
        elif c == ")":
            out.append(("close", ")"))
            i += 1
        elif c == '"':
            phrase, i = _quoted(text, i, notes)
            out.append(("word", phrase))
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                if text[j] in "[{" and j > i and text[j - 1] == ":":
                    break
                j += 1
            word = text[i:j]
            field = _FIELD_START.match(word)
            if field and field.end() == len(word) and j < n and text[j] == '"':
                phrase, j = _quoted(text, j, notes)
                out.append(("word", word + phrase))
            elif field and field.end() == len(word) and j < n and text[j] in "[{":
                close = "]" if text[j] == "[" else "}"
                end = text.find(close, j)
                if end < 0:
                    body = text[j:].rstrip()
                    if " TO" not in body:
                        body += " TO"
                    notes.append(f"the range after {word!r} is not closed, so it was closed at the end")
                    out.append(("word", word + body + close))
                    j = n
                else:
                    body = text[j:end + 1]
                    inner = body[1:-1].split()
                    if not _range_shaped(inner):
                        # not `a TO b`, `a TO` or `TO b` (`year:[2020 2022]`): the range its outer ends say
                        ends = [t for t in inner if t != "TO"]
                        body = f"{body[0]}{ends[0]} TO{' ' + ends[-1] if len(ends) > 1 else ''}{body[-1]}" if ends else ""
                        notes.append(f"the range after {word!r} was not 'from TO to', so it was "
                                     + (f"read as {word + body!r}" if body else "left out"))
                    if body:
                        out.append(("word", word + body))
                    j = end + 1
            elif field and field.end() == len(word) and j < n and text[j] == "(":
                out.append(("open", word + "("))
                j += 1
            elif field and _COMPARISON.match(word[field.end():]) and field.group(1).lower() != "http":
                notes.append(f"{word!r} has no value, so it was left out")
            elif word in BINARY or word in UNARY:
                out.append(("op", word))
            elif len(word) > 1 and word[0] == "-" and word[1].isalnum():
                notes.append(f"{word!r} was read as 'NOT {word[1:]}'")
                out += [("op", "NOT"), ("word", word[1:])]
            else:
                out.append(("word", word))
            i = j
    return out, notes


def _quoted(text: str, i: int, notes: list[str]) -> tuple[str, int]:
    end = text.find('"', i + 1)
    if end < 0:
        notes.append("a quotation mark is not closed, so it was closed at the end")
        return text[i:].rstrip() + '"', len(text)
    return text[i:end + 1], end + 1


def _balanced(tokens: list[tuple[str, str]], notes: list[str]) -> list[tuple[str, str]]:
    out, depth = [], 0
    for kind, t in tokens:
        if kind == "close" and depth == 0:
            notes.append("a closing bracket has no opening one, so it was left out")
            continue
        depth += {"open": 1, "close": -1}.get(kind, 0)
        out.append((kind, t))
    if depth:
        notes.append("a bracket is not closed, so it was closed at the end")
        out += [("close", ")")] * depth
    return out


def _with_operands(tokens: list[tuple[str, str]], notes: list[str]) -> list[tuple[str, str]]:
    """Drop operators with nothing to act on (repeatedly: dropping one can strand another) and
    brackets left empty."""
    while True:
        out: list[tuple[str, str]] = []
        changed = False
        for k, (kind, t) in enumerate(tokens):
            before = out[-1][0] if out else None
            after = tokens[k + 1] if k + 1 < len(tokens) else None
            if kind == "op":
                lonely_after = after is None or after[0] == "close" or (after[0] == "op" and after[1] in BINARY)
                lonely_before = t in BINARY and before in (None, "open", "op")
                if lonely_after or lonely_before:
                    where = "with nothing after it" if lonely_after else "with nothing before it"
                    notes.append(f"{t!r} {where} was left out")
                    changed = True
                    continue
            if kind == "close" and before == "open":
                out.pop()
                changed = True
                continue
            out.append((kind, t))
        tokens = out
        if not changed:
            return tokens


# -- after parsing ---------------------------------------------------------------------------------

def _rewrite(q: wq.Query, fn) -> wq.Query:
    if q.children():
        q = q.apply(lambda c: _rewrite(c, fn))
    return fn(q)


def without_empty_words(q: wq.Query, text_fields: set[str], analyzer, keep_fields: set[str]) -> tuple[wq.Query, list[str]]:
    """`q` without terms of the bare-word fields that are not text-analysed (`keep_fields`, the
    reference) whose word the text analyser leaves nothing of: a common word ("the", "of") or a
    lone mark ("-", "~"). Each would otherwise be a required word no recommendation holds."""
    dropped: list[str] = []

    def drop(node):
        if isinstance(node, wq.Term) and node.fieldname in keep_fields and isinstance(node.text, str) \
                and not any(True for _ in analyzer(node.text, mode="query")):
            dropped.append(node.text)
            return wq.NullQuery
        return node

    out = _rewrite(q, drop).normalize() if q.children() or isinstance(q, wq.Term) else q
    return out, dropped


def with_compounds(q: wq.Query, reader, analyzer, text_fields: set[str]) -> wq.Query:
    """Prefixes of the text fields also find hyphenated and two-word compounds: the analyser
    splits "body-worn" into "body" and "worn", so `body-wor*` and `bodywor*` are read as the
    phrase of a whole word then a prefix ("body" "wor*"), beside the prefix as written."""

    def prefix(node):  # a prefix, or a prefix capped by search.limits.Expansion (it widens as its prefix)
        inner = getattr(node, "inner", node)
        return inner if isinstance(inner, wq.Prefix) and inner.fieldname in text_fields else None

    def widen(node):
        found = prefix(node)
        if found is None:
            return node
        phrases = _compound_phrases(found.fieldname, found.text, reader, analyzer)
        return wq.Or([node, *phrases]) if phrases else node

    return _rewrite(q, widen) if q.children() or prefix(q) is not None else q


def _compound_phrases(field: str, prefix: str, reader, analyzer) -> list[wq.Query]:
    parts = [p for p in re.split(r"[\W_]+", prefix) if p]
    splits = []
    if len(parts) > 1:
        splits.append((parts[:-1], parts[-1]))
    elif len(prefix) >= 5:
        splits += [([prefix[:k]], prefix[k:]) for k in range(3, len(prefix) - 1)]
    out = []
    for heads, tail in splits:
        stems = [t.text for h in heads for t in analyzer(h, mode="query")]
        if not stems or len(stems) != len(heads) or any((field, s) not in reader for s in stems):
            continue
        tails = [t.decode() if isinstance(t, bytes) else t for t in reader.expand_prefix(field, tail.lower())]
        for word in tails[:MAX_EXPANSIONS]:
            out.append(wq.Phrase(field, [*stems, word]))
    return out


def describe(q: wq.Query) -> str:
    """The query as the engine read it, in the query language's own words (no internal names)."""
    if isinstance(q, wq.Every):
        return "*"
    if q is wq.NullQuery:
        return ""
    return str(q)
