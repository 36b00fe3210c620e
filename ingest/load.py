"""Ingest: parse sources, write the merged cases to the graph store, then bring the search index to it.

One write path (`_ingest`), which every entry point reaches through `ingest_paths` with the same
options: the graph is written in batches (merged with what it holds, ingest/merge.py), its write
memory given back, then the index is brought to the graph for the cases touched (`sync`, by content
hash). The index is a projection of the graph: given only what the graph has committed, and a case
the graph holds unchanged is still indexed again if the index lacks it or holds an older version, so
after a crash between the two writes, re-running the ingest brings them back into agreement.

Whatever the ingest (command line or HTTP), a marker file in the index directory says one is under
way; it is removed once the index has committed. A process that opens the data and finds a marker
(the ingest died: SIGKILL, a power cut) or a different number of recommendations in the graph and
the index calls `repair`, which compares every case's content hash and re-indexes or removes what
differs, and logs what it did. The API server does so at start, `iopc-kg ingest` before it writes.
"""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from graph.store import GraphStore
from ingest.cores import alone, procs
from ingest.journal import record_ingest
from ingest.merge import group_held, merge_renderings, merge_with_stored
from ingest.pipeline import Failure, ParseResult, parse_each
from ingest.spool import Held, Spool
from ontology.records import CaseRecord

BATCH = 500
PENDING = ".ingest-pending-"  # + a unique suffix: one marker per ingest under way

log = logging.getLogger("iopc_kg.ingest")


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


def write_cases(cases: Iterable[CaseRecord], store: GraphStore, index=None, summary: IngestSummary | None = None,
                progress: bool = False, batch_size: int = BATCH) -> IngestSummary:
    """Write records (renderings: those of one case are merged) to the graph, then bring the index
    to it; for callers that hold records (tests, benchmarks). `ingest_paths` is the ingest."""
    with Spool(on_disk=False) as spool:
        groups = group_held(cases, spool)
        return _ingest(([spool.get(h) for h in g] for g in groups), store, index, summary or IngestSummary(), progress,
                       batch_size)


def _ingest(groups: Iterable[list[CaseRecord]], store: GraphStore, index, summary: IngestSummary, progress: bool,
            batch_size: int) -> IngestSummary:
    """The one write path. Groups of renderings, a batch at a time, are merged with what the graph holds
    (ingest/merge.py) and written, each batch in one transaction; then the graph's write memory is given
    back, and the index is brought to the graph for the cases touched (`sync`), so the graph's and the
    index writers' memory are never held at once. The index is given only what the graph committed: a
    process that dies leaves it behind the graph, never ahead, and the pending marker makes the next
    command repair it."""
    store.ensure_schema()
    touched: set[str] = set()
    final: set[str] = set()
    bar = tqdm(total=summary.cases or None, unit="case", desc="graph", disable=not progress)
    with pending(index):
        it = iter(groups)
        while chunk := list(islice(it, batch_size)):
            cases, supersedes = merge_with_stored(chunk, store)
            written = store.write_cases(cases, batch_size=batch_size, supersedes=supersedes)
            _count(summary, written)
            done = {c.id for c in cases} - set(written.failed)
            summary.recommendations += sum(len(c.recommendations) for c in cases if c.id in done)
            summary.warnings += sum(len(c.warnings) for c in cases if c.id in done)
            final |= done
            touched |= done | {old for cid, olds in supersedes.items() if cid in done for old in olds}
            bar.update(len(chunk))
        bar.close()
        summary.cases = len(store.case_state(sorted(final)))  # less any a later batch merged into another
        if index is not None:
            if alone():  # closing the graph for a moment is safe only where no other thread reads it (not a server)
                store.release_write_memory()
            give_back_freed_memory()
            summary.indexed += sync(store, index, sorted(touched), progress=progress)["documents"]
    return _finished(summary)


