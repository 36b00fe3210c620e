"""From a parsed `Page` to a `CaseRecord`: names resolved to gazetteer ids, statuses, programmes, themes."""

from __future__ import annotations

import re

from ingest.pages import Block, Page
from ingest.status import decide
from ontology.gazetteer import Entry, gazetteer, norm
from ontology.records import CaseRecord, Deferral, Mention, ProgrammeRef, RecommendationRecord, Ref, SourceRecord
from ontology.types import TYPES

# "Long Name (ACRONYM)": unknown programmes are still found (issue 2). Generic acronyms are not programmes.
_ACRONYM = re.compile(r"\(([A-Za-z][A-Za-z]{1,9})\)")
_NOT_PROGRAMMES = {"SOP", "SOPS", "IOPC", "IPCC", "PCC", "RASSO", "CPS", "PACE", "MH", "NHS", "DA"}
_OPERATION = re.compile(r"\b(?:Operation|Op\.?|OP)\s+([A-Z][a-z]{2,})\b")
_SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "to", "&"}
_KIND_WORDS = [
    ("system", r"system|database|platform|application"),
    ("unit", r"team|unit|hub|department|squad|desk|centre|group"),
    ("training", r"programme|course|exam|examination|training|qualification|apprenticeship"),
    ("policy", r"policy|procedure|procedures|guidance|protocol|framework|model|code|standard"),
]
# Deferral cues: the response waits on somebody else's decision (the seed's Athena response).
_DEFER = re.compile(
    r"\b(put (the matter|it|this) before|before the|reviewed and authorised by|authorised by|approval of|approved by"
    r"|subject to|awaiting (the )?(decision|outcome|guidance|approval)|referred (it |this |the matter )?to"
    r"|escalated to|raised (it |this )?(with|at)|asked the|been asked|(gone|sent|submitted|taken|referred) to the|wait(s|ing)? for|await(s|ing)?|dependent on|depends on|national (framework|programme|lead|working group)"
    r"|forms part of)\b",
)  # searched in lower case: much faster than re.I


NO_DATE_WARNING = "no recommendation date on the page"
NO_RECOMMENDATIONS_WARNING = "no recommendations"


def build_case(page: Page, source: SourceRecord, name: str) -> CaseRecord:
    g = gazetteer()
    warnings = list(page.warnings)
    reference = TYPES["reference"].clean(page.reference)
    if page.reference and not reference:
        warnings.append(f"reference {page.reference!r} is not an IOPC reference (YYYY/NNNNNN)")
    force = _case_force(page, warnings)
    case = CaseRecord(
        reference=reference,
        title=TYPES["string"].clean(page.title),
        force=force,
        date_recommended=TYPES["date"].clean(page.date_made),
        response_due=TYPES["date"].clean(page.date_due),
        published=TYPES["date"].clean(page.published),
        summary=TYPES["text"].clean(page.summary),
        source_url=source.url,
        layout=page.layout,
        sources=[source],
        aliases=list(dict.fromkeys(page.aliases)),
    )
    if page.no_recommendations:
        case.no_recommendations = page.no_recommendations
        warnings.append(f"{NO_RECOMMENDATIONS_WARNING}: the page says so ({page.no_recommendations!r}); "
                        "the case is complete with none, not incomplete")
    if page.incomplete_why:
        warnings.append(f"header only: the page carries the case but none of its recommendations ({page.incomplete_why}); "
                        "the case is marked incomplete until a complete rendering is merged")
    for label, raw in (("recommendation date", page.date_made), ("response due date", page.date_due)):
        if raw and not TYPES["date"].clean(raw):
            warnings.append(f"{label} {raw!r} is not a date")
    if not case.date_recommended:
        warnings.append(f"{NO_DATE_WARNING} (a month in the title is not used: it is often the incident month)")
    case.derive_due_date()
    if case.response_due_derived:
        warnings.append("response due date derived: recommendation date + 56 days (para 28B, Schedule 3, PRA 2002)")
    title_org = _title_org(page.title)
    for position, block in enumerate(page.blocks, 1):
        case.recommendations.append(_recommendation(block, position, case, warnings, g, title_org))
    case.warnings = warnings
    return case


