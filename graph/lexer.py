"""Reading untrusted query text: a Cypher tokenizer with an allow-list of read clauses, and the checks
on a parsed SPARQL query (no SERVICE, no FROM). The second line of `graph/sandbox.py`: the first is
the engine itself (a read-only database in a jailed process, or Neo4j's READ access mode).

The tokenizer reads text the way both engines' grammars do (openCypher; LadybugDB's Cypher.g4):
strings in '…' or "…" with backslash escapes, identifiers in backticks with `` for a backtick,
comments `// … end of line` and `/* … */` (not nested). A quote inside a comment starts nothing,
which is how the word scan this replaces was bypassed (issue 14: `/* ' */ LOAD FROM …`).
Characters the grammars treat as whitespace but a reader might not (NBSP, U+2028, vertical tab …)
are refused outside strings and comments, and everything outside them must be ASCII.
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
_NUMBER = re.compile(r"\d[\dA-Za-z_.]*")
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
                raise refuse("a string is not closed", "string")
            out.append(Token("string", text[i:j + 1], i))
            i = j + 1
        elif c == "`":
            j = i + 1
            while True:
                j = text.find("`", j)
                if j < 0:
                    raise refuse("a `quoted name` is not closed", "backtick")
                if text.startswith("``", j):
                    j += 2
                    continue
                break
            out.append(Token("quoted", text[i:j + 1], i))
            i = j + 1
        elif c == "$":
            m = _IDENT.match(text, i + 1) or re.compile(r"\d+").match(text, i + 1)
            if not m:
                raise refuse("a $ is not followed by a parameter name", "$")
            out.append(Token("param", text[i:m.end()], i))
            i = m.end()
        elif (m := _IDENT.match(text, i)):
            out.append(Token("word", m.group(), i))
            i = m.end()
        elif (m := _NUMBER.match(text, i)):
            out.append(Token("number", m.group(), i))
            i = m.end()
        elif c.isascii() and c.isprintable():
            out.append(Token("punct", c, i))
            i += 1
        else:
            raise refuse(f"the character {_name(c)} is allowed only inside strings and comments", _name(c))
    return out


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

_FETCHABLE = re.compile(r"(?i)^(https?|file|ftp)://")


def check_graph_names(iris: list[str], base: str | None = None) -> None:
    """FROM, FROM NAMED, default-graph-uri and named-graph-uri name graphs of this dataset (its base
    IRI) or names that are not addresses (`urn:…`, an empty graph); a web or file address is refused."""
    for iri in iris:
        if _FETCHABLE.match(iri) and not (base and iri.startswith(base)):
            raise QueryRefused(f"read-only endpoint: FROM / FROM NAMED <{iri}> is not a graph of this dataset; the endpoint "
                               "never loads graphs from the web or from files", errors={"query": "FROM"})


def check_sparql(query, allowed_endpoints: frozenset[str] = frozenset(), base: str | None = None) -> None:
    """Refuse a parsed SPARQL query that names a graph elsewhere (FROM / FROM NAMED of a web or file
    address outside this dataset's base) or calls a remote endpoint (SERVICE, unless its IRI is
    allow-listed), or uses a regular expression the linear-time engine cannot run. Graph loading is
    off, so nothing would be fetched; the refusal says so clearly."""
    from rdflib import Literal

    check_graph_names([str(d["default"] if "default" in d else d["named"]) for d in query.algebra.get("datasetClause") or []], base)

    for node in algebra_nodes(query.algebra):
        if node.name == "ServiceGraphPattern":
            iri = str(node.get("term"))
            if iri not in allowed_endpoints:
                raise QueryRefused(f"read-only endpoint: SERVICE <{iri}> is not allowed (federated queries are off; "
                                   "IOPC_KG_SPARQL_ENDPOINTS lists the endpoints that are)", errors={"query": "SERVICE"})
        elif node.name in ("Builtin_REGEX", "Builtin_REPLACE"):
            pattern = node.get("pattern")
            if isinstance(pattern, Literal) and _NOT_LINEAR.search(str(pattern).replace("\\\\", "")):
                raise QueryRefused(f"the regular expression {str(pattern)[:100]!r} uses a backreference or lookaround, "
                                   "which the linear-time engine does not support", errors={"query": "regex"})


# What XPath regular expressions allow and a linear-time engine cannot do: backreferences and
# lookaround. Refused by name rather than left to make a FILTER silently false.
_NOT_LINEAR = re.compile(r"\\[1-9]|\(\?<?[=!]")


def algebra_nodes(node):
    """Every CompValue of a parsed query's algebra, depth first."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from algebra_nodes(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from algebra_nodes(value)


_SPARQL_REFUSED = {"SERVICE": "SERVICE"} | {w: f"SPARQL Update ({w})" for w in (
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")}
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
        if word in _SPARQL_REFUSED and not (word == "SERVICE" and allow_service):
            raise QueryRefused(f"read-only endpoint: {_SPARQL_REFUSED[word]} is not allowed" + (
                " (federated queries are off; IOPC_KG_SPARQL_ENDPOINTS lists the endpoints that are)" if word == "SERVICE" else ""),
                errors={"query": word})
    return toks


def first_word(toks: list[Token]) -> str:
    """The first keyword after the prologue (PREFIX p: <…>, BASE <…>): `PREFIX x: <…> INSERT DATA …` is Update too."""
    k = 0
    while k < len(toks) and toks[k].kind == "word" and toks[k].text.upper() in ("PREFIX", "BASE"):
        k += 3 if toks[k].text.upper() == "PREFIX" else 2
    return toks[k].text.upper() if k < len(toks) and toks[k].kind == "word" else ""


def selects_all(toks: list[Token]) -> bool:
    """Whether the outermost SELECT is `SELECT *` (or `SELECT DISTINCT *`, `SELECT REDUCED *`)."""
    words = [t.text.upper() if t.kind == "word" else t.text for t in toks]
    if "SELECT" not in words:
        return False
    k = words.index("SELECT") + 1
    k += k < len(words) and words[k] in ("DISTINCT", "REDUCED")
    return k < len(words) and words[k] == "*"
