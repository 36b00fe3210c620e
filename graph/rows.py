"""Case records and gazetteers as node and edge rows, in the shape the ontology declares."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ontology.gazetteer import gazetteer
from ontology.model import model
from ontology.records import CaseRecord

# Bump when `case_rows` changes what it writes: stores written by an older version are rebuilt.
ROWS_VERSION = 4

# Kinds a case owns: deleted and re-created when the case is rewritten. The rest are shared.
OWNED = ("Case", "Recommendation", "Response", "Observation")


@dataclass
class Rows:
    nodes: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    # (edge type, source kind, target kind) -> rows of {src, dst, **props}
    edges: dict[tuple[str, str, str], list[dict]] = field(default_factory=lambda: defaultdict(list))

    def node(self, label: str, **props) -> None:
        schema = model[label]
        kind = label
        row = {"id": props.pop("id")}
        for name, prop in schema.properties.items():
            value = props.get(name)
            if prop.type.name == "json" and value is not None:
                value = prop.type.clean(value)
            row[name] = (list(value) if value else []) if prop.many else value
        self.nodes[kind].append(row)

    def edge(self, name: str, src_kind: str, src: str, dst_kind: str, dst: str, **props) -> None:
        edge = model.edges[name]
        assert src_kind in edge.source and dst_kind in edge.target, (name, src_kind, dst_kind)
        row = {"src": src, "dst": dst}
        row.update({p: props.get(p) for p in edge.properties})
        self.edges[(edge.type, src_kind, dst_kind)].append(row)

    def extend(self, other: "Rows") -> None:
        for kind, rows in other.nodes.items():
            self.nodes[kind].extend(rows)
        for key, rows in other.edges.items():
            self.edges[key].extend(rows)


def case_rows(case: CaseRecord) -> Rows:
    """The nodes and edges of one case (owned nodes plus the shared nodes it points to)."""
    rows = Rows()
    cid = case.id
    rows.node("Case", id=cid, reference=case.reference, title=case.title, summary=case.summary,
              date_recommended=case.date_recommended, response_due=case.response_due,
              response_due_derived=case.response_due_derived, published=case.published,
              warnings=case.warnings, incomplete=case.incomplete, no_recommendations=case.no_recommendations,
              aliases=case.aliases, replaces=case.replaces,
              content_hash=case.content_hash(), record=case.to_dict(),
              renderings=[r.to_dict() for r in case.renderings] if case.renderings else None)
    if case.force:
        rows.node("Force", id=case.force.id, name=case.force.name)
        rows.edge("concerns", "Case", cid, "Force", case.force.id)
    for src in case.sources:
        rows.node("Source", id=src.id, url=src.url, path=src.path, layout=src.layout, retrieved=src.retrieved, offset=src.offset)
        rows.edge("derived_from", "Case", cid, "Source", src.id)
    for rec in case.recommendations:
        rid = case.recommendation_id(rec)
        programmes = sorted({p.id for p in rec.programmes} | {m.id for m in rec.mentions if m.kind == "Programme" and (m.field == "text" or rec.response)})
        themes = sorted(set(rec.themes) | {m.id for m in rec.mentions if m.kind == "Theme" and (m.field == "text" or rec.response)})
        rows.node("Recommendation", id=rid, numbers=rec.numbers, position=rec.position, text=rec.text,
                  status=rec.status, status_label=rec.status_label, date_recommended=case.date_recommended,
                  response_due=case.response_due, year=case.year, case_id=cid, reference=case.reference,
                  force=case.force.id if case.force else None, programmes=programmes, themes=themes,
                  answered=bool(rec.response), awaiting=rec.awaiting,
                  first_seen=rec.history[0].first_seen if rec.history else None,
                  last_changed=rec.history[-1].first_seen if rec.history else None)
        rows.edge("has_recommendation", "Case", cid, "Recommendation", rid)
        _history_rows(rows, rid, rec, {s.id for s in case.sources})
        for name, refs in (("addressed_to", rec.addressed_to), ("linked_body", rec.linked_bodies)):
            for ref in refs:
                kind = "Body" if ref.kind == "Body" else "Force"
                rows.node(kind, id=ref.id, name=ref.name)
                rows.edge(name, "Recommendation", rid, kind, ref.id)
        sid = f"{rid}-response"
        if rec.response:
            rows.node("Response", id=sid, text=rec.response, status=rec.status)
            rows.edge("responds_to", "Response", sid, "Recommendation", rid)
        for p in rec.programmes:
            rows.node("Programme", id=p.id, name=p.name, kind=p.kind, new=p.new)
        for t in rec.themes:
            rows.node("Theme", id=t, name=t)
        linked: set[tuple[str, str]] = set()
        for m in rec.mentions:
            if m.field != "text" and not rec.response:
                continue
            src_kind, src = ("Recommendation", rid) if m.field == "text" else ("Response", sid)
            if m.kind == "Programme":
                rows.edge("mentions", src_kind, src, "Programme", m.id, field=m.field, char_start=m.start, char_end=m.end, surface=m.surface)
                linked.add(("Programme", m.id))
            elif m.kind == "Theme" and (src, m.id) not in linked:
                rows.edge("about", src_kind, src, "Theme", m.id)
                linked.update({(src, m.id), ("Theme", m.id)})
        # Programmes and themes a record carries without a span (our JSON, merged renderings).
        for p in rec.programmes:
            if ("Programme", p.id) not in linked:
                rows.edge("mentions", "Recommendation", rid, "Programme", p.id)
        for t in rec.themes:
            if ("Theme", t) not in linked:
                rows.edge("about", "Recommendation", rid, "Theme", t)
        if rec.response:
            for d in rec.defers_to:
                rows.node(d.kind, id=d.id, name=d.name)
                rows.edge("defers_to", "Response", sid, d.kind, d.id, phrase=d.phrase)
    return rows


def _history_rows(rows: Rows, rid: str, rec, sources: set[str]) -> None:
    """A recommendation's observations, each a revision of the one before (PROV-O)."""
    previous = None
    for n, o in enumerate(rec.history, 1):
        oid = f"{rid}-o{n}"
        rows.node("Observation", id=oid, status=o.status, response=o.response, first_seen=o.first_seen,
                  last_seen=o.last_seen, change=change(previous, o), recommendation=rid, archive=o.archive)
        rows.edge("observation_of", "Observation", oid, "Recommendation", rid)
        if previous is not None:
            rows.edge("revision_of", "Observation", oid, "Observation", f"{rid}-o{n - 1}")
        if o.source in sources:
            rows.edge("observed_in", "Observation", oid, "Source", o.source)
        previous = o


