"""Ingest: parse sources and write the merged cases to the graph store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from graph.store import GraphStore
from ingest.pipeline import Failure, parse_paths


@dataclass
class IngestSummary:
    files: int = 0
    cases: int = 0
    recommendations: int = 0
    written: int = 0
    unchanged: int = 0
    warnings: int = 0
    failures: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "files": self.files, "cases": self.cases, "recommendations": self.recommendations,
            "written": self.written, "unchanged": self.unchanged, "warnings": self.warnings,
            "failures": [{"path": f.path, "message": f.message} for f in self.failures],
        }


def ingest_paths(paths: list[str | Path], store: GraphStore, progress: bool = False, batch_size: int = 500) -> IngestSummary:
    """Parse every file under `paths` and write the cases; failing files are reported, not fatal."""
    result = parse_paths(paths)
    summary = IngestSummary(files=result.files, cases=len(result.cases), failures=list(result.failures))
    summary.recommendations = sum(len(c.recommendations) for c in result.cases)
    summary.warnings = sum(len(c.warnings) for c in result.cases)
    store.ensure_schema()
    bar = tqdm(total=len(result.cases), unit="case", disable=not progress, file=None)
    for start in range(0, len(result.cases), batch_size):
        batch = result.cases[start:start + batch_size]
        written = store.write_cases(batch, batch_size=batch_size)
        summary.written += len(written.written)
        summary.unchanged += len(written.unchanged)
        for case_id, message in written.failed.items():
            summary.failures.append(Failure(case_id, f"case {case_id}: not written: {message}"))
        bar.update(len(batch))
    bar.close()
    return summary
