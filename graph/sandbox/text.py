"""The text pre-check of the gate: one linear pass over a query's text, in the sandbox's own thread
(never on the event loop), that refuses at once what no read-only query holds. The engine decides
what a query is (`plan.py`, in the worker); this check is a quick refusal that must read the text
as the engines do, never a different way:

Cypher: strings in '…' or "…" with backslash escapes, names in backticks with `` for a backtick,
comments `// …` and `/* … */` (not nested), numbers as the grammars read them (`1`, `1.5`, `1e3`),
and a number glued to a word (`LIMIT 1CALL`, `0x1F` on LadybugDB, which has no hex literals) is
refused: the engines end the number where the word starts. Characters an engine may read as
whitespace where a reader does not (NBSP, U+2028, vertical tab …) are refused outside strings and
comments, and everything outside them must be ASCII. One keyword list: READ_WORDS are allowed, any
other clause word is refused by name. SPARQL: `sparql_tokens` (strings of the four quote kinds,
IRIs, comments, prefixed names) and one list of refused words (Update, SERVICE); an unclosed
literal of any kind is refused where it opens.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ontology.exc import QueryRefused

# Words that may start or continue a read-only query. Anything in CYPHER_WORDS that is not here is a
# clause that writes, administers, calls a procedure, reaches a file, an extension or another
# database, or controls a transaction, and is refused by name.
READ_WORDS = frozenset("""
MATCH OPTIONAL WHERE WITH UNWIND RETURN ORDER BY SKIP LIMIT UNION ALL DISTINCT AS ASC ASCENDING DESC
DESCENDING AND OR XOR NOT IN IS NULL TRUE FALSE CASE WHEN THEN ELSE END STARTS ENDS CONTAINS EXISTS
COUNT ANY NONE SINGLE SHORTEST ALLSHORTEST WSHORTEST TRAIL ACYCLIC OFFSET
""".split())
CYPHER_WORDS = READ_WORDS | frozenset("""
CREATE MERGE DELETE DETACH SET REMOVE DROP LOAD COPY CALL YIELD INSTALL UNINSTALL UPDATE ATTACH USE
EXPORT IMPORT ALTER FOREACH BEGIN COMMIT ROLLBACK CHECKPOINT ANALYZE TRANSACTION TRANSACTIONS PROFILE
EXPLAIN SHOW GRANT DENY REVOKE START STOP TERMINATE RENAME ENABLE DISABLE DATABASE DATABASES
EXTENSION CSV PERIODIC CONSTRAINT INDEX MACRO PROJECT GRAPH FINISH FROM TO INSERT FILTER LET
""".split())
# Procedure-like names called as functions (`apoc.load.json(…)`, `db.labels()`): any namespaced
# call is refused; plain built-in functions (count, size, toLower …) do not reach outside the graph.
BUILTIN_NAMESPACES = frozenset({"point", "date", "datetime", "localdatetime", "time", "localtime", "duration", "vector"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = " \t\n\r"
# Line ends an engine could see inside a `//` comment where a reader sees none.
_LINE_ENDS = {"\x0b", "\x0c", "\x85", "\u2028", "\u2029"}


@dataclass(frozen=True)
class Token:
    kind: str  # word | quoted | string | number | param | punct
    text: str
    at: int


def refuse(message: str, what: str) -> QueryRefused:
    return QueryRefused(f"read-only endpoint: {message}", errors={"query": what})


def tokens(text: str) -> list[Token]:
    """The tokens of a Cypher query, comments and whitespace dropped; lexical tricks refused."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            odd = set(text[i:end]) & (_LINE_ENDS | {"\r"})
            if odd:
                raise refuse(f"a comment holds a line-break character ({_name(min(odd))})", "comment")
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise refuse("a /* comment is not closed", "comment")
            i = end + 2
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise refuse(f"a string opened with {c} at character {i} is not closed", "unterminated string")
            out.append(Token("string", text[i:j + 1], i))
            i = j + 1
        elif c == "`":
            j = i + 1
            while True:
                j = text.find("`", j)
                if j < 0:
                    raise refuse(f"a `quoted name` opened at character {i} is not closed", "unterminated backtick")
                if text.startswith("``", j):
                    j += 2
                    continue
                break
            out.append(Token("quoted", text[i:j + 1], i))
            i = j + 1
        elif c == "$":
            m = _IDENT.match(text, i + 1)
            end = m.end() if m else i + 1
            while not m and end < n and text[end].isdigit():
                end += 1
            if end == i + 1:
                raise refuse("a $ is not followed by a parameter name", "$")
            if end < n and (text[end].isalnum() or text[end] == "_"):
                raise refuse(f"a parameter runs into a word ({text[i:end + 1]}…)", text[i:end + 1])
            out.append(Token("param", text[i:end], i))
            i = end
        elif (m := _IDENT.match(text, i)):
            out.append(Token("word", m.group(), i))
            i = m.end()
        elif c.isdigit():
            j = _number_end(text, i)
            if j < n and (text[j].isalnum() or text[j] == "_"):
                raise refuse(f"a number runs into a word ({text[i:j + 1]}…): the engines read two tokens there; "
                             "put a space between them", text[i:j + 1])
            out.append(Token("number", text[i:j], i))
            i = j
        elif c.isascii() and c.isprintable():
            out.append(Token("punct", c, i))
            i += 1
        else:
            raise refuse(f"the character {_name(c)} is allowed only inside strings and comments", _name(c))
    return out


