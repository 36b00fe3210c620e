"""Answers to the graph questions computed in plain Python from case records: the contract's oracle.

Deliberately independent of graph/: no Cypher, no store, just loops over the records.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from ontology.gazetteer import gazetteer


def recs(cases):
    for case in cases:
        for rec in case.recommendations:
            yield case, rec


def programme_forces(cases, kind="programme"):
    out = defaultdict(set)
    for case, rec in recs(cases):
        if case.force:
            for item in (rec.programmes if kind == "programme" else rec.themes):
                out[item.id if kind == "programme" else item].add(case.force.id)
    return out


def force_recs(cases, force_id):
    return [(c, r) for c, r in recs(cases) if c.force and c.force.id == force_id]


def is_overdue(case, rec, today):
    return bool(case.response_due) and case.response_due < today and (not rec.response or rec.status == "awaiting_response")


def overview_weights(cases) -> Counter:
    """(force key, target key, relation kind) -> recommendations, for every kind read from records."""
    out = Counter()
    for case, rec in recs(cases):
        if not case.force:
            continue
        src = f"force:{case.force.id}"
        for p in {p.id for p in rec.programmes}:
            out[(src, f"programme:{p}", "programme")] += 1
        for t in set(rec.themes):
            out[(src, f"theme:{t}", "theme")] += 1
        for kind, refs in (("addressed_to", rec.addressed_to), ("linked_body", rec.linked_bodies)):
            for b in {b.id for b in refs if b.kind == "Body"}:
                out[(src, f"body:{b}", kind)] += 1
    return out


def similar(cases, force_id):
    feats = defaultdict(set)
    for case, rec in recs(cases):
        if case.force:
            feats[case.force.id] |= {("programme", p.id) for p in rec.programmes} | {("theme", t) for t in rec.themes}
    mine = feats[force_id]
    scores = {}
    for other, theirs in feats.items():
        if other != force_id and mine & theirs:
            scores[other] = round(len(mine & theirs) / len(mine | theirs), 4)
    return scores


def cooccurrence(cases):
    counts = Counter()
    for _, rec in recs(cases):
        counts.update(itertools.combinations(sorted({p.id for p in rec.programmes}), 2))
    return counts


def acceptance_by_force(cases):
    table = defaultdict(Counter)
    for case, rec in recs(cases):
        table[case.force.id if case.force else None][rec.status] += 1
    return table


def dependency_spans(cases):
    g = gazetteer()
    out = defaultdict(set)
    mentioning = programme_forces(cases)
    for case, rec in recs(cases):
        if not rec.response:
            continue
        for d in rec.defers_to:
            span = out[(d.kind, d.id)]
            if case.force:
                span.add(case.force.id)
            span |= set(g.members(d.id) if d.kind == "Body" else g.users(d.id)) | (mentioning.get(d.id, set()) if d.kind == "Programme" else set())
    return out
