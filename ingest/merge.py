"""Merging the renderings of one case (IOPC page, mirror, force site, our records) into one record: the
one place where cases are merged, in a batch and with what the graph already holds.

Deduplication is on reference plus recommendation text, never on URL (FORMATS.md, quirk 5). Which
renderings are one case is decided from the set of renderings alone, never from the order they came
in: candidates come from keys (ontology/identity.py: linear, never every case against every case),
a candidate pair must agree on what each page states (reference, force, date, the years its title
names) and a group never joins a group it contradicts; pairs are taken strongest first, ties in a
fixed order. A group is merged in a fixed order too (`rank`), and the case keeps the renderings it
came from (the graph stores them), so a rendering that arrives in a later ingest is merged with them
as if they had come together: the same graph whatever the batches and their order. The case's id is
its strongest key's (the reference); the ids its renderings have alone are kept in `replaces`.

The invariant: the graph is a function of what was last read at each place. A place is what a
rendering was read from, its source: a page (its URL, or its file's name) or one record of a records
file (ontology/records.py, `SourceRecord.make`). Reading a place again replaces the rendering it gave
before (a page changed under an unchanged sitemap); nothing else is ever replaced, so the batches and
their order cannot change the graph (tests/test_any_batches.py).
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from ingest.extract import NO_DATE_WARNING, NO_RECOMMENDATIONS_WARNING
from ingest.layouts import BOILERPLATE, CUT_MARKER
from ingest.lines import title_like
from ingest.spool import Held, Spool
from ontology.identity import Facts, Signature, signature, words
from ontology.records import CaseRecord, RecommendationRecord

# Which rendering's fields win when two disagree: our own records, then the mirror (the only source of
# real dates and references, FORMATS.md), then the richer IOPC renderings.
LAYOUT_RANK = {
    "JSON": 0, "AI-A": 1, "AI-B": 2, "PC-C": 3, "PC-B": 4, "PC-A": 5, "AI-C": 6,
    "LEGACY-IPCC-2016": 7, "LEGACY-2018": 8, "PC-INV": 9, "FORCE-FOI": 10,
}
SAME_TITLE = 0.8
HEADER_ONLY = "header only:"
SAME_TEXT = 0.6
# A text key shared by more renderings than this is boilerplate (a templated sentence), not evidence.
CROWDED = 16


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets."""
    return _jaccard(words(a), words(b))


def _jaccard(wa: frozenset, wb: frozenset) -> float:
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def rank(case: CaseRecord) -> tuple:
    """The fixed order renderings are merged in, from the rendering alone: complete first, then the
    better layout, then by id and pages (two renderings tie only when they are one page given twice)."""
    return (case.incomplete, LAYOUT_RANK.get(case.layout or "", 99), case.id, tuple(sorted(s.id for s in case.sources)))


def merge_renderings(renderings: list[CaseRecord]) -> CaseRecord:
    """One case from renderings of it, the same whatever their order; the renderings are not changed."""
    ordered = sorted(renderings, key=rank)
    if len(ordered) == 1 and not ordered[0].renderings:
        return ordered[0]
    flat = [r for c in ordered for r in (c.renderings or [c])]
    merged = copy.deepcopy(flat[0])
    merged.renderings = None
    for other in flat[1:]:
        merged = _merge(merged, copy.deepcopy(other))
    lone = {r.id for r in flat} | {x for r in flat for x in r.replaces}
    merged.replaces = sorted(lone - {merged.id})
    merged.renderings = flat if len(flat) > 1 else None
    return merged