def sync(store: GraphStore, index, ids: list[str] | None = None, page: int = BATCH, progress: bool = False) -> dict[str, int]:
    """Bring the index to the graph for these cases (every case when `ids` is None): the index is a
    projection of the graph, compared by content hash. A case the graph holds with recommendations and
    the index lacks or holds in another version is indexed again from the graph's record; a case the
    graph does not hold, or holds bare (header-only, or no recommendation made), leaves the index.
    Streams, a page of cases at a time."""
    if ids is None:
        ids = sorted(set(store.case_state()) | set(index.case_hashes()))
    stale, gone = [], []
    for start in range(0, len(ids), page):
        chunk = ids[start:start + page]
        graph = store.case_state(chunk)
        indexed = index.stored_hashes(chunk)
        for cid in chunk:
            held = graph.get(cid)
            if held is None or held[1]:  # absent, or bare (the index holds recommendations)
                if cid in indexed:
                    gone.append(cid)
            elif indexed.get(cid) != held[0]:
                stale.append(cid)
    written = 0
    if stale or gone:
        bar = tqdm(total=len(stale), unit="case", desc="index", disable=not progress)
        with index.bulk(procs=procs() if len(stale) > page else 1) as bulk:
            if gone:
                bulk.delete(gone)
            for start in range(0, len(stale), page):
                written += bulk.replace(store.case_records_by_id(stale[start:start + page]))
                bar.update(min(page, len(stale) - start))
        bar.close()
    return {"reindexed_cases": len(stale), "documents": written, "removed_cases": len(gone)}


