"""Move a whole graph from one store to another (embedded -> Neo4j for users who outgrow a machine)."""

from __future__ import annotations

from collections.abc import Callable

from graph.store import GraphStore, WriteResult

PAGE = 1000


def copy_graph(source: GraphStore, target: GraphStore, clear: bool = False,
               progress: Callable[[int], None] | None = None) -> WriteResult:
    """Write every case of `source` into `target` (same records, with the renderings each was merged
    from, so the same graph and answers, and later arrivals merge in the target as in the source).

    The target's schema is created first; with `clear` its graph is emptied before. Re-running a copy
    writes only what changed, as any ingest does.
    """
    if clear:
        target.clear()
    target.ensure_schema()
    total = WriteResult([], [], {})
    skip = 0
    while True:
        cases = source.case_records(skip=skip, limit=PAGE, renderings=True)
        if not cases:
            break
        result = target.write_cases(cases)
        total.written += result.written
        total.unchanged += result.unchanged
        total.failed.update(result.failed)
        skip += PAGE
        if progress:
            progress(len(cases))
    return total
