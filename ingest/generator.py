"""A seeded generator of realistic synthetic cases, for tests and benchmarks.

Shaped like the real corpus, so cross-force views look at 2k cases as they will on real data: a
few national programmes (`NATIONAL`) reach most forces, a shared system only its users (Athena its
nine consortium forces), every other programme a handful of forces, the same ones whatever the seed
(`programme_reach`); within what a force can name, popularity follows a Zipf-like law; each force
leans towards a few themes, so forces are alike in parts, not all alike. Every status occurs, and
some responses are still awaited past their due date. Ids are the gazetteers' real ids; texts are
generated and say so.

Independent seeds never share a case: the seed is part of each reference number and source URL
(references YYYY/SSNNNNN: seed SS, case number NNNNN), so seeds are 0-99 and a corpus holds at most
100,000 cases (`first` numbers a corpus written in parts).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import lru_cache

from ontology.gazetteer import gazetteer
from ontology.records import CaseRecord, Deferral, Mention, ProgrammeRef, RecommendationRecord, Ref, SourceRecord

STATUSES = [("accepted", 0.62), ("partially_accepted", 0.12), ("not_accepted", 0.08), ("awaiting_response", 0.12), ("unknown", 0.06)]
VERBS = ["review", "ensure", "remind officers of", "update guidance on", "audit", "provide training on", "improve supervision of"]
# Sentence parts written for iopc-kg, combined at random so generated texts have the length and the
# spread of vocabulary of real ones (recommendations of 40-90 words, responses of 30-150; a common
# phrase such as "body worn video" in a few per cent of them): search benchmarks need realistic postings.
ACTORS = ["Officers", "Supervisors", "Call handlers", "Custody staff", "Investigators", "Detention officers",
          "Control room staff", "Response officers", "Sergeants", "Student officers", "Inspectors", "Staff"]
ACTIONS = ["should record", "should be reminded to check", "should receive training on", "should review",
           "should be given clear guidance on", "should escalate concerns about", "should document decisions on",
           "should be supported in managing", "should be audited on", "should be briefed on"]
OBJECTS = ["the rationale for any use of force", "risk assessments for detainees", "safeguarding referrals",
           "missing person reports", "body worn video footage", "welfare checks on detainees in custody",
           "domestic abuse risk assessments", "the handling of complaints from the public",
           "information shared with partner agencies", "crime recording decisions", "open non-crime investigations",
           "bail and release conditions", "calls from people in mental health crisis", "the care of vulnerable victims",
           "stop and search encounters", "digital evidence from mobile phones", "disclosure to the Crown Prosecution Service",
           "overdue supervisory reviews", "firearms licensing checks", "vetting decisions", "rousing of intoxicated detainees",
           "the grading of emergency calls", "pursuit authorisations", "the seizure of property",
           "interpreters for people who do not speak English", "reasonable adjustments for disabled people",
           "handover of prisoners between shifts", "the retention of CCTV", "checks of the police national computer",
           "follow up with repeat victims"]
QUALIFIERS = ["within seven days", "at the earliest opportunity", "before the end of each shift",
              "in line with national guidance", "on the case management system", "", "", "",
              "whenever the risk changes", "and share the learning with colleagues", "using the reminders on the system"]
RESPONDERS = ["The force", "The Professional Standards Department", "The custody command", "The learning and development team",
              "The force control room", "The public protection unit", "The chief officer team", "The local policing command"]
RESPONSES = ["has published a revised standard operating procedure", "has delivered training to frontline supervisors",
             "is reviewing its policy", "has audited a sample of records", "will introduce automated reminders",
             "has updated its guidance", "has briefed all staff", "does not accept the need for further change",
             "has asked the regional collaboration board for a decision", "has added a mandatory field to the system",
             "has appointed a lead officer", "is seeking funding for new equipment"]
RESPONSE_TAILS = ["and compliance will be monitored monthly.", "and the learning was shared across the force.",
                  "as existing policy already covers this area.", "and a further audit is planned next year.",
                  "and the change took effect this quarter.", "."]


def _sentence(rng) -> str:
    qualifier = rng.choice(QUALIFIERS)
    return f"{rng.choice(ACTORS)} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)}{' ' + qualifier if qualifier else ''}."


def _response_sentence(rng) -> str:
    tail = rng.choice(RESPONSE_TAILS)
    return f"{rng.choice(RESPONDERS)} {rng.choice(RESPONSES)}{'' if tail == '.' else ' '}{tail}"


MAX_SEED = 99
MAX_CASES = 100_000
# Programmes every force names now and then: national systems, guidance and equipment.
NATIONAL = ("app", "pnc", "bwv", "taser", "pace-code-c")
FOCUS_THEMES = 5  # themes each force leans towards


@lru_cache(maxsize=1)
def programme_reach() -> dict[str, tuple[str, ...]]:
    """The forces that can name each programme: every force for `NATIONAL`, the users of a shared
    system, and for the rest a few forces (1 to 12, most 1 to 4), fixed for every seed."""
    g = gazetteer()
    forces = sorted(f.id for f in g.forces)
    rng = random.Random("iopc-kg programme reach")
    reach = {}
    for p in sorted(g.programmes, key=lambda p: p.id):
        if p.id in NATIONAL:
            reach[p.id] = tuple(forces)
        elif p.extra.get("users"):
            reach[p.id] = tuple(sorted(p.extra["users"]))
        else:
            reach[p.id] = tuple(sorted(rng.sample(forces, min(12, 1 + int(rng.expovariate(1 / 2.5))))))
    return reach


def _theme_weights(force_id: str, themes: list) -> list[float]:
    """A force's leaning: a Zipf-like popularity of themes (a few common everywhere, most rare), and a few
    themes of its own it names often."""
    focus = set(random.Random(f"iopc-kg themes {force_id}").sample(range(len(themes)), FOCUS_THEMES))
    return [1 / (i + 1) ** 2 + (0.12 if i in focus else 0.0) for i in range(len(themes))]


def generate(n_cases: int, seed: int = 7, start_year: int = 2016, end_year: int = 2026, first: int = 0) -> list[CaseRecord]:
    """`n_cases` synthetic case records, the same for the same seed; numbered from `first`."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be 0 to {MAX_SEED}: it is part of every reference, so that two seeds never share a case")
    if first < 0 or first + n_cases > MAX_CASES:
        raise ValueError(f"a generated corpus holds at most {MAX_CASES:,} cases (numbers {first} to {first + n_cases - 1} asked for)")
    rng = random.Random(seed)
    g = gazetteer()
    forces = [f for f in g.forces]
    bodies = [b for b in g.bodies if b.extra["kind"] != "local_policing_body"]
    programmes = sorted(g.programmes, key=lambda p: p.id)
    rng.shuffle(programmes)
    athena = g.get("Programme", "athena")
    programmes.remove(athena)
    programmes.insert(0, athena)
    popularity = {p.id: 1 / (i + 1) ** 1.1 for i, p in enumerate(programmes)}
    reach = programme_reach()
    themes = sorted(g.themes, key=lambda t: t.id)
    span = (date(end_year, 6, 30) - date(start_year, 1, 1)).days
    cases = []
    for number in range(first, first + n_cases):
        force = rng.choice(forces)
        made = date(start_year, 1, 1) + timedelta(days=rng.randrange(span))
        case = CaseRecord(
            reference=f"{made.year - rng.randint(0, 2)}/{seed:02d}{number:05d}",
            title=f"Recommendations - {force.name}, {made:%B %Y} (synthetic)",
            force=Ref(force.id, force.name),
            date_recommended=made.isoformat(),
            layout="JSON",
        )
        case.derive_due_date()
        # A synthetic fetch time: the day after the recommendation, 09:00 UTC.
        case.sources = [SourceRecord.make(f"https://example.org/synthetic/{seed}/{number}", None, "JSON",
                                          f"{made + timedelta(days=1)}T09:00:00+00:00")]
        own = [p for p in programmes if force.id in reach[p.id]]
        weights = [popularity[p.id] for p in own]
        theme_weights = _theme_weights(force.id, themes)
        for n in range(1, rng.choice([1, 2, 3, 3, 4, 5]) + 1):
            case.recommendations.append(_rec(rng, n, force, bodies, own, weights, themes, theme_weights, g))
        cases.append(case)
    return cases


