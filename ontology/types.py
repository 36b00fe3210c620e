"""Value types: each owns how a raw string is cleaned, how it is stored and how it appears in RDF.

Parsers call `TYPES[name].clean(raw)` and never normalise values inline.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone


class _Xsd:
    """A type's XSD datatype, as rdflib's term, made when first read: rdflib is imported by what
    writes RDF, not by every command that reads a type's name (a search imports this module)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner):
        from rdflib import XSD

        return XSD[self.name]

STATUSES = ("accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown")
# The ontology's own namespace (ontology/model.py PREFIXES["iopc"]); statuses are SKOS concepts in it.
ONTOLOGY_NS = "https://w3id.org/iopc-kg/ontology#"
STATUS_LABELS = {"accepted": "Accepted", "partially_accepted": "Partially accepted", "not_accepted": "Not accepted",
                 "awaiting_response": "Awaiting response", "unknown": "Unknown"}
PROGRAMME_KINDS = ("system", "operation", "training", "unit", "policy", "equipment", "programme")
LAYOUTS = (
    "PC-A", "PC-B", "PC-C", "PC-INV", "AI-A", "AI-B", "AI-C",
    "LEGACY-IPCC-2016", "LEGACY-2018", "FORCE-FOI", "JSON",
)

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")]
    )
    for m in names
}
_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_SLASHED = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_REFERENCE = re.compile(r"\b(\d{4})\s*/\s*(\d{5,7})\b")


class PropertyType:
    """A value type: `clean` turns raw text into the stored value or None."""

    name = "string"
    ladybug = "STRING"
    xsd = _Xsd("string")

    def clean(self, raw):
        if raw is None:
            return None
        text = re.sub(r"\s+", " ", str(raw)).strip()
        return text or None

    def rdf(self, value):
        from rdflib import XSD, Literal

        return Literal(value, datatype=self.xsd) if self.xsd != XSD.string else Literal(value)


class TextType(PropertyType):
    """Long text: paragraphs are kept, runs of spaces folded."""

    name = "text"

    def clean(self, raw):
        if raw is None:
            return None
        paras = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in re.split(r"\n\s*\n", str(raw))]
        text = "\n\n".join(p for p in paras if p)
        return text or None


class IntegerType(PropertyType):
    name = "integer"
    ladybug = "INT64"
    xsd = _Xsd("integer")

    def clean(self, raw):
        if raw is None or isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw
        m = re.search(r"-?\d+", str(raw))
        return int(m.group()) if m else None


class BooleanType(PropertyType):
    name = "boolean"
    ladybug = "BOOLEAN"
    xsd = _Xsd("boolean")

    def clean(self, raw):
        if isinstance(raw, bool):
            return raw
        if raw is None:
            return None
        text = str(raw).strip().lower()
        if text in {"true", "yes", "y", "1"}:
            return True
        if text in {"false", "no", "n", "0"}:
            return False
        return None


class DateType(PropertyType):
    """Dates as ISO strings. Accepts `1 May 2025`, `1st May 2025`, `2025-05-01`, `01/05/2025` (UK order).

    In RDF a day is the xsd:dateTime of its start with no time zone (`2025-05-01T00:00:00`): xsd:date
    is outside the OWL 2 datatype map (OWL 2 Structural Specification, 4), so data typed with it is not
    OWL 2 DL, and declaring it does not help (its IRI is reserved). dcterms:issued (DCAT) and
    schema:datePublished accept a dateTime, SPARQL still orders and compares the values, and the SHACL
    shapes (`DAY_PATTERN`) keep them days."""

    name = "date"
    xsd = _Xsd("dateTime")
    DAY_START = "T00:00:00"
    DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}T00:00:00$"

    def rdf(self, value):
        from rdflib import XSD, Literal

        return Literal(str(value) + self.DAY_START, datatype=XSD.dateTime)

    def clean(self, raw):
        if raw is None:
            return None
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        text = str(raw)
        for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy"), (_SLASHED, "dmy")):
            m = pattern.search(text)
            if not m:
                continue
            if order == "ymd":
                y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            else:
                d, y = int(m.group(1)), int(m.group(3))
                mo_raw = m.group(2)
                mo = int(mo_raw) if mo_raw.isdigit() else _MONTHS.get(mo_raw.lower())
                if mo is None:
                    continue
            try:
                return date(y, mo, d).isoformat()
            except ValueError:
                continue
        return None


