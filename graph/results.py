"""SPARQL answers in every format the SPARQL 1.1 Protocol names: result sets (SELECT, ASK) as SPARQL
JSON, XML, CSV or TSV; graphs (CONSTRUCT, DESCRIBE) as Turtle, N-Triples, RDF/XML or JSON-LD.

The format is chosen by an explicit name (`format=`, `output=`, `results=`: SPARQLWrapper sends all
three, sometimes twice, with a name or a media type) or else by the Accept header; a request that
accepts none of them gets 406.
"""

from __future__ import annotations

import csv
import io

from rdflib import XSD, BNode, Literal, URIRef

from ontology.cells import safe_cell
from ontology.exc import NotAcceptable
from ontology.vocabulary import bind  # CONSTRUCT answers with the ontology's own prefixes (iopc:), not rdflib's ns1:

# name -> (media type, what the body is written with)
RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
GRAPH_FORMATS = {  # name -> (rdflib format, media type)
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "nt": ("nt", "application/n-triples"),
    "xml": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
# Names and media types a client may use, for each kind of answer.
_RESULT_NAMES = {
    "json": "json", "srj": "json", "application/sparql-results+json": "json", "application/json": "json",
    "text/javascript": "json", "application/javascript": "json",
    "xml": "xml", "srx": "xml", "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "csv": "csv", "text/csv": "csv",
    "tsv": "tsv", "text/tab-separated-values": "tsv",
}
_GRAPH_NAMES = {
    "turtle": "ttl", "ttl": "ttl", "text/turtle": "ttl", "application/turtle": "ttl", "application/x-turtle": "ttl",
    "n3": "ttl", "text/n3": "ttl", "text/rdf+n3": "ttl", "application/n3": "ttl",  # Turtle is N3
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt", "text/plain": "nt",
    "xml": "xml", "rdf": "xml", "rdf+xml": "xml", "rdfxml": "xml", "application/rdf+xml": "xml", "application/xml": "xml",
    "text/xml": "xml",
    "json-ld": "jsonld", "jsonld": "jsonld", "json": "jsonld", "application/ld+json": "jsonld",
    "application/x-json+ld": "jsonld", "application/json": "jsonld",
}
_NUMERIC = frozenset(XSD[t] for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                     "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                     "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"))
RESULT_MEDIA = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values")
GRAPH_MEDIA = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")


def ranked(accept: str) -> list[str]:
    """The media types of an Accept header, best first (by q, then by order); q=0 left out."""
    out = []
    for n, part in enumerate(accept.split(",")):
        media, *params = [x.strip() for x in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            out.append((-q, n, media.lower()))
    return [m for _, _, m in sorted(out)]


def choose(kind: str, names: list[str], accept: str | None) -> str:
    """The format name for an answer of `kind` (SELECT, ASK, CONSTRUCT, DESCRIBE)."""
    table, default = (_RESULT_NAMES, "json") if kind in ("SELECT", "ASK") else (_GRAPH_NAMES, "ttl")
    for name in names:  # the first name we know wins; others are meant for other servers
        if name.strip().lower() in table:
            return table[name.strip().lower()]
    if not accept:
        return default
    media = ranked(accept)
    for m in media:
        if m in table:
            return table[m]
        if m in ("*/*", "application/*", "text/*"):
            return default
    offered = RESULT_MEDIA if kind in ("SELECT", "ASK") else GRAPH_MEDIA
    raise NotAcceptable(f"a {kind} answer comes as {', '.join(offered)}; the request accepts none of them",
                        errors={"accept": accept[:200]})


def serialise(result, fmt: str) -> tuple[str, bytes]:
    """Media type and body of a query result in the chosen format."""
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        rdflib_format, media = GRAPH_FORMATS[fmt]
        return media, bind(result.graph).serialize(format=rdflib_format).encode("utf-8")
    media = RESULT_FORMATS[fmt]
    if fmt == "tsv":
        return media, _tsv(result).encode("utf-8")
    if result.type == "ASK" and fmt == "csv":
        # The CSV results format is defined for SELECT only; an ASK answers as one column, `boolean`.
        return media, f"boolean\r\n{'true' if result.askAnswer else 'false'}\r\n".encode()
    if fmt == "csv":
        return media, _csv(result).encode("utf-8")
    return media, result.serialize(format=fmt)


def _csv(result) -> str:
    """SPARQL 1.1 CSV: plain values, every cell safe for a spreadsheet (`ontology.cells`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    names = [safe_cell(str(v)) for v in result.vars]
    writer.writerow(names)
    for row in result.bindings:
        writer.writerow(["" if row.get(v) is None else (f"_:{row[v]}" if isinstance(row[v], BNode) else _text(row[v]))
                         for v in result.vars])
    return buf.getvalue()


def _text(value) -> str:
    """A value's text as a spreadsheet may show it: a well-formed number as it is (it can only be a
    number), any other text through `safe_cell`."""
    text = str(value)
    if isinstance(value, Literal) and value.datatype in _NUMERIC and value.value is not None and not value.ill_typed:
        return text
    return safe_cell(text)


def _tsv(result) -> str:
    """SPARQL 1.1 TSV: `?var` headers, values in Turtle syntax, unbound as empty. A spreadsheet drops
    the quotes of a literal, so a literal's text is neutralised inside them (`"'=1+1"`)."""
    if result.type == "ASK":
        return f"?boolean\n{'true' if result.askAnswer else 'false'}\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    for row in result.bindings:
        lines.append("\t".join(_term(row.get(v)) for v in result.vars))
    return "\n".join(lines) + "\n"


def _term(value) -> str:
    if value is None:
        return ""
    if isinstance(value, URIRef):
        return f"<{value}>"
    if isinstance(value, BNode):
        return f"_:{value}"
    if isinstance(value, Literal):
        text = (_text(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                .replace("\r", "\\r").replace("\t", "\\t"))
        if value.language:
            return f'"{text}"@{value.language}'
        if value.datatype and str(value.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f'"{text}"^^<{value.datatype}>'
        return f'"{text}"'
    return str(value)
