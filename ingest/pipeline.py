"""Parse source files into merged case records; a failing file never stops the batch."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest.archive import is_warc
from ingest.cores import procs
from ingest.extract import build_case, enrich, keep_gazetteer_names
from ingest.history import archived_cases
from ingest.merge import merge_cases
from ingest.pages import parse_page
from ingest.sources import RECORD_SUFFIXES, html_to_text, read_page, read_records, walk_named
from ingest.text import decode, normalise, repair
from ontology.exc import IopcKgError, InvalidData, InvalidSource
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
    page = parse_page(clean, name, url=url)
    source = SourceRecord.make(url, name, page.layout)
    return build_case(page, source, name)


def parse_file(path: Path, name: str | None = None) -> list[CaseRecord]:
    """Parse one file: a page gives one case, a JSON/JSONL file one case per record (the first bad
    record raises; `parse_records` reports each and keeps the rest)."""
    cases, failures = parse_records(path, name) if path.suffix.lower() in RECORD_SUFFIXES else ([], [])
    if failures:
        raise InvalidData(failures[0].message, errors=failures[0].errors)
    if path.suffix.lower() in RECORD_SUFFIXES:
        return cases
    if path.suffix.lower() not in (".txt", ".html", ".htm"):
        raise InvalidSource(f"{name or path}: no parser for files ending {path.suffix or '(none)'!r}; use .txt, .html, .json or .jsonl")
    page = read_page(path, name)
    return [parse_text(page.text, page.name, page.url)]


def page_case(body: bytes, content_type: str, ref: str, url: str | None) -> CaseRecord:
    """The case of one fetched page (HTML or text), as ingest reads it; raises IopcKgError if none.
    The crawler reads a page's status with it too (ingest/revisit.py), so both agree."""
    text = decode(body, ref)
    if "html" in content_type or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        text = html_to_text(text, ref).text
    return parse_text(text, ref, url)


def parse_records(path: Path, name: str | None = None) -> tuple[list[CaseRecord], list[Failure]]:
    """Our JSON/JSONL records, one case each; a bad record is a failure naming the file, the record
    (line or index) and the field, and the others are kept."""
    name = name or str(path)
    cases, failures = [], []
    for where, obj in read_records(path, name):
        try:
            if isinstance(obj, InvalidData):
                raise obj
            case = CaseRecord.from_dict(obj, where)
            for rec, raw in zip(case.recommendations, obj["recommendations"]):
                if "programmes" not in raw or "themes" not in raw:
                    enrich(rec)
            keep_gazetteer_names(case)
            if not case.sources:
                case.sources = [SourceRecord.make(case.source_url, name, "JSON", record=case.id)]
            case.derive_due_date()
        except IopcKgError as e:
            failures.append(Failure(where, _with_fields(e), e.errors))
            continue
        cases.append(case)
    return cases, failures


def _with_fields(e: IopcKgError) -> str:
    """The message, and the fields at fault when the message does not name them."""
    if not e.errors or any(k in e.message for k in e.errors):
        return e.message
    return f"{e.message}: " + "; ".join(f"{k}: {v}" for k, v in e.errors.items())


def parse_paths(paths: list[str | Path], merge: bool = True, sources: Sources | None = None,
                names: dict[Path, str] | None = None, progress: bool = False) -> ParseResult:
    """Parse every file under `paths`; failures are collected with the file (the record, for our
    JSON) and the reason. Files are named as `walk_named` names them, or by `names`.

    Web archives are read together (ingest/history.py), their pages told from the rest by the
    declared `sources` (the bundled ontology/sources.yaml by default). `progress` draws a bar on
    standard error (the command line's, on a terminal).
    """
    result = ParseResult([], [], 0)
    cases = list(parse_each(paths, result, sources, names, progress))
    result.cases = merge_cases(cases) if merge else cases
    return result


def parse_each(paths: list[str | Path], result: ParseResult, sources: Sources | None = None,
               names: dict[Path, str] | None = None, progress: bool = False) -> Iterator[CaseRecord]:
    """`parse_paths` a case at a time, unmerged: the failures and the number of files go into
    `result` as the files are read (an ingest holds the cases in a spool, ingest/spool.py)."""
    from tqdm import tqdm

    files = walk_named(paths)
    result.files = len(files)
    archives = [p for p, _ in files if is_warc(p)]
    if archives:
        archived = archived_cases(archives, sources or load_sources(), page_case)
        result.failures.extend(Failure(where, message) for where, message in archived.failures)
        cases, archived = archived.cases, None
        cases.reverse()
        while cases:  # each handed on and let go, not held until the last file is read
            yield cases.pop()
    todo = [(path, (names or {}).get(path, name)) for path, name in files if not is_warc(path)]
    with _readers(len(todo)) as read:
        for found, bad in tqdm(read(_read_one, todo), total=len(todo), unit="file", desc="parse", disable=not progress, leave=False):
            result.failures.extend(bad)
            yield from found


PARALLEL_FROM = 200  # files: below this, starting the workers costs more than they save


@contextmanager
def _readers(files: int):
    """A map over the files in order: in worker processes (fork, the cores there are, at most two) for
    many files where this process runs no other thread, else in this process."""
    workers = procs() if files >= PARALLEL_FROM else 1
    if workers == 1:
        yield map
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield lambda fn, items: pool.map(fn, items, chunksize=16)


def _read_one(item: tuple[Path, str]) -> tuple[list[CaseRecord], list[Failure]]:
    """One file's cases and failures (ours: a JSON record that fails is named with its line)."""
    path, name = item
    try:
        if path.suffix.lower() in RECORD_SUFFIXES:
            return parse_records(path, name)
        return parse_file(path, name), []
    except IopcKgError as e:
        return [], [Failure(name, e.message, e.errors)]
    except RecursionError:
        return [], [Failure(name, f"{name}: page is nested too deeply to parse")]
