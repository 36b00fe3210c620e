"""Records: what `ingest` produces and `graph`, `search` and `api` consume.

The dict shape of `CaseRecord.to_dict()` is the `iopc-kg parse` contract (README, "CLI contract").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from ontology.exc import InvalidData
from ontology.types import STATUSES, TYPES

# Para 28B, Schedule 3, Police Reform Act 2002: the recipient must respond within 56 days.
RESPONSE_DAYS = 56


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(record) -> dict:
    """A record as `dataclasses.asdict` gives it (nested records as dicts, lists copied), for the flat
    records here, whose fields hold values, records or lists of them. Without asdict's deep copy of
    every value: the parse contract's output spent most of its time there."""
    cls = type(record)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    out = {}
    for name in names:
        value = getattr(record, name)
        if isinstance(value, list):
            value = [plain(x) if hasattr(type(x), "__dataclass_fields__") else x for x in value]
        elif hasattr(type(value), "__dataclass_fields__"):
            value = plain(value)
        out[name] = value
    return out


@dataclass
class Ref:
    """A resolved force or body."""

    id: str
    name: str
    kind: str = "Force"  # Force | Body


@dataclass
class ProgrammeRef:
    id: str
    name: str
    kind: str
    new: bool = False


@dataclass
class Mention:
    """Where an entity was found: which text field and which characters of it."""

    kind: str  # Programme | Theme | Body
    id: str
    field: str  # text | response
    start: int | None  # None: a record (our JSON) that names the entity without a span
    end: int | None
    surface: str | None = None


@dataclass
class Deferral:
    """A response that waits on another body's or programme's decision."""

    kind: str  # Body | Programme
    id: str
    name: str
    phrase: str


@dataclass
class Observation:
    """What the pages said of a recommendation from one fetch to the last fetch that said the same.

    A recommendation's `history` is a list of these in time order (first seen, each change, last
    seen), derived from the archived fetches of its pages (ingest/history.py).
    """

    first_seen: str  # WARC-Date of the first fetch that showed this state
    last_seen: str  # WARC-Date of the last fetch that still showed it
    status: str
    response: str | None
    source: str  # id of the Source (page) that showed it
    archive: str | None = None  # `{warc file}#{offset}` of the response record first showing it


@dataclass
class RecommendationRecord:
    numbers: list[int]
    position: int
    text: str
    addressed_to: list[Ref] = field(default_factory=list)
    linked_bodies: list[Ref] = field(default_factory=list)
    status: str = "unknown"
    status_label: str | None = None
    response: str | None = None
    programmes: list[ProgrammeRef] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    defers_to: list[Deferral] = field(default_factory=list)
    history: list[Observation] = field(default_factory=list)

    def key_number(self) -> int:
        return self.numbers[0] if self.numbers else self.position

    @property
    def awaiting(self) -> bool:
        """Whether its response is still awaited: none published, or the page says it awaits one. The
        graph's overdue list and the crawler's revisit schedule (ingest/revisit.py) both use this."""
        return not self.response or self.status == "awaiting_response"


@dataclass
class SourceRecord:
    id: str
    url: str | None
    path: str | None
    layout: str
    # For a page read from a web archive: when it was fetched and where its record starts in `path`.
    retrieved: str | None = None
    offset: int | None = None

    @staticmethod
    def make(url: str | None, path: str | None, layout: str, retrieved=None, record: str | None = None) -> "SourceRecord":
        """The place a rendering was read from, named by its page's URL or file name; `record` names one
        record of a records file, a place of its own (a file holds many cases, a page one)."""
        basis = f"{(path or '').rsplit('/', 1)[-1]}#{record}" if record else url or (path or "").rsplit("/", 1)[-1]
        return SourceRecord("s-" + hashlib.sha1(basis.encode()).hexdigest()[:16], url, path, layout,
                            TYPES["datetime"].clean(retrieved))

    def as_dict(self) -> dict:
        """The record's fields, without the archive ones when the page was not read from an archive."""
        d = plain(self)
        for key in ("retrieved", "offset"):
            if d[key] is None:
                del d[key]
        return d


