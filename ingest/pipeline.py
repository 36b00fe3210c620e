"""Parse source files into merged case records; a failing file never stops the batch."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ingest.archive import is_warc
from ingest.extract import build_case, enrich
from ingest.history import archived_cases
from ingest.merge import merge_cases
from ingest.pages import parse_page
from ingest.sources import RECORD_SUFFIXES, read_page, read_records, walk
from ingest.text import normalise, repair
from ontology.exc import IopcKgError, InvalidSource
from ontology.records import CaseRecord, SourceRecord
from ontology.sources import Sources, load_sources

log = logging.getLogger(__name__)


@dataclass
class Failure:
    path: str
    message: str
    errors: dict = field(default_factory=dict)


@dataclass
class ParseResult:
    cases: list[CaseRecord]
    failures: list[Failure]
    files: int


def parse_text(text: str, name: str, url: str | None = None) -> CaseRecord:
    """Parse one page's text into a case record."""
    clean = repair(normalise(text))
    page = parse_page(clean, name)
    source = SourceRecord.make(url, name, page.layout)
    return build_case(page, source, name)


def parse_file(path: Path) -> list[CaseRecord]:
    """Parse one file: a page gives one case, a JSON/JSONL file one case per record."""
    if path.suffix.lower() in RECORD_SUFFIXES:
        cases = []
        for where, obj in read_records(path):
            case = CaseRecord.from_dict(obj, where)
            for rec, raw in zip(case.recommendations, obj["recommendations"]):
                if "programmes" not in raw or "themes" not in raw:
                    enrich(rec)
            if not case.sources:
                case.sources = [SourceRecord.make(case.source_url, str(path), "JSON")]
            case.derive_due_date()
            cases.append(case)
        return cases
    if path.suffix.lower() not in (".txt", ".html", ".htm"):
        raise InvalidSource(f"{path}: no parser for files ending {path.suffix or '(none)'!r}; use .txt, .html, .json or .jsonl")
    page = read_page(path)
    return [parse_text(page.text, page.name, page.url)]


def parse_paths(paths: list[str | Path], merge: bool = True, sources: Sources | None = None) -> ParseResult:
    """Parse every file under `paths`; failures are collected with the file and the reason.

    Web archives are read together (ingest/history.py), their pages told from the rest by the
    declared `sources` (the bundled ontology/sources.yaml by default).
    """
    files = walk(paths)
    cases: list[CaseRecord] = []
    failures: list[Failure] = []
    archives = [p for p in files if is_warc(p)]
    if archives:
        result = archived_cases(archives, sources or load_sources())
        cases.extend(result.cases)
        failures.extend(Failure(where, message) for where, message in result.failures)
    for path in (p for p in files if not is_warc(p)):
        try:
            cases.extend(parse_file(path))
        except IopcKgError as e:
            failures.append(Failure(str(path), e.message, e.errors))
        except RecursionError:
            failures.append(Failure(str(path), f"{path}: page is nested too deeply to parse"))
    return ParseResult(merge_cases(cases) if merge else cases, failures, len(files))
