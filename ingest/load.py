"""Ingest: parse sources, write the merged cases to the graph store and the search index.

The graph is written first, then the index: batch by batch, or (the command line) the whole graph,
then the whole index. Either way the index is given only what the graph has committed. A case the
graph already holds unchanged is still re-indexed if the index lacks it or holds an older version: after a crash
between the two writes, re-running the ingest brings them back into agreement.

Whatever the ingest (command line or HTTP), a marker file in the index directory says one is under
way; it is removed once the index has committed. A process that opens the data and finds a marker
(the ingest died: SIGKILL, a power cut) or a different number of recommendations in the graph and
the index calls `repair`, which compares every case's content hash and re-indexes or removes what
differs, and logs what it did. The API server does so at start, `iopc-kg ingest` before it writes.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable, Sized
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from tqdm import tqdm

from graph.store import GraphStore
from ingest.merge import HEADER_ONLY, merge_cases, merge_held, same_case
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


def fold_in_stored(batch: list[CaseRecord], store: GraphStore) -> tuple[list[CaseRecord], dict[str, list[str]]]:
    """Merge incoming cases with stored renderings of the same case where one side is header-only.

    A complete rendering arriving for a stored header-only case takes its header fields and replaces
    it (under the complete case's id); a header-only page arriving for a stored complete case adds
    what it carries without losing the recommendations. Returns the batch to write and, per case id,
    the stored ids it supersedes. Two complete renderings are not merged here: a changed page replaces
    its case wholly.
    """
    stored = store.related_cases(batch)
    if not stored:
        return batch, {}
    out: list[CaseRecord] = []
    supersedes: dict[str, list[str]] = {}
    for case in batch:
        for old in stored:
            if old.incomplete == case.incomplete or not same_case(old, case):
                continue
            if old.id == case.id and old.content_hash() == case.content_hash():
                continue
            stored_id = old.id  # merging may change `old` in place (found by review: then nothing was superseded)
            [merged] = merge_cases([old, case])
            merged.warnings = [w for w in merged.warnings if not (merged.recommendations and w.startswith(HEADER_ONLY))]
            if stored_id != merged.id:
                supersedes.setdefault(merged.id, []).append(stored_id)
            stored = [s for s in stored if s is not old]
            case = merged
            break
        out.append(case)
    return out, supersedes


def write_cases(cases: Iterable[CaseRecord], store: GraphStore, index=None, summary: IngestSummary | None = None,
                progress: bool = False, batch_size: int = BATCH, procs: int = 1,
                two_passes: bool = False) -> IngestSummary:
    """Write records to the graph and, if given, the search index (`search.index.SearchIndex`).

    `cases` may be a list or any iterable (an ingest reads them back from its spool a batch at a
    time); the progress bar's total is `summary.cases`, or the list's length. `procs` > 1 indexes
    in worker processes: for the command line, not inside the API server.

    By default each batch goes to the graph, then to the index. `two_passes` (a command-line load)
    writes the whole graph, gives back LadybugDB's write memory, then writes the whole index; `cases`
    must then be a collection that can be iterated twice (a list, or `Spool.cases`; folding changes a
    list's cases in place, as the batch-by-batch write does). Interleaved, LadybugDB's write memory
    (1.2 GB at 30k cases) and Whoosh's workers (forked from that process) were held at once: 2.4 GB
    at 30k (docs/BENCHMARKS.md, "Ingest memory and scale").

    Either way the index is given only versions the graph has committed, so a process that dies
    leaves the index behind the graph: lacking cases, holding older versions, or still holding cases
    the graph deleted as superseded, never a case the graph was not given. The pending marker makes
    the next start repair it.
    """
    summary = summary or IngestSummary(cases=len(cases) if isinstance(cases, Sized) else 0)
    store.ensure_schema()
    if two_passes and index is not None:
        if iter(cases) is cases:
            raise TypeError("write_cases(two_passes=True) iterates the cases twice: give a collection, not an iterator")
        with pending(index):
            wrote = _graph_pass(cases, store, summary, progress, batch_size)
            _index_pass(cases, store, index, summary, progress, batch_size, procs, wrote)
        return _finished(summary)
    bar = tqdm(total=summary.cases, unit="case", desc="write", disable=not progress)
    with pending(index), index.bulk(procs=procs) if index is not None else nullcontext() as bulk:
        cases = iter(cases)
        while chunk := list(islice(cases, batch_size)):
            batch, supersedes = fold_in_stored(chunk, store)
            written = store.write_cases(batch, batch_size=batch_size, supersedes=supersedes)
            _count(summary, written)
            if bulk is not None:
                gone = _superseded(supersedes, written.written)
                if gone:
                    bulk.delete(gone)
                summary.indexed += bulk.replace(_to_index(index, bulk, _in_graph(batch, written, set(gone)),
                                                          set(written.written)))
            bar.update(len(batch))
    bar.close()
    return _finished(summary)


@dataclass
class _Wrote:
    """What the graph pass of a two-pass write left, for the index pass."""
    final: dict[str, str] = field(default_factory=dict)  # case id -> the version the graph now holds
    written: set[str] = field(default_factory=set)  # ids written (not found unchanged)
    gone: set[str] = field(default_factory=set)  # stored cases superseded by a written one
    # Ids whose version in the graph is not a case as given: folded with a stored rendering, or
    # written twice. The index pass takes these from the graph.
    from_graph: set[str] = field(default_factory=set)


def _graph_pass(cases, store: GraphStore, summary: IngestSummary, progress: bool, batch_size: int) -> _Wrote:
    wrote = _Wrote()
    given: dict[str, str] = {}  # id -> the version of the case given, before folding
    bar = tqdm(total=summary.cases, unit="case", desc="graph", disable=not progress)
    it = iter(cases)
    while chunk := list(islice(it, batch_size)):
        for c in chunk:
            if c.id in given:
                wrote.from_graph.add(c.id)
            given[c.id] = c.content_hash()
        batch, supersedes = fold_in_stored(chunk, store)
        written = store.write_cases(batch, batch_size=batch_size, supersedes=supersedes)
        _count(summary, written)
        # Superseded first: a case written again in the batch that supersedes it stays (the graph
        # deletes the old version, then writes the new); one found unchanged there is deleted.
        gone = set(_superseded(supersedes, written.written))
        wrote.gone |= gone
        for old in gone:
            wrote.final.pop(old, None)
        for c in _in_graph(batch, written, gone):
            if c.id in wrote.final:
                wrote.from_graph.add(c.id)
            wrote.final[c.id] = c.content_hash()
        wrote.written.update(written.written)
        bar.update(len(batch))
    bar.close()
    wrote.from_graph |= {cid for cid, h in wrote.final.items() if given.get(cid) != h}
    wrote.from_graph &= set(wrote.final)
    return wrote


def _index_pass(cases, store: GraphStore, index, summary: IngestSummary, progress: bool, batch_size: int,
                procs: int, wrote: _Wrote) -> None:
    """The index written from what the graph pass committed: each case as given where the graph holds
    that version, the rest (folded with a stored rendering, or written twice) read back from it."""
    with Spool(directory=index.directory) as held:
        ids = sorted(wrote.from_graph)
        refetched = [held.put(c) for start in range(0, len(ids), batch_size)
                     for c in store.case_records_by_id(ids[start:start + batch_size])]
        store.release_write_memory()
        give_back_freed_memory()
        bar = tqdm(total=summary.cases, unit="case", desc="index", disable=not progress)
        with index.bulk(procs=procs) as bulk:
            # Taken out of the index (as the batch-by-batch write does), even those the graph wrote
            # again later: they are indexed again from the version it holds.
            if wrote.gone:
                bulk.delete(sorted(wrote.gone))
            it = iter(cases)
            while batch := list(islice(it, batch_size)):
                # By content, not only id: folding may have changed a listed case into one the graph refused.
                mine = [c for c in batch if c.id not in wrote.from_graph and wrote.final.get(c.id) == c.content_hash()]
                summary.indexed += bulk.replace(_to_index(index, bulk, mine, wrote.written))
                bar.update(len(batch))
            it = iter(held.cases(refetched))
            while batch := list(islice(it, batch_size)):
                summary.indexed += bulk.replace(_to_index(index, bulk, batch, wrote.written))
        bar.close()
    _collect()


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


def _superseded(supersedes: dict[str, list[str]], written) -> list[str]:
    """The stored cases that the written ones among these replace under other ids."""
    return [old for cid, olds in supersedes.items() if cid in written for old in olds if old != cid]


def _in_graph(batch: list[CaseRecord], written, gone: set[str]) -> list[CaseRecord]:
    """The cases of a batch the graph holds as given after writing it: written, or found unchanged
    and not deleted by another case of the batch that supersedes it."""
    done = set(written.written)
    return [c for c in batch if c.id in done or (c.id in written.unchanged and c.id not in gone)]


def _to_index(index, bulk, batch: list[CaseRecord], written) -> list[CaseRecord]:
    """The cases of `batch` whose documents are not already those of this version, or that `bulk`
    removed (the removal is not committed yet, so the index still shows them)."""
    indexed = index.stored_hashes([c.id for c in batch])
    # The index holds recommendations: a header-only case has none, so it is only written there when
    # it replaced a case that had some (its old documents go).
    return [c for c in batch if (indexed.get(c.id) != c.content_hash() or c.id in bulk.removed)
            and (c.recommendations or c.id in written)]


def _collect() -> None:
    # The index writer and the readers it opened form reference cycles that hold their buffers and
    # mapped segment files; free them now rather than whenever the collector next runs a full pass
    # (the API server runs it rarely, for latency). The soak bench measured a server's memory
    # climbing 894 -> 1,397 MiB over six minutes of ingests without this; flat with it.
    gc.collect()


def ingest_paths(paths: list[str | Path], store: GraphStore, index=None, progress: bool = False,
                 batch_size: int = BATCH, log_path: Path | None = None, procs: int = 1, sources=None,
                 names: dict[Path, str] | None = None, logged_as: list[str] | None = None,
                 two_passes: bool | None = None) -> IngestSummary:
    """Parse every file under `paths` and write the cases; failing files (and records) are reported,
    not fatal.

    `two_passes` (default: when `procs` > 1, a command-line load) writes the whole graph, then the
    whole index (`write_cases`), so the two writers' memory is never held at once.

    `sources` (ontology.sources.Sources) tells the pages of web archives from the rest. `names` gives
    the name a file is reported and stored under (HTTP: the upload's name); `logged_as` what the
    ingest log records as its input (default: the names of the paths given).
    """
    if two_passes is None:
        two_passes = procs > 1
    result = ParseResult([], [], 0)
    # The parsed cases wait on disk, not in memory, until every file is read (ingest/spool.py); beside
    # the index, on the data's disk, rather than in a temporary directory that may be memory (tmpfs).
    with Spool(directory=index.directory if index is not None else None) as spool:
        held, conflicts = _one_per_id(merge_held(parse_each(paths, result, sources, names, progress), spool), spool)
        summary = IngestSummary(files=result.files, cases=len(held), failures=list(result.failures) + conflicts)
        summary.recommendations = sum(h.recommendations for h in held)
        summary.warnings = sum(h.warnings for h in held)
        write_cases(spool.cases(held), store, index, summary, progress, batch_size, procs, two_passes=two_passes)
    if log_path is not None:
        record_ingest(log_path, summary, logged_as if logged_as is not None else [Path(p).resolve().name for p in paths])
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
    """Why graph and index may disagree (an ingest died, or the counts differ), or None."""
    markers = list(index.directory.glob(f"{PENDING}*"))
    if markers:
        return f"an ingest did not finish ({len(markers)} marker{'s' if len(markers) > 1 else ''} left in the index directory)"
    in_graph = store.counts().get("Recommendation", 0)
    in_index = index.doc_count()
    if in_graph != in_index:
        return f"the graph holds {in_graph:,} recommendations and the index {in_index:,}"
    return None


def repair(store: GraphStore, index, page: int = BATCH) -> dict[str, int] | None:
    """Bring the index into agreement with the graph if `needs_repair` says so; the graph is the
    reference (it is written first, a batch of cases in one transaction). Returns what was done."""
    reason = needs_repair(store, index)
    if reason is None:
        return None
    log.warning("repairing the search index: %s", reason)
    markers = list(index.directory.glob(f"{PENDING}*"))
    graph = store.case_hashes()
    indexed = index.case_hashes()
    stale = sorted(cid for cid, h in graph.items() if indexed.get(cid) != h)
    gone = sorted(cid for cid in indexed if cid not in graph)
    if gone:
        index.delete(gone)
    written = 0
    with index.bulk() as bulk:
        for start in range(0, len(stale), page):
            written += bulk.replace(store.case_records_by_id(stale[start:start + page]))
    for marker in markers:
        marker.unlink(missing_ok=True)
    done = {"reindexed_cases": len(stale), "documents": written, "removed_cases": len(gone)}
    log.warning("repaired the search index: %(reindexed_cases)d cases re-indexed (%(documents)d documents), "
                "%(removed_cases)d cases removed that the graph does not hold", done)
    return done


def _one_per_id(held: list[Held], spool: Spool) -> tuple[list[Held], list[Failure]]:
    """Pages the merge could not join but that give the same reference: the first is kept and each
    other is reported by name (found by tests/reliability/test_damaged_pages.py: the last one
    silently replaced the first)."""
    kept: dict[str, Held] = {}
    conflicts = []
    for h in held:
        first = kept.get(h.id)
        if first is None:
            kept[h.id] = h
            continue
        case, first = spool.get(h), spool.get(first)
        where = next((s.path or s.url for s in case.sources if s.path or s.url), case.id)
        other = next((s.path or s.url for s in first.sources if s.path or s.url), first.id)
        conflicts.append(Failure(str(where), f"{where}: gives the reference {case.reference or case.id} of {other} with other "
                                             f"recommendations; not ingested (the first page read is kept)"))
    return list(kept.values()), conflicts


def reindex(store: GraphStore, index, page: int = 2000, procs: int = 1, progress: bool = False) -> int:
    """Rebuild the search index from the graph's stored case records; returns documents written."""
    index.clear()
    n, skip = 0, 0
    bar = tqdm(total=store.counts().get("Case", 0) if progress else 0, unit="case", desc="index", disable=not progress)
    with pending(index), index.bulk(procs=procs) as bulk:
        while True:
            cases = store.case_records(skip=skip, limit=page)
            if not cases:
                break
            n += bulk.replace(cases)
            skip += page
            bar.update(len(cases))
    bar.close()
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