@dataclass
class CaseRecord:
    reference: str | None
    title: str | None
    force: Ref | None
    date_recommended: str | None = None
    response_due: str | None = None
    response_due_derived: bool = False
    published: str | None = None
    summary: str | None = None
    source_url: str | None = None
    layout: str | None = None
    warnings: list[str] = field(default_factory=list)
    recommendations: list[RecommendationRecord] = field(default_factory=list)
    sources: list[SourceRecord] = field(default_factory=list)
    # Other references the case is known by (a force's own, such as IX/462/21 on its FOI page).
    aliases: list[str] = field(default_factory=list)
    # The ids its renderings have alone, other than its own (a page without the reference is named by
    # its force and first text): they stay resolvable, redirecting to this case.
    replaces: list[str] = field(default_factory=list)
    # The renderings it was merged from, when more than one (kept by the graph, so that a rendering
    # arriving later merges with them and the case is the same whatever the order; ingest/merge.py).
    renderings: list["CaseRecord"] | None = field(default=None, compare=False, repr=False)
    # The page's own words that the investigation found no learning or made no recommendation: a case
    # complete with none, which is not `incomplete` (issue 30).
    no_recommendations: str | None = None

    @property
    def incomplete(self) -> bool:
        """True for a header-only case: the pages seen so far carry the case but none of its
        recommendations (FORMATS.md, pattern D), and do not say there are none. A complete rendering
        merged in clears it."""
        return not self.recommendations and not self.no_recommendations

    @property
    def id(self) -> str:
        """Stable id: the reference (2022/178839 -> 2022-178839), else a hash of force and first text."""
        if self.reference:
            return self.reference.replace("/", "-")
        first = self.recommendations[0].text if self.recommendations else (self.title or "")
        basis = f"{self.force.id if self.force else ''}|{fingerprint(first)}"
        return "x-" + hashlib.sha1(basis.encode()).hexdigest()[:12]

    def recommendation_id(self, rec: RecommendationRecord) -> str:
        """`{case id}-{number}`; a damaged page can number two blocks alike (a duplicated heading), and
        every block after the first with that number gets `-p{position}` so ids stay unique."""
        n = rec.key_number()
        first = next(r for r in self.recommendations if r.key_number() == n) if rec in self.recommendations else rec
        return f"{self.id}-{n}" if first is rec else f"{self.id}-{n}-p{rec.position}"

    @property
    def year(self) -> int | None:
        return int(self.date_recommended[:4]) if self.date_recommended else None

    def derive_due_date(self) -> None:
        """Fill a missing response due date from the recommendation date (+56 days), marked derived."""
        if self.response_due or not self.date_recommended:
            return
        made = date.fromisoformat(self.date_recommended)
        self.response_due = (made + timedelta(days=RESPONSE_DAYS)).isoformat()
        self.response_due_derived = True

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "reference": self.reference,
            "title": self.title,
            "force": {"id": self.force.id, "name": self.force.name} if self.force else None,
            "date_recommended": self.date_recommended,
            "response_due": self.response_due,
            "response_due_derived": self.response_due_derived,
            "published": self.published,
            "summary": self.summary,
            "source_url": self.source_url,
            "layout": self.layout,
            "incomplete": self.incomplete,
            # Only when a page says so: every other record (and its content hash) is as it was.
            **({"no_recommendations": self.no_recommendations} if self.no_recommendations else {}),
            "aliases": list(self.aliases),
            **({"replaces": list(self.replaces)} if self.replaces else {}),
            "warnings": list(self.warnings),
            "recommendations": [],
            "sources": [s.as_dict() for s in self.sources],
        }
        for rec in self.recommendations:
            d = plain(rec)
            d["id"] = self.recommendation_id(rec)
            if not rec.history:  # pages read from files have none: keep the parse contract as it was
                del d["history"]
            for key in ("addressed_to", "linked_bodies"):
                d[key] = [{"id": r.id, "name": r.name, "kind": r.kind} for r in getattr(rec, key)]
            out["recommendations"].append(d)
        return out

    def content_hash(self) -> str:
        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict, where: str = "record") -> "CaseRecord":
        """Build a record from our own JSON schema, collecting every error into one InvalidData."""
        errors: dict[str, str] = {}
        if not isinstance(data, dict):
            raise InvalidData(f"{where}: expected a JSON object", errors={"$": "not an object"})
        recs_raw = data.get("recommendations")
        if not isinstance(recs_raw, list) or not (recs_raw or data.get("incomplete") or data.get("no_recommendations")):
            errors["recommendations"] = ("missing or empty (an empty list only for a case marked incomplete, "
                                         "or one whose no_recommendations says why there are none)")
            recs_raw = []
        if data.get("no_recommendations") is not None and not isinstance(data["no_recommendations"], str):
            errors["no_recommendations"] = f"expected a string, not {type(data['no_recommendations']).__name__}"
        for key in ("date_recommended", "response_due", "published"):
            if data.get(key) is not None and TYPES["date"].clean(data[key]) is None:
                errors[key] = f"{data[key]!r} is not a date"
        if data.get("reference") is not None and TYPES["reference"].clean(data["reference"]) is None:
            errors["reference"] = f"{data['reference']!r} is not an IOPC reference (YYYY/NNNNNN)"
        force = data.get("force")
        if force is not None and not (isinstance(force, dict) and force.get("id")):
            errors["force"] = "expected {id, name}"
        recs = []
        for i, r in enumerate(recs_raw, 1):
            try:
                recs.append(_rec_from_dict(r, i))
            except FieldError as e:
                errors[f"recommendations[{i - 1}].{e.field}"] = e.message
            except (KeyError, TypeError, ValueError) as e:
                errors[f"recommendations[{i - 1}]"] = f"invalid: {e}"
        sources = []
        for i, raw in enumerate(_list(data, "sources", errors)):
            try:
                sources.append(_source_from_dict(raw))
            except FieldError as e:
                errors[f"sources[{i}].{e.field}" if e.field else f"sources[{i}]"] = e.message
        for key in ("title", "summary", "source_url", "layout"):
            if data.get(key) is not None and not isinstance(data[key], str):
                errors[key] = f"expected a string, not {type(data[key]).__name__}"
        if force is not None and isinstance(force, dict) and force.get("id") and not isinstance(force["id"], str):
            errors["force.id"] = "expected a string"
        if errors:
            raise InvalidData(f"{where}: invalid case record", errors=errors)
        case = cls(
            reference=TYPES["reference"].clean(data.get("reference")),
            title=data.get("title"),
            force=Ref(force["id"], force.get("name") or force["id"]) if force else None,
            date_recommended=TYPES["date"].clean(data.get("date_recommended")),
            response_due=TYPES["date"].clean(data.get("response_due")),
            response_due_derived=bool(data.get("response_due_derived")),
            published=TYPES["date"].clean(data.get("published")),
            summary=data.get("summary"),
            source_url=data.get("source_url"),
            layout=data.get("layout") or "JSON",
            warnings=list(data.get("warnings") or []),
            recommendations=recs,
            sources=sources,
            aliases=[str(a) for a in data.get("aliases") or []],
            replaces=[str(a) for a in data.get("replaces") or []],
            no_recommendations=data.get("no_recommendations") or None,
        )
        return case