def change(previous, o) -> str:
    """What moved between two observations: new, status, response or status+response."""
    if previous is None:
        return "new"
    moved = [k for k in ("status", "response") if getattr(previous, k) != getattr(o, k)]
    return "+".join(moved) or "seen"


def gazetteer_rows() -> Rows:
    """Every force, body, programme and theme of the gazetteers, with USES and MEMBER_OF edges."""
    g = gazetteer()
    rows = Rows()
    for f in g.forces:
        rows.node("Force", id=f.id, name=f.name, kind=f.extra["kind"], country=f.extra["country"],
                  police_uk_id=f.extra["police_uk_id"], aliases=list(f.aliases))
    for b in g.bodies:
        rows.node("Body", id=b.id, name=b.name, kind=b.extra["kind"], aliases=list(b.aliases))
        for force_id in g.members(b.id):
            rows.edge("member_of", "Force", force_id, "Body", b.id)
    for p in g.programmes:
        rows.node("Programme", id=p.id, name=p.name, kind=p.extra["kind"], aliases=list(p.aliases), new=False)
        for force_id in p.extra["users"]:
            rows.edge("uses", "Force", force_id, "Programme", p.id)
    for t in g.themes:
        rows.node("Theme", id=t.id, name=t.name, description=t.extra["description"])
    return rows
