"""Cases from web archives, with each recommendation's history over every archived fetch of its page.

A page fetched several times leaves several records in the WARC files: a response for each new
version and a revisit (304) or an identical response for each fetch that found it unchanged. The
case is read from the latest version; each recommendation's `history` lists the states its page
showed (status and response), each from the first fetch that showed it to the last. The history is
derived from the archive every time, so re-ingesting never duplicates it and losing the graph loses
nothing the archive holds.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.archive import ArchivedResponse, read_archive
from ontology.exc import IopcKgError, InvalidSource
from ontology.records import CaseRecord, Observation
from ontology.sources import Sources

log = logging.getLogger(__name__)
Parse = Callable[[bytes, str, str, "str | None"], CaseRecord]  # (body, content type, name, url) -> the page's case


@dataclass
class ArchiveResult:
    cases: list[CaseRecord]
    failures: list[tuple[str, str]]  # (where, message)
    records: int  # page records read (responses and revisits)


def archived_cases(paths: list[Path], sources: Sources, parse: Parse) -> ArchiveResult:
    """The latest case of every archived recommendation page in `paths`, with its history; `parse`
    reads a fetched page into a case (ingest/pipeline.py's `page_case`)."""
    by_url: dict[str, list[ArchivedResponse]] = defaultdict(list)
    failures: list[tuple[str, str]] = []
    bodies: dict[str, bytes] = {}  # one copy of each distinct payload: re-fetches of an unchanged page share it
    n = 0
    for path in paths:
        try:
            for r in read_archive(path):
                if not sources.is_page(r.url):
                    continue  # robots.txt, sitemaps, listings: evidence of the crawl, not pages
                if (r.kind == "response" and r.status == 200) or (r.kind == "revisit" and r.status == 304):
                    if r.body is not None and r.digest:
                        r.body = bodies.setdefault(r.digest, r.body)
                    by_url[r.url].append(r)
                    n += 1
        except IopcKgError as e:
            failures.append((str(path), e.message))
    parsed = _Parsed(parse)
    cases = []
    for url, fetches in sorted(by_url.items()):
        fetches.sort(key=lambda r: (r.date or "", r.offset))
        try:
            case = _page_case(url, fetches, parsed)
        except IopcKgError as e:
            failures.append((f"{fetches[-1].ref} ({url})", e.message))
            continue
        if case is not None:
            cases.append(case)
    return ArchiveResult(cases, failures, n)


class _Parsed:
    """Pages parsed once per payload digest (unchanged versions are not read again)."""

    def __init__(self, parse: Parse):
        self.parse = parse
        self.done: dict[str, CaseRecord | IopcKgError] = {}

    def __call__(self, record: ArchivedResponse) -> CaseRecord:
        key = record.digest or record.ref
        if key not in self.done:
            try:
                self.done[key] = self.parse(record.body or b"", record.content_type, record.ref, record.url)
            except IopcKgError as e:
                self.done[key] = e
        result = self.done[key]
        if isinstance(result, IopcKgError):
            raise result
        return copy.deepcopy(result)


def _page_case(url: str, fetches: list[ArchivedResponse], parsed: _Parsed) -> CaseRecord | None:
    """The case of the page's latest version, its recommendations' histories over every fetch."""
    history: dict[int, list[Observation]] = defaultdict(list)
    current: tuple[CaseRecord, ArchivedResponse] | None = None
    latest_error: IopcKgError | None = None
    for fetch in fetches:
        if fetch.kind == "response":
            try:
                current = (parsed(fetch), fetch)
                latest_error = None
            except IopcKgError as e:
                current, latest_error = None, e
                continue
        if current is None:
            continue  # a revisit of a version these files do not hold, or of a page that did not parse
        case, shown = current
        for rec in case.recommendations:
            seen = history[rec.key_number()]
            state = (rec.status, rec.response)
            if seen and (seen[-1].status, seen[-1].response) == state:
                seen[-1].last_seen = fetch.date
            else:
                seen.append(Observation(first_seen=fetch.date, last_seen=fetch.date, status=rec.status,
                                        response=rec.response, source=case.sources[0].id, archive=shown.ref))
    if latest_error is not None:
        raise latest_error
    if current is None:
        raise InvalidSource(f"{url}: no archived version of the page could be read")
    case, shown = current
    case = copy.deepcopy(case)
    for source in case.sources:
        source.path, source.offset, source.retrieved = shown.warc, shown.offset, fetches[-1].date
    for rec in case.recommendations:
        rec.history = history.get(rec.key_number(), [])
    return case
