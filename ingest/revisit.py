"""The crawler's revisit schedule: which pages it already knows a run asks again.

A sitemap or a listing seldom changes when a force's response is published on a page it lists
(issue 30), so a known page is asked again on its own schedule, conditionally (If-None-Match /
If-Modified-Since: an unchanged page costs a 304). How often depends on what the page showed when
it was last parsed, read with ingest's own parser (`ingest.pipeline.page_case`) so the crawler and
the graph agree:

- `awaiting`: a recommendation's response is awaited (`RecommendationRecord.awaiting`);
- `overdue`: awaiting, and the response due date the page gives has passed;
- `answered`: every response published, or the page gives no case to await anything of.

The days between two requests for each class are declared per source in `ontology/sources.yaml`
(`revisit:`, over its `defaults:`; `ontology.sources.Revisit`). A run's mode overrides them: `due`
(the schedule), `all` (every known page) or `none` (only pages never fetched).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ingest.crawl_state import UrlState
from ingest.pipeline import page_case
from ontology.exc import IopcKgError
from ontology.sources import REVISIT_CLASSES, Revisit, Source

MODES = ("due", "all", "none")
CLASSES = REVISIT_CLASSES


def read_status(body: bytes, content_type: str, url: str, today: date) -> tuple[str, str | None]:
    """(class, response due date) of a page's body, as ingest would read it."""
    try:
        case = page_case(body, content_type, url, url)
    except IopcKgError:
        return "answered", None  # no case (a refused kind, a damaged page): nothing on it is awaited
    if not any(r.awaiting for r in case.recommendations):
        return "answered", case.response_due
    return ("overdue" if _passed(case.response_due, today) else "awaiting"), case.response_due


def page_class(page: UrlState, today: date) -> str:
    """The class a known page is in today: an awaiting page whose due date has passed since it was
    read is overdue; a page read before the state remembered statuses is awaiting until read again."""
    status = page.page_status or "awaiting"
    if status == "awaiting" and _passed(page.response_due, today):
        return "overdue"
    return status


def next_ask(page: UrlState, revisit: Revisit, today: date) -> date:
    """The day a known page is next asked: every run (today) for a class revisited at 0 days."""
    days = revisit.every(page_class(page, today))
    asked = _day(page.asked_at or page.fetched_at)
    if days == 0 or asked is None:
        return today
    return asked + timedelta(days=days)


def is_due(page: UrlState, revisit: Revisit, today: date) -> bool:
    """Whether the schedule asks a known page today; a sitemap <lastmod> later than the day it was
    last asked makes it due whatever its class (the site says it changed)."""
    asked = _day(page.asked_at or page.fetched_at)
    changed = _day(page.lastmod)
    if asked is not None and changed is not None and changed > asked:
        return True
    return next_ask(page, revisit, today) <= today


@dataclass
class ClassPlan:
    """What the schedule will ask of one class of known pages from now on."""

    pages: int = 0
    every_days: dict[str, int] | None = None  # source -> days (0: every run)
    next_date: str | None = None  # the first day a page of the class is asked again
    next_count: int = 0  # pages asked on that day

    def as_dict(self) -> dict:
        return {"pages": self.pages, "every_days": self.every_days or {}, "next_date": self.next_date, "next_count": self.next_count}


def plan(pages: list[tuple[UrlState, Source]], sources: list[Source], today: date) -> dict[str, ClassPlan]:
    """The schedule of the known pages by class: how many, each source's days, when each class is
    next asked (today's date, for a class asked every run, stands for the next run)."""
    out = {c: ClassPlan(every_days={s.name: s.revisit.every(c) for s in sources}) for c in CLASSES}
    dates: dict[str, list[date]] = {c: [] for c in CLASSES}
    for page, source in pages:
        c = page_class(page, today)
        out[c].pages += 1
        dates[c].append(next_ask(page, source.revisit, today))
    for c, days in dates.items():
        if days:
            first = min(days)
            out[c].next_date = first.isoformat()
            out[c].next_count = days.count(first)
    return out


def describe(schedule: dict[str, dict], today: str) -> str:
    """One line of a crawl's summary: each class, how often it is asked and when next."""
    parts = []
    for c in CLASSES:
        p = schedule.get(c)
        if not p:
            continue
        days = sorted(set(p["every_days"].values()))
        every = " or ".join("every run" if d == 0 else f"every {d} days" for d in days) or "not asked"
        when = ""
        if p["pages"] and days != [0]:
            when = f", next {p['next_count']} on {p['next_date']}" if p["next_date"] and p["next_date"] > today else \
                f", {p['next_count']} due on the next run"
        parts.append(f"{p['pages']} {c} ({every}{when})")
    return "; ".join(parts)


def _passed(due: str | None, today: date) -> bool:
    d = _day(due)
    return d is not None and d < today


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