class DateTimeType(PropertyType):
    """Instants as ISO 8601 strings in UTC (`2026-11-29T07:20:15.121873Z`): when a page was fetched."""

    name = "datetime"
    xsd = _Xsd("dateTime")

    def clean(self, raw):
        if raw is None:
            return None
        if isinstance(raw, datetime):
            stamp = raw if raw.tzinfo else raw.replace(tzinfo=timezone.utc)
            return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = str(raw).strip()
        try:
            return self.clean(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None


class ReferenceType(PropertyType):
    """IOPC references: YYYY/NNNNNN (spaces around the slash are dropped)."""

    name = "reference"

    def clean(self, raw):
        if raw is None:
            return None
        m = _REFERENCE.search(str(raw))
        return f"{m.group(1)}/{m.group(2)}" if m else None


class UrlType(PropertyType):
    name = "url"
    xsd = _Xsd("anyURI")

    def clean(self, raw):
        text = super().clean(raw)
        if text and re.match(r"^https?://\S+$", text):
            return text
        return None

    def rdf(self, value):
        from rdflib import URIRef

        return URIRef(value)


class CaseIdType(PropertyType):
    """The id of another case: an IRI in RDF (graph/rdf.py makes it under the configured base)."""

    name = "case_id"

    def clean(self, raw):
        text = super().clean(raw)
        return text if text and re.fullmatch(r"[A-Za-z0-9-]+", text) else None


class StatusType(PropertyType):
    """Normalised response status; `clean` reads a status *label* as pages print it. In RDF a status
    is a SKOS concept of the ontology's `iopc:statuses` scheme (`iopc:accepted` ...), not a string."""

    name = "status"
    values = STATUSES

    def rdf(self, value):
        from rdflib import URIRef

        return URIRef(ONTOLOGY_NS + value)

    _LABELS = [
        (re.compile(r"^(partially|partly)\s+accepted|^accepted\s+in\s+part", re.I), "partially_accepted"),
        (re.compile(r"^(not\s+accepted|rejected|no)\b", re.I), "not_accepted"),
        (re.compile(r"^(awaiting|pending|response\s+awaited|no\s+response\s+yet)", re.I), "awaiting_response"),
        (re.compile(r"^(accepted|yes|recommendation\s+accepted)\b", re.I), "accepted"),
    ]

    def clean(self, raw):
        if raw is None:
            return None
        text = str(raw).strip().rstrip(":").strip()
        if text in STATUSES:
            return text
        for pattern, status in self._LABELS:
            if pattern.search(text):
                return status
        return None


class ChoiceType(PropertyType):
    """A closed vocabulary: anything else cleans to None."""

    def __init__(self, name, values):
        self.name = name
        self.values = tuple(values)

    def clean(self, raw):
        text = super().clean(raw)
        return text if text in self.values else None


class JsonType(PropertyType):
    """A JSON document, stored as text."""

    name = "json"

    def clean(self, raw):
        if raw is None:
            return None
        if isinstance(raw, str):
            return raw
        return json.dumps(raw, sort_keys=True, ensure_ascii=False)


TYPES: dict[str, PropertyType] = {
    t.name: t
    for t in (
        PropertyType(), TextType(), IntegerType(), BooleanType(), DateType(), DateTimeType(), ReferenceType(),
        UrlType(), CaseIdType(), StatusType(), JsonType(), ChoiceType("layout", LAYOUTS),
        ChoiceType("programme_kind", PROGRAMME_KINDS),
    )
}