def give_back_freed_memory() -> None:
    """glibc keeps native memory that was freed (by LadybugDB, or Whoosh's writer) for reuse; return
    it to the system, so the next phase of a long load starts from what is really held."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _finished(summary: IngestSummary) -> IngestSummary:
    _collect()
    summary.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return summary


def _count(summary: IngestSummary, written) -> None:
    summary.written += len(written.written)
    summary.unchanged += len(written.unchanged)
    for case_id, message in written.failed.items():
        summary.failures.append(Failure(case_id, f"case {case_id}: not written: {message}"))


def _collect() -> None:
    # The index writer and the readers it opened form reference cycles that hold their buffers and
    # mapped segment files; free them now rather than whenever the collector next runs a full pass
    # (the API server runs it rarely, for latency). The soak bench measured a server's memory
    # climbing 894 -> 1,397 MiB over six minutes of ingests without this; flat with it.
    gc.collect()


def ingest_paths(paths: list[str | Path], store: GraphStore, index=None, progress: bool = False,
                 batch_size: int = BATCH, log_path: Path | None = None, sources=None,
                 names: dict[Path, str] | None = None, logged_as: list[str] | None = None) -> IngestSummary:
    """The ingest every entry point calls (`iopc-kg ingest`, `iopc-kg update`, `POST /ingest`, `POST
    /ingest/paths`): parse every file under `paths`, group the renderings into cases, and write them
    (`_ingest`); failing files (and records) are reported, not fatal.

    `sources` (ontology.sources.Sources) tells the pages of web archives from the rest. `names` gives
    the name a file is reported and stored under (HTTP: the upload's name); `logged_as` what the
    ingest log records as its input (default: the names of the paths given).
    """
    if index is not None:
        # An earlier ingest that died (a marker left), an index that cannot be read, or a graph and
        # index that disagree: the index is put right first (said on stderr, in the log).
        store.ensure_schema()
    repaired = repair(store, index) if index is not None else None
    result = ParseResult([], [], 0)
    # The parsed cases wait on disk, not in memory, until every file is read (ingest/spool.py); beside
    # the index, on the data's disk, rather than in a temporary directory that may be memory (tmpfs).
    with Spool(directory=index.directory if index is not None else None) as spool:
        groups, conflicts = _one_per_id(group_held(parse_each(paths, result, sources, names, progress), spool), spool)
        summary = IngestSummary(files=result.files, cases=len(groups), failures=list(result.failures) + conflicts,
                                indexed=repaired["documents"] if repaired else 0)
        _ingest(([spool.get(h) for h in g] for g in groups), store, index, summary, progress, batch_size)
    if log_path is not None:
        record_ingest(log_path, summary.as_dict(), logged_as if logged_as is not None else [Path(p).resolve().name for p in paths])
    return summary


@contextmanager
def pending(index):
    """A marker in the index directory while an ingest writes. Left behind if the process dies or the
    ingest fails part-way (the index may then lack cases the graph holds, hold older versions, or
    still hold cases the graph deleted as superseded): the next start repairs."""
    if index is None:
        yield
        return
    marker = index.directory / f"{PENDING}{uuid.uuid4().hex}"
    marker.touch()
    yield
    marker.unlink(missing_ok=True)


def needs_repair(store: GraphStore, index) -> str | None:
    """Why graph and index may disagree (an ingest died, the index could not be read, or the counts
    differ), or None."""
    markers = list(index.directory.glob(f"{PENDING}*"))
    if markers:
        return f"an ingest did not finish ({len(markers)} marker{'s' if len(markers) > 1 else ''} left in the index directory)"
    if getattr(index, "damaged", None):
        return index.damaged
    in_graph = store.counts().get("Recommendation", 0)
    try:
        in_index = index.doc_count()
    except Exception as e:  # noqa: BLE001 - a segment file lost or damaged: rebuilt from the graph
        index.recreate(f"it cannot be read ({type(e).__name__}: {e})")
        return index.damaged
    if in_graph != in_index:
        return f"the graph holds {in_graph:,} recommendations and the index {in_index:,}"
    return None


def repair(store: GraphStore, index, page: int = BATCH) -> dict[str, int] | None:
    """Bring the index into agreement with the graph if `needs_repair` says so (`sync` of every case);
    the graph is the reference. Says why on one line, and what it did on another."""
    reason = needs_repair(store, index)
    if reason is None:
        return None
    log.warning("repairing the search index: %s", reason)
    markers = list(index.directory.glob(f"{PENDING}*"))
    done = sync(store, index, page=page)
    for marker in markers:
        marker.unlink(missing_ok=True)
    index.damaged = None
    log.warning("repaired the search index: %(reindexed_cases)d cases re-indexed (%(documents)d documents), "
                "%(removed_cases)d cases removed that the graph does not hold", done)
    return done


def _one_per_id(groups: list[list[Held]], spool: Spool) -> tuple[list[list[Held]], list[Failure]]:
    """Renderings the merge kept apart (they contradict each other) that would still be one case id:
    the first in the merge's order is kept and each other is reported by name (found by
    tests/reliability/test_damaged_pages.py: the last one silently replaced the first)."""
    kept: dict[str, tuple[list[Held], CaseRecord | None]] = {}
    conflicts = []
    for g in groups:
        case = merge_renderings([spool.get(h) for h in g]) if len(g) > 1 else None
        cid = case.id if case is not None else g[0].id
        first = kept.get(cid)
        if first is None:
            kept[cid] = (g, case)
            continue
        case = case or spool.get(g[0])
        other_case = first[1] or spool.get(first[0][0])
        where = next((s.path or s.url for s in case.sources if s.path or s.url), case.id)
        other = next((s.path or s.url for s in other_case.sources if s.path or s.url), other_case.id)
        conflicts.append(Failure(str(where), f"{where}: gives the reference {case.reference or case.id} of {other} with other "
                                             f"recommendations; not ingested (the first page read is kept)"))
    return [g for g, _ in kept.values()], conflicts


def reindex(store: GraphStore, index, progress: bool = False) -> int:
    """Rebuild the search index from the graph: emptied, then `sync` of every case; returns documents written."""
    index.clear()
    with pending(index):
        done = sync(store, index, progress=progress)
    index.damaged = None
    return done["documents"]