def _case_force(page: Page, warnings: list[str]) -> Ref | None:
    g = gazetteer()
    if page.force_text:
        entries, leftover = g.resolve_orgs(page.force_text)
        forces = [e for e in entries if e.kind == "Force"]
        if forces and not leftover:
            return _ref(forces[0])
        if not (entries and not leftover):  # a national body in the force's place is no error (a national recommendation)
            warnings.append(f"force {page.force_text!r} in the page header is not a known force")
    if page.title:
        title = re.split(r"\s[-–]\s|–", page.title)
        for part in reversed(title):
            entries, _ = g.resolve_orgs(part.split(",")[0])
            forces = [e for e in entries if e.kind == "Force"]
            if forces:
                return _ref(forces[0])
    # Fall back to the addressees when they agree on one force.
    found = set()
    for block in page.blocks:
        for raw in (block.addressed, block.heading_to):
            if raw:
                entries, leftover = g.resolve_orgs(raw)
                found.update(e for e in entries if e.kind == "Force")
        if block.addressed is None and block.heading_to is None:
            first = _named_in_text(block.text_str)
            if first and first.kind == "Force":
                found.add(first)
    if len(found) == 1:
        return _ref(found.pop())
    if not page.blocks:
        # A header-only page (FORMATS.md, pattern D): the force named in its narrative, if only one is.
        named = {m.entry for m in g.find_orgs(page.summary or "") if m.entry.kind == "Force"}
        if len(named) == 1:
            return _ref(named.pop())
    warnings.append("the page names no single force; case force unknown")
    return None


def _title_org(title: str | None) -> Entry | None:
    """The force or body a title names in its last parts ("National recommendation - <body>, Month YYYY").

    The default addressee when a recommendation has no label and names nobody (FORMATS.md, pattern F).
    """
    if not title:
        return None
    g = gazetteer()
    for part in reversed(re.split(r"\s[-–]\s|–", title)):
        entries, _ = g.resolve_orgs(part.split(",")[0])
        if entries:
            return entries[0]
    return None


def _ref(entry: Entry) -> Ref:
    return Ref(entry.id, entry.name, entry.kind)


def _named_in_text(text: str) -> Entry | None:
    """The force or body a recommendation names right after 'recommends that' (narrative layouts)."""
    m = _RECOMMENDS_THAT.search(text.lower())  # lower case, not re.I: much faster
    if not m:
        return None
    words = norm(text[m.start(1):m.end(1)]).split()
    g = gazetteer()
    i = 0
    while i < len(words) and words[i] in _CONNECTORS:
        i += 1
    return g.org_at(words, i)[0] if i < len(words) else None


_RECOMMENDS_THAT = re.compile(r"recommend(?:s|ed)?\s+that\s+(?:the\s+)?(.{3,90})")
_CONNECTORS = {"and", "the", "to", "of", "or"}


def _orgs(raw: str | None, what: str, n: str, case: CaseRecord, warnings: list[str], named: Entry | None = None) -> list[Ref]:
    """Resolve an Addressed to / Linked bodies value; a damaged value falls back to the body named after
    "recommends that" in the text (FORMATS.md, pattern E), else to the case's force."""
    g = gazetteer()
    if raw is None or (raw == "" and what == "linked bodies"):
        return []  # an empty "Linked bodies:" links none (national recommendations often have none)
    entries, leftover = g.resolve_orgs(raw)
    if entries and not leftover:
        return [_ref(e) for e in entries]
    shown = raw if raw else "(empty)"
    if named is not None:
        warnings.append(f"recommendation {n}: {what} {shown!r} is garbled; using {named.name}, named in the text")
        return [_ref(named)]
    fallback = [case.force] if case.force else []
    using = f"using the case's force ({case.force.name})" if case.force else "no force to fall back to"
    warnings.append(f"recommendation {n}: {what} {shown!r} is garbled; {using}")
    return fallback


