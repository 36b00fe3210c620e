"""The text pre-check, a quick refusal (the engine decides what a query is: `plan.py`): one linear,
table-driven scan that ends tokens where the engines do (`LIMIT 1CALL` and `0x1F` are refused: two
tokens to them), then one keyword list per language. An unclosed literal is refused where it opens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ontology.exc import QueryRefused

# The one Cypher keyword list: clause words that write, administer, call a procedure, reach a file, an
# extension or another database, or control a transaction, refused by name wherever they stand as words.
REFUSED_WORDS = frozenset("""
CREATE MERGE DELETE DETACH SET REMOVE DROP LOAD COPY CALL YIELD INSTALL UNINSTALL UPDATE ATTACH USE
EXPORT IMPORT ALTER FOREACH BEGIN COMMIT ROLLBACK CHECKPOINT ANALYZE TRANSACTION TRANSACTIONS PROFILE
EXPLAIN SHOW GRANT DENY REVOKE START STOP TERMINATE RENAME ENABLE DISABLE DATABASE DATABASES
EXTENSION CSV PERIODIC CONSTRAINT INDEX MACRO PROJECT GRAPH FINISH FROM TO INSERT FILTER LET
""".split())
# Namespaced calls (`apoc.load.json(…)`, `db.labels()`) are refused but for these built-ins.
BUILTIN_NAMESPACES = frozenset({"point", "date", "datetime", "localdatetime", "time", "localtime", "duration", "vector"})
# The SPARQL words refused wherever they stand (the query grammar has none of them).
SPARQL_REFUSED = {w: f"SPARQL Update ({w})" for w in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")}
SPARQL_REFUSED["SERVICE"] = "SERVICE (federated queries are off; IOPC_KG_SPARQL_ENDPOINTS lists the endpoints that are)"
_SPACE = frozenset(" \t\n\r")
_DIGITS = frozenset("0123456789")
_LINE_ENDS = frozenset("\r\x0b\x0c\x85\u2028\u2029")  # line ends some engine sees inside a `//` comment
_IRI_STOP = frozenset('<>"{}|^`\\')
_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")  # fixed width: no backtracking


@dataclass(frozen=True)
class Token:
    kind: str  # word | name (prefixed, SPARQL) | quoted | string | iri | number | param | punct
    text: str
    at: int


@dataclass(frozen=True)
class Lexicon:
    """How a language's text divides into tokens: the scanner's table."""
    comments: dict  # opening -> closing (a line comment closes at LF)
    quotes: dict  # opening quote (longest first) -> (token kind, ends at a line break)
    params: str  # characters that start a parameter or variable
    iris: bool  # <…>
    name_start: object  # char -> bool
    name_char: object  # char -> bool
    strict: bool  # printable ASCII only outside literals; no number glued to a word; no odd line end in a comment


CYPHER = Lexicon({"//": "\n", "/*": "*/"}, {"'": ("string", False), '"': ("string", False), "`": ("quoted", False)}, "$", False,
                 lambda c: c.isascii() and (c.isalpha() or c == "_"), lambda c: c.isascii() and (c.isalnum() or c == "_"), True)
SPARQL = Lexicon({"#": "\n"}, {"'''": ("string", False), '"""': ("string", False), "'": ("string", True), '"': ("string", True)},
                 "?$", True, lambda c: c.isalpha() or c in "_:", lambda c: c.isalnum() or c in "_-.:%\\", False)


def refuse(message: str, what: str | None) -> QueryRefused:
    """The refusal of a query; `what` None: the engine's own error message, which names what it is."""
    if what is None:
        return QueryRefused(f"the engine does not take the query: {message[:500]}", errors={"query": message[:300]})
    return QueryRefused(f"read-only endpoint: {message}", errors={"query": what})