def _number_end(text: str, i: int) -> int:
    """Where the number at `i` ends as the grammars read it: digits, `.digits`, an exponent."""
    n = len(text)
    j = i
    while j < n and text[j].isdigit():
        j += 1
    if j + 1 < n and text[j] == "." and text[j + 1].isdigit():
        j += 1
        while j < n and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1 + (j + 1 < n and text[j + 1] in "+-")
        if k < n and text[k].isdigit():
            j = k
            while j < n and text[j].isdigit():
                j += 1
    return j


def check_cypher(text: str) -> None:
    """Refuse a Cypher query that is not one read-only statement (QueryRefused names what is wrong)."""
    toks = tokens(text)
    if not toks:
        raise refuse("the query is empty", "empty")
    semis = [k for k, t in enumerate(toks) if t.kind == "punct" and t.text == ";"]
    if semis and (len(semis) > 1 or semis[0] != len(toks) - 1):
        raise refuse("one statement at a time (a ';' ends the first)", ";")
    if semis:
        toks = toks[:-1]
    first = toks[0]
    if first.kind != "word" or first.text.upper() not in {"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN"}:
        word = first.text.upper() if first.kind == "word" else first.text
        raise refuse(f"a query starts with MATCH, OPTIONAL MATCH, WITH, UNWIND or RETURN, not {word}", word)
    for k, t in enumerate(toks):
        if t.kind != "word":
            continue
        prev = toks[k - 1].text if k and toks[k - 1].kind == "punct" else None
        after = toks[k + 1].text if k + 1 < len(toks) and toks[k + 1].kind == "punct" else None
        if prev == "." and after == "(" and _dotted(toks, k).split(".")[0].lower() not in BUILTIN_NAMESPACES:
            raise refuse(f"procedures and namespaced functions are not allowed ({_dotted(toks, k)})", _dotted(toks, k))
        if prev in (".", ":") or (after == ":" and prev in ("{", ",")):
            continue  # a property, a label or relationship type, a map key: names, not clauses
        word = t.text.upper()
        if word in CYPHER_WORDS and word not in READ_WORDS:
            raise refuse(f"{word} is not allowed (only MATCH, OPTIONAL MATCH, WHERE, WITH, UNWIND, RETURN, "
                         "ORDER BY, SKIP, LIMIT and UNION)", word)


def _dotted(toks: list[Token], k: int) -> str:
    j = k
    while j >= 2 and toks[j - 1].text == "." and toks[j - 2].kind == "word":
        j -= 2
    return ".".join(t.text for t in toks[j:k + 1] if t.kind == "word")


def _name(c: str) -> str:
    return f"U+{ord(c):04X} {unicodedata.name(c, 'control')}"


# -- SPARQL ---------------------------------------------------------------------------------------