def _recommendation(block: Block, position: int, case: CaseRecord, warnings: list[str], g,
                    title_org: Entry | None = None) -> RecommendationRecord:
    n = "&".join(map(str, block.numbers)) if block.numbers else f"#{position}"
    text = block.text_str
    response = block.response_str
    # AI-B keeps the old "Do you accept the recommendation?" + "Yes" inside the block: already split off.
    if case.layout == "FORCE-FOI" and not block.label and not block.response_prefix:
        # A force's republication: its own words about its own response never set a status.
        status, label, status_warnings = "unknown", None, (
            ["a force's republication with no status label: no status is read from the force's words"] if response else [])
    else:
        status, label, status_warnings = decide(block.label, block.response_prefix, response)
    warnings.extend(f"recommendation {n}: {w}" for w in status_warnings)
    if block.question and not block.label:
        warnings.append(f"recommendation {n}: 'Do you accept the recommendation?' has no answer")
    named = _named_in_text(text)
    if block.addressed is not None:
        addressed = _orgs(block.addressed, "addressee", n, case, warnings, named)
    elif block.heading_to:
        addressed = _orgs(block.heading_to, "addressee in the heading", n, case, warnings, named)
    elif named:
        addressed = [_ref(named)]
    elif case.force:
        addressed = [case.force]
    else:
        addressed = [_ref(title_org)] if title_org else []
    linked = _orgs(block.linked, "linked bodies", n, case, warnings) if block.linked is not None else []
    rec = RecommendationRecord(
        numbers=list(block.numbers), position=position, text=text, addressed_to=addressed,
        linked_bodies=linked, status=status, status_label=label, response=response,
    )
    _programmes(rec, g)
    _themes(rec, g)
    _deferrals(rec, g)
    return rec


def enrich(rec: RecommendationRecord) -> None:
    """Find programmes, themes and deferrals in a record that arrived without them (our JSON)."""
    g = gazetteer()
    rec.mentions = []
    _programmes(rec, g)
    _themes(rec, g)
    if not rec.defers_to:
        _deferrals(rec, g)


def _fields(rec: RecommendationRecord):
    yield "text", rec.text
    if rec.response:
        yield "response", rec.response


def _programmes(rec: RecommendationRecord, g) -> None:
    seen: dict[str, ProgrammeRef] = {}
    taken: list[tuple[str, int, int]] = []
    for field_name, text in _fields(rec):
        for m in g.find_programmes(text):
            e = m.entry
            seen.setdefault(e.id, ProgrammeRef(e.id, e.name, e.extra["kind"], False))
            rec.mentions.append(Mention("Programme", e.id, field_name, m.start, m.end, m.surface))
            taken.append((field_name, m.start, m.end))
    for field_name, text in _fields(rec):
        for found in _patterns(text):
            pid, name, kind, start, end, surface = found
            if any(f == field_name and s < end and start < e for f, s, e in taken):
                continue
            if g.get("Programme", pid) is not None:
                entry = g.get("Programme", pid)
                seen.setdefault(pid, ProgrammeRef(pid, entry.name, entry.extra["kind"], False))
            else:
                seen.setdefault(pid, ProgrammeRef(pid, name, kind, True))
            rec.mentions.append(Mention("Programme", pid, field_name, start, end, surface))
            taken.append((field_name, start, end))
    rec.programmes = list(seen.values())
    rec.mentions.sort(key=lambda m: (m.field != "text", m.start))


def _patterns(text: str):
    """Programmes named by pattern: 'Long Name (ACRONYM)' and 'Operation X'."""
    g = gazetteer()
    for m in _ACRONYM.finditer(text):
        acronym = m.group(1)
        if acronym.upper() in _NOT_PROGRAMMES or sum(c.isupper() for c in acronym) < 2:
            continue
        if g.resolve_orgs(acronym)[0]:
            continue  # a force or body, not a programme
        before = text[max(0, m.start() - 160):m.start()].split()
        long_name = _expansion(before, acronym)
        if not long_name:
            continue
        start = m.start() - len(" ".join(before[-len(long_name):])) - 1
        name = " ".join(long_name)
        name = name[0].upper() + name[1:]
        yield acronym.lower(), _title(name), _kind(name), max(start, 0), m.end(), text[max(start, 0):m.end()]
    for m in _OPERATION.finditer(text) if "Op" in text or "OP" in text else ():
        word = m.group(1)
        yield f"op-{word.lower()}", f"Operation {word}", "operation", m.start(), m.end(), m.group()