class FieldError(ValueError):
    """A nested value of a record that cannot be used; `field` is its path inside the item."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field, self.message = field, message


def _list(data: dict, key: str, errors: dict) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        errors[key] = f"expected a list, not {type(value).__name__}"
        return []
    return value


def _string(obj: dict, key: str, where: str, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldError(f"{where}{key}", "missing" if value is None else f"expected a non-empty string, not {value!r}"[:200])
    return value


def _source_from_dict(raw) -> SourceRecord:
    """A page a record was derived from: a URL or a file name (at least one), a layout."""
    if not isinstance(raw, dict):
        raise FieldError("", "expected an object {url, path, layout}")
    url, path = _string(raw, "url", ""), _string(raw, "path", "")
    if not url and not path:
        raise FieldError("url", "a source needs a 'url' or a 'path'")
    layout = _string(raw, "layout", "") or "JSON"
    made = SourceRecord.make(url, path, layout)
    offset = _int_or_none(raw, "offset", "")
    return SourceRecord(_string(raw, "id", "") or made.id, url, path, layout,
                        TYPES["datetime"].clean(_string(raw, "retrieved", "")) or None, offset)


def _int_or_none(obj: dict, key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FieldError(f"{where}{key}", f"expected a character offset (an integer >= 0), not {value!r}"[:200])
    return value


def _mention_from_dict(m, i: int) -> Mention:
    where = f"mentions[{i}]."
    if not isinstance(m, dict):
        raise FieldError(f"mentions[{i}]", "expected an object {kind, id, field, start, end, surface}")
    kind = _string(m, "kind", where, required=True)
    if kind not in ("Programme", "Theme", "Body"):
        raise FieldError(f"{where}kind", f"{kind!r} is not Programme, Theme or Body")
    field_name = _string(m, "field", where) or "text"
    if field_name not in ("text", "response"):
        raise FieldError(f"{where}field", f"{field_name!r} is not text or response")
    return Mention(kind, _string(m, "id", where, required=True), field_name,
                   _int_or_none(m, "start", where), _int_or_none(m, "end", where), _string(m, "surface", where))


def _programme_from_dict(p, i: int) -> ProgrammeRef:
    where = f"programmes[{i}]."
    if not isinstance(p, dict):
        raise FieldError(f"programmes[{i}]", "expected an object {id, name, kind}")
    pid = _string(p, "id", where, required=True)
    return ProgrammeRef(pid, _string(p, "name", where) or pid, _string(p, "kind", where) or "other", bool(p.get("new")))


def _ref_from_dict(x, key: str, i: int) -> Ref:
    where = f"{key}[{i}]."
    if not isinstance(x, dict):
        raise FieldError(f"{key}[{i}]", "expected an object {id, name, kind}")
    rid = _string(x, "id", where, required=True)
    kind = _string(x, "kind", where) or "Force"
    if kind not in ("Force", "Body"):
        raise FieldError(f"{where}kind", f"{kind!r} is not Force or Body")
    return Ref(rid, _string(x, "name", where) or rid, kind)


def _deferral_from_dict(d, i: int) -> Deferral:
    where = f"defers_to[{i}]."
    if not isinstance(d, dict):
        raise FieldError(f"defers_to[{i}]", "expected an object {kind, id, name, phrase}")
    kind = _string(d, "kind", where, required=True)
    if kind not in ("Body", "Programme"):
        raise FieldError(f"{where}kind", f"{kind!r} is not Body or Programme")
    did = _string(d, "id", where, required=True)
    return Deferral(kind, did, _string(d, "name", where) or did, _string(d, "phrase", where) or "")


def _rec_from_dict(r: dict, position: int) -> RecommendationRecord:
    if not isinstance(r, dict) or not isinstance(r.get("text"), str) or not r["text"].strip():
        raise ValueError("a recommendation needs a non-empty 'text'")
    status = r.get("status") or "unknown"
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    for key in ("addressed_to", "linked_bodies", "programmes", "themes", "mentions", "defers_to", "numbers"):
        if r.get(key) is not None and not isinstance(r[key], list):
            raise FieldError(key, f"expected a list, not {type(r[key]).__name__}")
    for key in ("response", "status_label"):
        if r.get(key) is not None and not isinstance(r[key], str):
            raise FieldError(key, f"expected a string, not {type(r[key]).__name__}")
    if not all(isinstance(t, str) for t in r.get("themes") or []):
        raise FieldError("themes", "expected theme ids (strings)")
    refs = lambda key: [_ref_from_dict(x, key, i) for i, x in enumerate(r.get(key) or [])]  # noqa: E731
    return RecommendationRecord(
        numbers=[int(n) for n in r.get("numbers") or []],
        position=int(r.get("position") or position),
        text=r["text"],
        addressed_to=refs("addressed_to"),
        linked_bodies=refs("linked_bodies"),
        status=status,
        status_label=r.get("status_label"),
        response=r.get("response"),
        programmes=[_programme_from_dict(p, i) for i, p in enumerate(r.get("programmes") or [])],
        themes=list(r.get("themes") or []),
        mentions=[_mention_from_dict(m, i) for i, m in enumerate(r.get("mentions") or [])],
        defers_to=[_deferral_from_dict(d, i) for i, d in enumerate(r.get("defers_to") or [])],
        history=[Observation(**o) for o in r.get("history") or []],
    )


def fingerprint(text: str) -> str:
    """Text reduced to lower-case words, for matching the same recommendation across renderings."""
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))[:400]
