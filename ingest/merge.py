"""Merging the same case seen in several renderings (IOPC page, mirror, force site) into one record.

Deduplication is on reference plus recommendation text, never on URL (FORMATS.md, quirk 5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.extract import NO_DATE_WARNING
from ingest.layouts import BOILERPLATE, CUT_MARKER
from ingest.lines import title_like
from ingest.spool import Held, Spool
from ontology.records import CaseRecord, RecommendationRecord, fingerprint

# Which rendering's fields win when two disagree: our own records, then the mirror (the only source of
# real dates and references, FORMATS.md), then the richer IOPC renderings.
LAYOUT_RANK = {
    "JSON": 0, "AI-A": 1, "AI-B": 2, "PC-C": 3, "PC-B": 4, "PC-A": 5, "AI-C": 6,
    "LEGACY-IPCC-2016": 7, "LEGACY-2018": 8, "PC-INV": 9, "FORCE-FOI": 10,
}
SAME_TITLE = 0.8
HEADER_ONLY = "header only:"
SAME_TEXT = 0.6


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets."""
    wa, wb = set(fingerprint(a).split()), set(fingerprint(b).split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def merge_cases(cases: Iterable[CaseRecord]) -> list[CaseRecord]:
    """Merge records of the same case; order follows first appearance."""
    spool = Spool(on_disk=False)
    return [spool.get(held) for held in merge_held(cases, spool)]


def merge_held(cases: Iterable[CaseRecord], spool: Spool) -> list[Held]:
    """`merge_cases` over a spool: each case is held as it comes, so the cases need not all be in
    memory at once (an ingest passes them on disk, ingest/spool.py)."""
    merged: dict[str, Held] = {}
    unreferenced: list[Held] = []
    for case in cases:
        if case.reference:
            merged[case.id] = spool.put(_merge(spool.get(merged[case.id]), case) if case.id in merged else case)
        else:
            unreferenced.append(spool.put(case))
    for held in unreferenced:
        case = spool.get(held)
        # The merged case stays under the key it was found by, even when merging changes its id (a
        # case without a reference is named by its force and first text, and the other rendering
        # may supply either): under a new key the old one kept a stale copy, written twice or
        # reported as conflicting with itself.
        key, target = _match(case, merged.items(), spool)
        if target is not None:
            merged[key] = spool.put(_merge(target, case))
        elif case.id in merged:
            merged[case.id] = spool.put(_merge(spool.get(merged[case.id]), case))
        else:
            merged[case.id] = held
    return list(merged.values())


def _match(case: CaseRecord, candidates: Iterable[tuple[str, Held]], spool: Spool) -> tuple[str | None, CaseRecord | None]:
    for key, held in candidates:
        # same_case's first refusal, read from what is held, so that a case on disk is only read
        # back when its force allows a match (the case has no reference: it is not compared by one).
        if case.force and held.force and case.force.id != held.force:
            continue
        other = spool.get(held)
        if same_case(case, other):
            return key, other
    return None, None


def same_case(a: CaseRecord, b: CaseRecord) -> bool:
    """Two records are renderings of one case: same reference; or, for different or missing forces
    aside, a recommendation in common; or, when one is header-only, the same force and title."""
    if a.reference and b.reference:
        return a.reference == b.reference
    if a.force and b.force and a.force.id != b.force.id:
        return False
    if any(_find(r, b.recommendations) for r in a.recommendations):
        return True
    if (a.incomplete or b.incomplete) and a.force and b.force and a.title and b.title:
        return similarity(a.title, b.title) >= SAME_TITLE
    return False


def _find(rec: RecommendationRecord, recs: list[RecommendationRecord]) -> RecommendationRecord | None:
    best, score = None, SAME_TEXT
    for other in recs:
        s = similarity(rec.text, other.text)
        if s >= score:
            best, score = other, s
    return best


def _merge(a: CaseRecord, b: CaseRecord) -> CaseRecord:
    # A complete rendering leads a header-only one; otherwise the better layout leads.
    primary, other = sorted((a, b), key=lambda c: (c.incomplete, LAYOUT_RANK.get(c.layout or "", 99)))
    for name in ("reference", "force", "date_recommended", "published", "source_url"):
        if getattr(primary, name) is None and getattr(other, name) is not None:
            setattr(primary, name, getattr(other, name))
    # A worse title or summary never replaces a better one, whichever rendering leads.
    if title_score(other.title) > title_score(primary.title):
        primary.title = other.title
    if summary_score(other.summary) > summary_score(primary.summary):
        primary.summary = other.summary
    primary.aliases += [x for x in other.aliases if x not in primary.aliases]
    if other.response_due and (primary.response_due is None or primary.response_due_derived and not other.response_due_derived):
        primary.response_due, primary.response_due_derived = other.response_due, other.response_due_derived
    primary.derive_due_date()
    for rec in other.recommendations:
        match = _find(rec, primary.recommendations)
        if match is None:
            rec.position = len(primary.recommendations) + 1
            primary.recommendations.append(rec)
            continue
        if match.status != rec.status and "unknown" not in (match.status, rec.status):
            primary.warnings.append(
                f"recommendation {match.key_number()}: renderings disagree on status ({match.status} vs {rec.status}); "
                f"kept {match.status}"
            )
        if match.status == "unknown" and rec.status != "unknown":
            match.status, match.status_label = rec.status, rec.status_label
        if text_score(rec.text) > text_score(match.text):
            match.text = rec.text
            match.mentions = [m for m in match.mentions if m.field != "text"] + [m for m in rec.mentions if m.field == "text"]
        if not match.response and rec.response:
            match.response = rec.response
            match.mentions += [m for m in rec.mentions if m.field == "response"]
            match.defers_to = match.defers_to or rec.defers_to
        if not match.numbers and rec.numbers:
            match.numbers = rec.numbers
        if rec.history:  # each rendering's observations, in time order, each naming its page
            match.history = sorted(match.history + rec.history, key=lambda o: (o.first_seen, o.source))
        for key in ("programmes", "themes"):
            have = getattr(match, key)
            have += [x for x in getattr(rec, key) if x not in have]
        if not match.addressed_to and rec.addressed_to:
            match.addressed_to = rec.addressed_to
    ids = {s.id for s in primary.sources}
    primary.sources += [s for s in other.sources if s.id not in ids]
    primary.warnings += [w for w in other.warnings if w not in primary.warnings]
    # A rendering's complaint about a field another rendering supplied no longer holds.
    if primary.date_recommended:
        primary.warnings = [w for w in primary.warnings if not w.startswith(NO_DATE_WARNING)]
    if not primary.incomplete:
        primary.warnings = [w for w in primary.warnings if not w.startswith(HEADER_ONLY)]
    return primary


def title_score(title: str | None) -> int:
    """How good a title is: none < furniture or a cut marker < a narrative sentence < a real title."""
    if not title:
        return 0
    if CUT_MARKER.match(title) or BOILERPLATE.match(title):
        return 1
    return 3 if title_like(title) else 2


def summary_score(summary: str | None) -> tuple[int, int]:
    """Summaries: none < furniture < cut with '…' < whole; then the longer."""
    if not summary:
        return (0, 0)
    if BOILERPLATE.match(summary):
        return (1, len(summary))
    return (2 if summary.rstrip().endswith(("…", "...")) else 3, len(summary))


_TEXT_DAMAGE = re.compile(r"Do you accept the recommendation|Addressed to:|Linked bodies:|^\[\s*(?:\.\.\.|…)|(?:…|\.\.\.)$")


def text_score(text: str) -> tuple[int, int]:
    """Recommendation texts: one with labels left in or cut short is worse; then the longer."""
    damage = len(_TEXT_DAMAGE.findall(text or ""))
    return (-damage, len(text or ""))