def _expansion(words: list[str], acronym: str) -> list[str] | None:
    """The shortest run of words before '(ACR)' whose initials spell the acronym."""
    letters = acronym.upper()
    for size in range(1, min(len(words), len(letters) + 4) + 1):
        run = [w.strip(",.;:()\"'") for w in words[-size:]]
        initials = "".join(w[0].upper() for w in run if w and w.lower() not in _SMALL_WORDS)
        if initials == letters and run[0] and run[0].lower() not in _SMALL_WORDS:
            return run
    return None


def _title(name: str) -> str:
    return " ".join(w if w.isupper() or w.lower() in _SMALL_WORDS else w[0].upper() + w[1:] for w in name.split())


def _kind(name: str) -> str:
    last = name.split()[-1].lower()
    for kind, words in _KIND_WORDS:
        if re.fullmatch(words, last):
            return kind
    return "programme"


def _themes(rec: RecommendationRecord, g) -> None:
    order: list[str] = []
    for field_name, text in _fields(rec):
        for m in g.find_themes(text):
            rec.mentions.append(Mention("Theme", m.entry.id, field_name, m.start, m.end, m.surface))
            if m.entry.id not in order:
                order.append(m.entry.id)
    rec.themes = order
    rec.mentions.sort(key=lambda m: (m.field != "text", m.start))


def _deferrals(rec: RecommendationRecord, g) -> None:
    """Find where a response waits on a shared body or national programme."""
    if not rec.response:
        return
    if not _DEFER.search(rec.response.lower()):
        return
    seen = set()
    for sentence in re.split(r"(?<=[.;])\s+", rec.response):
        if not _DEFER.search(sentence.lower()):
            continue
        targets = [(m.entry, m.surface) for m in g.find_bodies(sentence)]
        if not targets:
            targets = [
                (m.entry, m.surface) for m in g.find_programmes(sentence)
                if m.entry.extra["kind"] in ("operation", "programme") or re.search(r"national", sentence, re.I)
            ]
        for entry, surface in targets:
            if (entry.kind, entry.id) in seen or (rec.addressed_to and entry.id in {r.id for r in rec.addressed_to}):
                continue
            seen.add((entry.kind, entry.id))
            rec.defers_to.append(Deferral(entry.kind, entry.id, entry.name, sentence.strip()[:300]))


def keep_gazetteer_names(case: CaseRecord) -> None:
    """Our JSON records carry names beside ids; for a force, body, programme or theme the gazetteers
    know, the gazetteer's name (and kind) is kept and the record's is ignored, with a warning: an
    upload cannot rename what the gazetteers declare (issue 14: a record renamed Kent Police)."""
    g = gazetteer()
    changed: set[str] = set()

    def ref(r: Ref) -> Ref:
        entry = g.get("Body" if r.kind == "Body" else "Force", r.id)
        if entry is None or r.name == entry.name:
            return r
        changed.add(f"{entry.kind.lower()} {r.id}")
        return Ref(r.id, entry.name, r.kind)

    if case.force is not None:
        case.force = ref(case.force)
    for rec in case.recommendations:
        rec.addressed_to = [ref(r) for r in rec.addressed_to]
        rec.linked_bodies = [ref(r) for r in rec.linked_bodies]
        for i, p in enumerate(rec.programmes):
            entry = g.get("Programme", p.id)
            if entry is not None and (p.name, p.kind, p.new) != (entry.name, entry.extra["kind"], False):
                changed.add(f"programme {p.id}")
                rec.programmes[i] = ProgrammeRef(p.id, entry.name, entry.extra["kind"], False)
        for d in rec.defers_to:
            entry = g.get(d.kind, d.id)
            if entry is not None and d.name != entry.name:
                changed.add(f"{d.kind.lower()} {d.id}")
                d.name = entry.name
    if changed:
        case.warnings.append(f"names of gazetteer entries kept, the record's ignored: {', '.join(sorted(changed))}")