# The one list of SPARQL words refused wherever they stand (the query grammar has none of them).
SPARQL_REFUSED = {"SERVICE": "SERVICE"} | {w: f"SPARQL Update ({w})" for w in (
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")}
_IRI_STOP = frozenset('<>"{}|^`\\')
_NAME_CHARS = frozenset("_-.:%\\")


def sparql_tokens(text: str) -> list[Token]:
    """The tokens of a (normalised) SPARQL query in one pass, each character read at most twice:
    keywords (`word`), prefixed names and blank nodes (`name`), variables, IRIs, strings, numbers
    and punctuation; comments and whitespace dropped. A string literal of any of the four quote
    kinds that is not closed is refused here, naming the quote and where it opens."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while True:
                if j >= n or (len(quote) == 1 and text[j] == "\n"):
                    raise QueryRefused(f"a string literal opened with {quote} at character {i} is not closed",
                                       errors={"query": "unterminated string"})
                if text[j] == "\\":
                    j += 2
                elif text.startswith(quote, j):
                    break
                else:
                    j += 1
            j += len(quote)
            out.append(Token("string", text[i:j], i))
            i = j
        elif c == "<":
            j = i + 1
            while j < n and text[j] not in _IRI_STOP and text[j] > " ":
                j += 1
            if j < n and text[j] == ">":  # an IRI; otherwise `<` is a comparison (the scan stopped at the next `<`)
                out.append(Token("iri", text[i:j + 1], i))
                i = j + 1
            else:
                out.append(Token("punct", c, i))
                i += 1
        elif c in "?$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("param", text[i:j], i))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isdigit() or text[j] in ".eE" or (text[j] in "+-" and text[j - 1] in "eE")):
                j += 1
            out.append(Token("number", text[i:j], i))
            i = j
        elif c.isalpha() or c in "_:":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in _NAME_CHARS):
                j += 2 if text[j] == "\\" else 1
            while j > i + 1 and text[j - 1] == ".":  # a name never ends with a dot: that one ends a triple
                j -= 1
            word = text[i:j]
            out.append(Token("name" if ":" in word else "word", word, i))
            i = j
        else:
            out.append(Token("punct", c, i))
            i += 1
    return out


def normalise_sparql(text: str) -> str:
    """The one text every check and both parsers read. rdflib (which checks) and Oxigraph (which
    evaluates) disagree on two things, and each was a way round the checks: a comment ends at CR for
    Oxigraph but not for rdflib (so `# x\\rSERVICE <…>` hid a SERVICE from the check), and rdflib
    expands \\u escapes before parsing, as the SPARQL grammar says, where Oxigraph does not. So line
    ends become LF and the escapes are expanded here, once; an escape that expands into another
    escape is refused."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        text = expandUnicodeEscapes(text)
    except ValueError as e:
        raise QueryRefused(f"the query has an invalid \\u escape: {e}", errors={"query": "escape"}) from None
    if _ESCAPE.search(text):
        raise QueryRefused("the query has a \\u escape that spells another escape", errors={"query": "escape"})
    return text.replace("\r\n", "\n").replace("\r", "\n")


_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")


def scan_sparql(text: str, allow_service: bool = False) -> list[Token]:
    """The tokens of a normalised query, after a quick look for keywords that are refused whatever
    follows (outside strings, IRIs and comments; a prefixed name such as ex:service is a name). The
    parse in the worker (`check_sparql`) is the real check; this only saves a worker for the common
    refusals and for text no parser would take."""
    toks = sparql_tokens(text)
    for t in toks:
        word = t.text.upper() if t.kind == "word" else ""
        if word in SPARQL_REFUSED and not (word == "SERVICE" and allow_service):
            raise QueryRefused(f"read-only endpoint: {SPARQL_REFUSED[word]} is not allowed" + (
                " (federated queries are off; IOPC_KG_SPARQL_ENDPOINTS lists the endpoints that are)" if word == "SERVICE" else ""),
                errors={"query": word})
    return toks


def first_word(toks: list[Token]) -> str:
    """The first keyword after the prologue (PREFIX p: <…>, BASE <…>): `PREFIX x: <…> INSERT DATA …` is Update too."""
    k = 0
    while k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() in ("PREFIX", "BASE"):
        k += 3 if toks[k].text.upper() == "PREFIX" else 2
    return toks[k].text.upper() if k < len(toks) and toks[k].kind == "word" else ""