def group(sigs: list[Signature], ranks: list[tuple], load: Callable[[int], CaseRecord]) -> list[list[int]]:
    """Which renderings are one case: lists of indexes into `sigs`, each in `ranks` order, the lists in
    the order of their first rendering's rank.

    Candidates share a key; a candidate pair is checked (`same_case`) and joins its two groups unless
    their facts contradict. Pairs are taken by strength (same reference, same id, then by text or title),
    then by their renderings' ranks, so the groups depend only on the set of renderings."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sigs):
        for key in s.emits:
            index[key].append(i)
    pairs = set()
    for i, s in enumerate(sigs):
        for key in s.probes:
            bucket = index.get(key, ())
            if len(bucket) > CROWDED and key[0] != "r" and key[0] != "i":
                continue
            pairs.update((min(i, j), max(i, j)) for j in bucket if j != i)

    def strength(pair):
        a, b = sigs[pair[0]], sigs[pair[1]]
        kind = 0 if a.reference and a.reference == b.reference else 1 if a.id == b.id else 2
        ra, rb = ranks[pair[0]], ranks[pair[1]]
        return (kind, ra, rb) if ra <= rb else (kind, rb, ra)

    parent = list(range(len(sigs)))
    facts = [Facts.of(s) for s in sigs]

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cache: dict[int, tuple] = {}

    def texts(i):
        if i not in cache:
            case = load(i)
            cache[i] = (case, [words(r.text) for r in case.recommendations])
        return cache[i]

    for i, j in sorted((p for p in pairs if not facts[p[0]].contradicts(facts[p[1]])), key=strength):
        ri, rj = find(i), find(j)
        if ri == rj or facts[ri].contradicts(facts[rj]):
            continue
        if not _same(*texts(i), *texts(j)):
            continue
        keep, gone = sorted((ri, rj), key=lambda r: ranks[r])
        parent[gone] = keep
        facts[keep] = facts[keep].join(facts[gone])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in sorted(range(len(sigs)), key=lambda i: ranks[i]):
        groups[find(i)].append(i)
    return list(groups.values())


def merge_cases(cases: Iterable[CaseRecord]) -> list[CaseRecord]:
    """Merge records of the same case."""
    spool = Spool(on_disk=False)
    return [spool.get(held) for held in merge_held(cases, spool)]


def merge_held(cases: Iterable[CaseRecord], spool: Spool) -> list[Held]:
    """`merge_cases` over a spool: each case is held as it comes, so the cases need not all be in
    memory at once (an ingest passes them on disk, ingest/spool.py)."""
    return [spool.put(merge_renderings([spool.get(h) for h in g])) for g in group_held(cases, spool)]


def group_held(cases: Iterable[CaseRecord], spool: Spool) -> list[list[Held]]:
    """The renderings, held in `spool`, grouped into cases (`group`)."""
    held, sigs, ranks = [], [], []
    for case in cases:
        held.append(spool.put(case))
        sigs.append(signature(case))
        ranks.append(rank(case))
    return [[held[i] for i in g] for g in group(sigs, ranks, lambda i: spool.get(held[i]))]


def merge_with_stored(batch: list[list[CaseRecord]], store) -> tuple[list[CaseRecord], dict[str, list[str]]]:
    """The cases to write for groups of incoming renderings, merged with what the graph holds: the
    stored cases sharing a key with them (and with those, until no new one is found) are taken apart
    into their renderings, a page given again replaces its earlier rendering, and the whole is grouped
    again. Returns the cases and, per case id, the stored cases it takes the place of (deleted with it)."""
    incoming = [r for g in batch for r in g]
    pages = {s.id for r in incoming for s in r.sources}
    stored: dict[str, CaseRecord] = {}
    signed: dict[int, Signature] = {}  # each rendering's signature, computed once (MinHash of every text)

    def sign(r: CaseRecord) -> Signature:
        if id(r) not in signed:
            signed[id(r)] = signature(r)
        return signed[id(r)]

    probes = set().union(*(sign(r).probes for r in incoming)) if incoming else set()
    asked: set[str] = set()
    while probes - asked:
        ask = sorted(probes - asked)
        asked |= probes
        for case in store.cases_by_keys(ask):
            if case.id in stored:
                continue
            stored[case.id] = case
            for r in case.renderings or [case]:
                probes |= sign(r).probes
    if not stored:
        return [merge_renderings(g) for g in batch], {}
    # A place read again replaces what it gave before, and nothing else is replaced (see the module's
    # docstring): the same text read at another place is a second rendering, in any order of reading.
    kept = [r for c in stored.values() for r in (c.renderings or [c]) if not ({s.id for s in r.sources} & pages)]
    renderings = incoming + kept
    sigs = [sign(r) for r in renderings]
    ranks = [rank(r) for r in renderings]
    cases = [merge_renderings([renderings[i] for i in g]) for g in group(sigs, ranks, renderings.__getitem__)]
    final = {c.id for c in cases}
    # A stored case found (it shares a key) but left as it was is not written again.
    cases = [c for c in cases if c.id not in stored or c.content_hash() != stored[c.id].content_hash()
             or any(s.id in pages for s in c.sources)]
    supersedes: dict[str, list[str]] = defaultdict(list)
    for sid, old in stored.items():
        if sid in final:
            continue
        mine = {s.id for s in old.sources}
        home = next((c for c in cases if mine & {s.id for s in c.sources}), None)
        if home is not None:
            supersedes[home.id].append(sid)
    return cases, dict(supersedes)


def _shared(wa: list, wb: list) -> int:
    """How many recommendations of the side with fewer have a like text on the other (Jaccard >= 0.6).
    Renderings of one case share at least half of them; two cases of one force and month whose
    templated sentences happen to meet share one of several (found by bench/parse_bench's pages)."""
    small, large = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return sum(1 for x in small if any(_jaccard(x, y) >= SAME_TEXT for y in large))


def same_case(a: CaseRecord, b: CaseRecord) -> bool:
    """Two renderings are of one case: they state no contradicting fact (reference, force, date, the
    years their titles name), and they have the same reference, or the same id, or at least half the
    recommendations of the one with fewer in common, or, when one is header-only, the same force and title."""
    if Facts.of(signature(a)).contradicts(Facts.of(signature(b))):
        return False
    return _same(a, [words(r.text) for r in a.recommendations], b, [words(r.text) for r in b.recommendations])


def _same(a: CaseRecord, wa: list, b: CaseRecord, wb: list) -> bool:
    if a.reference and b.reference:
        return a.reference == b.reference
    if a.force and b.force and a.force.id != b.force.id:
        return False
    if a.id == b.id:
        return True
    if wa and wb and _shared(wa, wb) * 2 >= min(len(wa), len(wb)):
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
    primary.no_recommendations = primary.no_recommendations or other.no_recommendations
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
    if primary.no_recommendations and primary.recommendations:
        # One rendering says there are none, another shows some: what is shown stands.
        primary.warnings.append(f"{NO_RECOMMENDATIONS_WARNING}: one rendering says so ({primary.no_recommendations!r}), "
                                f"but another shows {len(primary.recommendations)}; they are kept")
        primary.no_recommendations = None
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

