"""Ingest: parse sources, write the merged cases to the graph store and the search index.

The graph is written first, then the index, batch by batch. A case the graph already holds
unchanged is still re-indexed if the index lacks it or holds an older version: after a crash
between the two writes, re-running the ingest brings them back into agreement.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from graph.store import GraphStore
from ingest.pipeline import Failure, parse_paths
from ontology.records import CaseRecord

BATCH = 500


@dataclass
class IngestSummary:
    files: int = 0
    cases: int = 0
    recommendations: int = 0
    written: int = 0
    unchanged: int = 0
    indexed: int = 0
    warnings: int = 0
    failures: list[Failure] = field(default_factory=list)
    finished: str | None = None

    def as_dict(self) -> dict:
        return {
            "files": self.files, "cases": self.cases, "recommendations": self.recommendations,
            "written": self.written, "unchanged": self.unchanged, "indexed": self.indexed, "warnings": self.warnings,
            "failures": [{"path": f.path, "message": f.message} for f in self.failures],
            "finished": self.finished,
        }


def write_cases(cases: list[CaseRecord], store: GraphStore, index=None, summary: IngestSummary | None = None,
                progress: bool = False, batch_size: int = BATCH, procs: int = 1) -> IngestSummary:
    """Write records to the graph and, if given, the search index (`search.index.SearchIndex`).

    `procs` > 1 indexes in worker processes: for the command line, not inside the API server.
    """
    summary = summary or IngestSummary(cases=len(cases))
    store.ensure_schema()
    bar = tqdm(total=len(cases), unit="case", disable=not progress)
    with index.bulk(procs=procs) if index is not None else nullcontext() as bulk:
        for start in range(0, len(cases), batch_size):
            batch = cases[start:start + batch_size]
            written = store.write_cases(batch, batch_size=batch_size)
            summary.written += len(written.written)
            summary.unchanged += len(written.unchanged)
            for case_id, message in written.failed.items():
                summary.failures.append(Failure(case_id, f"case {case_id}: not written: {message}"))
            if bulk is not None:
                in_graph = set(written.written) | set(written.unchanged)
                indexed = index.stored_hashes([c.id for c in batch])
                summary.indexed += bulk.replace([c for c in batch if c.id in in_graph and indexed.get(c.id) != c.content_hash()])
            bar.update(len(batch))
    bar.close()
    # The index writer and the readers it opened form reference cycles that hold their buffers and
    # mapped segment files; free them now rather than whenever the collector next runs a full pass
    # (the API server runs it rarely, for latency). The soak bench measured a server's memory
    # climbing 894 -> 1,397 MiB over six minutes of ingests without this; flat with it.
    gc.collect()
    summary.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return summary


def ingest_paths(paths: list[str | Path], store: GraphStore, index=None, progress: bool = False,
                 batch_size: int = BATCH, log_path: Path | None = None, procs: int = 1, sources=None) -> IngestSummary:
    """Parse every file under `paths` and write the cases; failing files are reported, not fatal.

    `sources` (ontology.sources.Sources) tells the pages of web archives from the rest.
    """
    result = parse_paths(paths, sources=sources)
    cases, conflicts = _one_per_id(result.cases)
    result.cases = cases
    summary = IngestSummary(files=result.files, cases=len(result.cases), failures=list(result.failures) + conflicts)
    summary.recommendations = sum(len(c.recommendations) for c in result.cases)
    summary.warnings = sum(len(c.warnings) for c in result.cases)
    write_cases(result.cases, store, index, summary, progress, batch_size, procs)
    if log_path is not None:
        record_ingest(log_path, summary, [str(p) for p in paths])
    return summary


def _one_per_id(cases: list[CaseRecord]) -> tuple[list[CaseRecord], list[Failure]]:
    """Pages the merge could not join but that give the same reference: the first is kept and each
    other is reported by name (found by tests/reliability/test_damaged_pages.py: the last one
    silently replaced the first)."""
    kept: dict[str, CaseRecord] = {}
    conflicts = []
    for case in cases:
        first = kept.get(case.id)
        if first is None:
            kept[case.id] = case
            continue
        where = next((s.path or s.url for s in case.sources if s.path or s.url), case.id)
        other = next((s.path or s.url for s in first.sources if s.path or s.url), first.id)
        conflicts.append(Failure(str(where), f"{where}: gives the reference {case.reference or case.id} of {other} with other "
                                             f"recommendations; not ingested (the first page read is kept)"))
    return list(kept.values()), conflicts


def reindex(store: GraphStore, index, page: int = 2000, procs: int = 1) -> int:
    """Rebuild the search index from the graph's stored case records; returns documents written."""
    index.clear()
    n, skip = 0, 0
    with index.bulk(procs=procs) as bulk:
        while True:
            cases = store.case_records(skip=skip, limit=page)
            if not cases:
                break
            n += bulk.replace(cases)
            skip += page
    return n


def record_ingest(path: Path, summary: IngestSummary, sources: list[str]) -> None:
    """Keep the last ingest's summary beside the data (for /stats), replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(summary.as_dict() | {"sources": sources}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ingest-")
    with os.fdopen(fd, "w") as f:
        f.write(body)
    os.replace(tmp, path)


def last_ingest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
