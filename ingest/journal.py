"""The last ingest's summary, kept beside the data: written at the end of each ingest (`ingest.load`),
read by `/stats` and by every export's "data updated" figure. Light on purpose: reading it imports
nothing of the ingest pipeline."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def record_ingest(path: Path, summary: dict, sources: list[str]) -> None:
    """Keep the summary (`IngestSummary.as_dict()`) and the inputs' names, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(summary | {"sources": sources}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ingest-")
    with os.fdopen(fd, "w") as f:
        f.write(body)
    os.replace(tmp, path)


def last_ingest(path: Path) -> dict | None:
    """The last ingest's summary, or None when there was none (or it cannot be read)."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def data_updated(path: Path) -> str | None:
    """When the data last changed: when the last ingest finished."""
    return (last_ingest(path) or {}).get("finished")
