"""The search index's fields, derived from the ontology, and the documents made from case records.

One document per recommendation, carrying its response. Fields come from `search:` keys in the
schema files (properties) and in `edges.yaml` (relations, which hold the ids of the targets), so a
new searchable property is one line of YAML.
"""

from __future__ import annotations

import re

from whoosh import analysis, fields

from ontology.gazetteer import fold, gazetteer
from ontology.model import model
from ontology.records import CaseRecord
from ontology.types import STATUSES

# Accent folding after stemming, so "cafe" finds "café" and "reminder" finds "reminders".
# whoosh.support.charset.accent_map is Whoosh's own folding table.
from whoosh.support.charset import accent_map

TEXT_ANALYZER = analysis.StemmingAnalyzer() | analysis.CharsetFilter(accent_map)

# Which gazetteer kinds name the ids held by each relation field (for `force:"Essex Police"`).
RELATION_KINDS = {"force": ("Force",), "addressed_to": ("Force", "Body"), "linked_body": ("Force", "Body"),
                  "body": ("Body", "Force"), "programme": ("Programme",), "theme": ("Theme",)}
# Facets offered on every search, in display order.
FACETS = ("force", "body", "status", "year", "programme", "theme")
# Fields a bare word searches, with their weight.
DEFAULT_FIELDS = {"text": 1.0, "response": 1.0, "reference": 2.0}
ALIASES = {"date_recommended": ["date", "made"], "response_due": ["due"], "response": ["reply"],
           "programme": ["programmes", "operation", "system"], "theme": ["themes"], "body": ["bodies"]}


class GazetteerFilter(analysis.Filter):
    """Map a name or alias to its gazetteer id at query time ("Essex Police" -> essex)."""

    def __init__(self, kinds: tuple[str, ...]):
        self.kinds = kinds
        self._ids: dict[str, str] = {}  # a value -> its id; indexing asks for the same few ids again and again

    def __eq__(self, other):
        return isinstance(other, GazetteerFilter) and other.kinds == self.kinds

    def __getstate__(self):  # Whoosh pickles the schema into the index: the memo stays out
        return {"kinds": self.kinds}

    def __setstate__(self, state):
        self.__init__(state["kinds"])

    def __call__(self, tokens):
        ids = self._ids
        for t in tokens:
            found = ids.get(t.text)
            if found is None:
                found = gazetteer().lookup(self.kinds, t.text) or t.text
                if len(ids) < 10_000:
                    ids[t.text] = found
            t.text = found
            yield t


def _relation_field(name: str) -> fields.FieldType:
    ana = analysis.CommaSeparatedTokenizer() | analysis.LowercaseFilter() | GazetteerFilter(RELATION_KINDS[name])
    return fields.KEYWORD(stored=True, commas=True, scorable=True, analyzer=ana)


def _property_field(type_name: str) -> fields.FieldType:
    if type_name in ("text", "string"):
        return fields.TEXT(analyzer=TEXT_ANALYZER, stored=True)
    # Dates are ISO strings: ranges compare them as text, which orders ISO dates correctly.
    # Years are facets, so they are kept as terms too ("2024"), ranges work the same way.
    return fields.ID(stored=True, sortable=True)


def build_schema() -> fields.Schema:
    spec: dict[str, fields.FieldType] = {
        "id": fields.ID(stored=True, unique=True),
        "case_id": fields.ID(stored=True),
        "case_hash": fields.ID(stored=True),
        "body": _relation_field("body"),
        "programme_names": fields.STORED(),
        "theme_names": fields.STORED(),
        "body_names": fields.STORED(),
    }
    for name, (_, prop) in model.search_fields.items():
        spec[name] = _property_field(prop.type.name)
    for name in model.search_relations:
        spec[name] = _relation_field(name)
    return fields.Schema(**spec)


def documents(case: CaseRecord) -> list[dict]:
    """The index documents of one case: one per recommendation."""
    out = []
    digest = case.content_hash()
    source_url = case.source_url or next((s.url for s in case.sources if s.url), None)
    for rec in case.recommendations:
        bodies = {r.id: r.name for r in [*rec.addressed_to, *rec.linked_bodies] if r.kind == "Body"}
        status = rec.status if rec.status in STATUSES else "unknown"
        doc = {
            "id": case.recommendation_id(rec),
            "case_id": case.id,
            "case_hash": digest,
            "reference": case.reference,
            "title": case.title,
            "date_recommended": case.date_recommended,
            "response_due": case.response_due,
            "year": str(case.year) if case.year else None,
            "force": case.force.id if case.force else None,
            "force_name": case.force.name if case.force else None,
            "text": rec.text,
            "response": rec.response,
            "status": status,
            "source_url": source_url,
            "addressed_to": ",".join(r.id for r in rec.addressed_to),
            "linked_body": ",".join(r.id for r in rec.linked_bodies),
            "body": ",".join(bodies),
            "body_names": bodies,
            "programme": ",".join(p.id for p in rec.programmes),
            "programme_names": {p.id: p.name for p in rec.programmes},
            "theme": ",".join(rec.themes),
            "theme_names": {t: _theme_name(t) for t in rec.themes},
        }
        out.append({k: v for k, v in doc.items() if v not in (None, "")})
    return out


_WORDS = re.compile(r"[^\W\d_]{3,}")


def spelling_words(case: CaseRecord) -> set[str]:
    """The words of a case as people type them (unstemmed, lower-case, no accents), for "did you mean"."""
    words: set[str] = set()
    for text in (case.title, *(x for r in case.recommendations for x in (r.text, r.response)),
                 *(p.name for r in case.recommendations for p in r.programmes)):
        if text:
            words.update(_WORDS.findall(fold(text).lower()))
    return words


def _theme_name(theme_id: str) -> str:
    entry = gazetteer().get("Theme", theme_id)
    return entry.name if entry else theme_id