def _rec(rng, n, force, bodies, programmes, weights, themes, theme_weights, g) -> RecommendationRecord:
    chosen = []
    for p in rng.choices(programmes, weights=weights, k=rng.choice([1, 1, 2, 3])) if programmes else []:
        if p not in chosen:
            chosen.append(p)
    picked_themes = []
    for t in rng.choices(themes, weights=theme_weights, k=rng.choice([1, 2, 2, 3])):
        if t not in picked_themes:
            picked_themes.append(t)
    verb = rng.choice(VERBS)
    names = " and ".join(p.name for p in chosen) or "its local procedures"
    extra = " ".join(_sentence(rng) for _ in range(rng.choice([1, 2, 2, 3, 4])))
    text = (f"The IOPC recommends that {force.name} {verb} {names}, with regard to "
            f"{', '.join(t.name.lower() for t in picked_themes)}. {extra} (Synthetic text generated by iopc-kg.)")
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    addressed = [Ref(force.id, force.name)]
    if rng.random() < 0.1:
        body = rng.choice(bodies)
        addressed = [Ref(body.id, body.name, "Body")]
    response = None
    defers = []
    if status != "awaiting_response" and rng.random() > 0.05:
        said = " ".join(_response_sentence(rng) for _ in range(rng.choice([1, 2, 3, 4, 6])))
        response = f"{force.name} has considered the recommendation. {said} (Synthetic response generated by iopc-kg.)"
        if chosen and chosen[0].id == "athena" and rng.random() < 0.5:
            group = g.get("Body", "athena-governance-group")
            phrase = "The matter has been put before the Athena Governance group."
            response += " " + phrase
            defers.append(Deferral("Body", group.id, group.name, phrase))
    rec = RecommendationRecord(
        numbers=[n], position=n, text=text, addressed_to=addressed, status=status,
        status_label=status.replace("_", " ").capitalize(), response=response,
        programmes=[ProgrammeRef(p.id, p.name, p.extra["kind"], False) for p in chosen],
        themes=[t.id for t in picked_themes], defers_to=defers,
    )
    for p in chosen:
        start = text.find(p.name)
        rec.mentions.append(Mention("Programme", p.id, "text", start, start + len(p.name), p.name))
    return rec