def tokens(text: str, lex: Lexicon = CYPHER) -> list[Token]:
    """The tokens of a query, comments and whitespace dropped; each character is read once or twice."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c, j = text[i], i + 1
        if c in _SPACE:
            i = j
            continue
        opening = next((o for o in lex.comments if text.startswith(o, i)), None)
        if opening:
            closing = lex.comments[opening]
            end = text.find(closing, i + len(opening))
            if closing == "\n":
                end = n if end < 0 else end
                if lex.strict and (odd := set(text[i:end]) & _LINE_ENDS):
                    raise refuse(f"a comment holds a line-break character ({_name(min(odd))})", "comment")
            elif end < 0:
                raise refuse(f"a {opening} comment is not closed", "comment")
            i = end + (closing != "\n") * len(closing)
            continue
        quote = next((q for q in lex.quotes if text.startswith(q, i)), None)
        if quote:
            kind, one_line = lex.quotes[quote]
            j = _literal_end(text, i, quote, one_line)
        elif lex.iris and c == "<":
            while j < n and text[j] not in _IRI_STOP and text[j] > " ":
                j += 1
            # an IRI; otherwise `<` is a comparison (the scan stopped at the next `<` or space)
            kind, j = ("iri", j + 1) if j < n and text[j] == ">" else ("punct", i + 1)
        elif c in lex.params:
            while j < n and lex.name_char(text[j]) and text[j] not in "-.:%\\":
                j += 1
            kind, body = "param", text[i + 1:j]
            if lex.strict and (not body or (body[0] in _DIGITS and not body.isdigit())):
                raise refuse(f"a {c} is not followed by a parameter name", text[i:j + 1])
        elif lex.strict and not (c.isascii() and c.isprintable()):
            raise refuse(f"the character {_name(c)} is allowed only inside strings and comments", _name(c))
        elif c in _DIGITS:
            kind, j = "number", _number_end(text, i)
        elif lex.name_start(c):
            while j < n and lex.name_char(text[j]):
                j += 2 if text[j] == "\\" else 1
            j = min(j, n)
            while j > i + 1 and text[j - 1] == ".":  # a name never ends with a dot: that one ends a triple
                j -= 1
            kind = "name" if ":" in text[i:j] else "word"
        else:
            kind = "punct"
        if lex.strict and kind in ("number", "param") and j < n and (text[j].isalnum() or text[j] == "_"):
            raise refuse(f"a {kind} runs into a word ({text[i:j + 1]}…): the engines read two tokens there; "
                         "put a space between them", text[i:j + 1])
        out.append(Token(kind, text[i:j], i))
        i = j
    return out


def _literal_end(text: str, i: int, quote: str, one_line: bool) -> int:
    """Past the quote that closes the literal at `i` (backslash escapes; a doubled backtick); refused if unclosed."""
    j, n = i + len(quote), len(text)
    while j < n and not (one_line and text[j] == "\n"):
        if text[j] == "\\" and quote != "`":
            j += 2
        elif text.startswith(quote, j):
            if quote != "`" or not text.startswith("``", j):
                return j + len(quote)
            j += 2
        else:
            j += 1
    raise refuse(f"a literal opened with {quote} at character {i} is not closed", "unterminated literal")


def _number_end(text: str, i: int) -> int:
    """Where the number at `i` ends as the grammars read it: digits, `.digits`, an exponent."""
    j = _digits_end(text, i)
    if text[j:j + 1] == "." and text[j + 1:j + 2] in _DIGITS:
        j = _digits_end(text, j + 1)
    k = j + 1 + (text[j + 1:j + 2] in ("+", "-"))
    return _digits_end(text, k) if text[j:j + 1] in ("e", "E") and text[k:k + 1] in _DIGITS else j


def _digits_end(text: str, j: int) -> int:
    while j < len(text) and text[j] in _DIGITS:
        j += 1
    return j


def check_cypher(text: str) -> None:
    """Refuse a Cypher query that is not one read-only statement (QueryRefused names what is wrong)."""
    toks = tokens(text)
    if toks and toks[-1].text == ";" and toks[-1].kind == "punct":
        toks = toks[:-1]
    if not toks:
        raise refuse("the query is empty", "empty")
    if any(t.kind == "punct" and t.text == ";" for t in toks):
        raise refuse("one statement at a time (a ';' ends the first)", ";")
    first = toks[0]
    if first.kind != "word" or first.text.upper() not in {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN"}:
        word = first.text.upper() if first.kind == "word" else first.text
        raise refuse(f"a query starts with MATCH, OPTIONAL MATCH, WITH, UNWIND or RETURN, not {word}", word)
    for k, t in enumerate(toks):
        if t.kind != "word":
            continue
        prev = toks[k - 1].text if k and toks[k - 1].kind == "punct" else None
        after = toks[k + 1].text if k + 1 < len(toks) and toks[k + 1].kind == "punct" else None
        if prev == "." and after == "(":
            j = k  # the whole dotted name: `apoc.load.json`
            while j >= 2 and toks[j - 1].text == "." and toks[j - 2].kind == "word":
                j -= 2
            dotted = ".".join(x.text for x in toks[j:k + 1] if x.kind == "word")
            if dotted.split(".")[0].lower() not in BUILTIN_NAMESPACES:
                raise refuse(f"procedures and namespaced functions are not allowed ({dotted})", dotted)
        if prev in (".", ":") or (after == ":" and prev in ("{", ",")):
            continue  # a property, a label or relationship type, a map key: names, not clauses
        word = t.text.upper()
        if word in REFUSED_WORDS:
            raise refuse(f"{word} is not allowed (only MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, "
                         "ORDER BY, SKIP, LIMIT and UNION)", word)


def _name(c: str) -> str:
    return f"U+{ord(c):04X} {unicodedata.name(c, 'control')}"


def normalise_sparql(text: str) -> str:
    """The one text every check and both parsers read: rdflib (which checks) expands \\u escapes and ends a
    comment at LF only, Oxigraph (which evaluates) does neither (`# x\\rSERVICE <…>` hid from the check).
    So line ends become LF and escapes are expanded, once; an escape that spells another is refused."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        text = expandUnicodeEscapes(text)
    except ValueError as e:
        raise refuse(f"the query has an invalid \\u escape: {e}", "escape") from None
    if _ESCAPE.search(text):
        raise refuse("the query has a \\u escape that spells another escape", "escape")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def scan_sparql(text: str, allow_service: bool = False) -> list[Token]:
    """The tokens of a normalised query, after refusing the words refused wherever they stand (outside
    literals, IRIs and comments; a prefixed name such as ex:service is a name)."""
    toks = tokens(text, SPARQL)
    for t in toks:
        word = t.text.upper() if t.kind == "word" else ""
        if word in SPARQL_REFUSED and not (word == "SERVICE" and allow_service):
            raise refuse(f"{SPARQL_REFUSED[word]} is not allowed", word)
    return toks


def first_word(toks: list[Token]) -> str:
    """The first keyword after the prologue (PREFIX p: <…>, BASE <…>): `PREFIX x: <…> INSERT DATA …` is Update too."""
    k = 0
    while k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() in ("PREFIX", "BASE"):
        k += 3 if toks[k].text.upper() == "PREFIX" else 2
    return toks[k].text.upper() if k < len(toks) and toks[k].kind == "word" else ""
