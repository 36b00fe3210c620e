"""The Whoosh index under the data directory: writing cases, and searchers that follow its commits."""

from __future__ import annotations

import hashlib

import logging
import os
import pickle
import shutil
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.searching import Searcher

from ontology.exc import StoreUnavailable
from ontology.records import CaseRecord
from search.fields import build_schema, documents, spelling_words

log = logging.getLogger(__name__)


def _die_with_parent() -> None:
    """Whoosh's sub-writers (procs > 1) are forked processes holding the index's write lock; if the
    ingest is killed they would live on and keep it forever (found by tests/reliability/test_crash.py).
    On Linux, ask the kernel to kill each one when its parent dies."""
    import ctypes
    import signal

    from whoosh import multiproc

    if getattr(multiproc.SubWriterTask, "_dies_with_parent", False):
        return
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    run = multiproc.SubWriterTask.run

    def run_tied_to_parent(self):
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before we got here
            os._exit(1)
        return run(self)

    multiproc.SubWriterTask.run = run_tied_to_parent
    multiproc.SubWriterTask._dies_with_parent = True


class SearchIndex:
    """Recommendations and their responses, one document each, keyed by recommendation and case id.

    A case is replaced whole in one commit (its old documents deleted, the new ones added), so a
    reader sees every recommendation of a case or none. Whoosh allows one writer at a time; a
    second one fails with a clear message instead of waiting forever.
    """

    def __init__(self, directory: Path, write_timeout: float = 30.0):
        self.directory = Path(directory)
        self.write_timeout = write_timeout
        self.schema = build_schema()
        self.directory.mkdir(parents=True, exist_ok=True)
        # Why the index was started again empty (it could not be read), until a repair refills it.
        self.damaged: str | None = None
        self._local = threading.local()
        try:
            exists = whoosh_index.exists_in(str(self.directory))  # reads the table of contents, which may be damaged
        except Exception:  # noqa: BLE001 - opened below, and rebuilt if it cannot be
            exists = True
        if exists:
            try:
                self.ix = whoosh_index.open_dir(str(self.directory))
                self.ix.doc_count_all()  # reads the segments' files: a lost or damaged one fails here
            except Exception as e:  # noqa: BLE001 - the index is a projection of the graph: rebuilt, never fatal
                self.recreate(f"it cannot be read ({type(e).__name__}: {e})")
            else:
                if set(self.ix.schema.names()) != set(self.schema.names()):
                    # Built by a release with other fields: start empty; the next command that
                    # writes refills it from the graph.
                    log.warning("search index at %s has other fields than this release; rebuilding it empty", self.directory)
                    self.ix = whoosh_index.create_in(str(self.directory), self.schema)
        else:
            self.ix = whoosh_index.create_in(str(self.directory), self.schema)
        self._caches: dict[str, OrderedDict] = {}  # family -> (name, commit) -> value, least recently used first
        self._family_commit: dict[str, tuple] = {}  # family -> the commit its last value was made for
        self._cache_lock = threading.Lock()
        self._segment_values: dict[tuple, object] = {}  # (name, segment id) -> value, see per_segment

    # -- writing ---------------------------------------------------------------------------------

    def _writer(self, procs: int = 1):
        # procs > 1: Whoosh analyses documents in worker processes, each writing its own segment
        # (1.8x faster on two cores). Only for large command-line loads: forking a threaded server
        # process is not safe.
        extra = {"procs": procs, "multisegment": True} if procs > 1 else {}
        if procs > 1:
            _die_with_parent()
        try:
            return self.ix.writer(timeout=self.write_timeout, limitmb=256, **extra)
        except LockError:
            raise StoreUnavailable(
                "the search index is being written by another process (or request); try again when it finishes"
            ) from None

    def update(self, cases: list[CaseRecord]) -> int:
        """Replace the documents of these cases in one commit; returns the number of documents written."""
        with self.bulk() as bulk:
            return bulk.replace(cases)

    @contextmanager
    def bulk(self, commit_every: int = 20_000, procs: int = 1):
        """A writer for many cases: committed every `commit_every` documents and at the end.

        Whoosh rewrites segments as it merges them, so one commit per ingest batch made a 10k-case
        build take 73 s; a few large commits take a fraction of that (docs/BENCHMARKS.md). A case
        is always whole in one commit. If the process dies, what was not committed is simply
        missing, and the next ingest indexes it (it compares content hashes).
        """
        bulk = _Bulk(self, commit_every, procs)
        try:
            yield bulk
        except BaseException:
            bulk.cancel()
            raise
        bulk.commit()

    def _commit(self, writer, words: set[str], **kwargs) -> None:
        writer.commit(**kwargs)
        self._add_words(words)

    # -- the spelling vocabulary -------------------------------------------------------------------
    # Words people type, unstemmed, kept in a file beside the index rather than as an index field:
    # a second copy of every text in Whoosh cost 40% of indexing time. It only grows between
    # rebuilds (a word of a replaced case may still be suggested, and still finds nothing new).

    @property
    def _vocab_path(self) -> Path:
        return self.directory / "vocabulary.txt"

    def _add_words(self, words: set[str]) -> None:
        known = self.vocabulary()
        if words <= known:
            return
        body = "\n".join(sorted(known | words)) + "\n"
        tmp = self._vocab_path.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, self._vocab_path)
        with self._cache_lock:
            self._vocab = (self._vocab_path.stat().st_mtime_ns, known | words)

    def vocabulary(self) -> set[str]:
        """The words, read again when the file changes; looked at once a second at most (a search
        that suggests asks every time, and the file changes only by an ingest, which in this
        process updates the words at once)."""
        cached = getattr(self, "_vocab", None)
        now = time.monotonic()
        if cached and now - getattr(self, "_vocab_checked", 0.0) < 1.0:
            return cached[1]
        try:
            stamp = self._vocab_path.stat().st_mtime_ns
        except FileNotFoundError:
            return set()
        self._vocab_checked = now
        if cached and cached[0] == stamp:
            return cached[1]
        words = set(self._vocab_path.read_text(encoding="utf-8").split())
        self._vocab = (stamp, words)
        return words

    def delete(self, case_ids: list[str]) -> None:
        writer = self._writer()
        try:
            for cid in case_ids:
                writer.delete_by_term("case_id", cid)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def recreate(self, why: str) -> None:
        """Start the index again empty because it is damaged (`why`); the repair (ingest/load.py) then
        refills it from the graph. Its files are removed, the pending markers of ingests kept."""
        try:
            ix = getattr(self, "ix", None)
            if ix is not None:
                ix.close()
        except Exception:  # noqa: BLE001 - closing a damaged index
            pass
        for path in self.directory.iterdir():
            if not path.name.startswith(".ingest-pending-"):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        self.ix = whoosh_index.create_in(str(self.directory), self.schema)
        self._local = threading.local()
        self.damaged = f"the index could not be read and was started again empty ({why})"

    def clear(self) -> None:
        """Empty the index (for `reindex`)."""
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ix = whoosh_index.create_in(str(self.directory), self.schema)
        self._local = threading.local()

    # -- reading ---------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """This thread's searcher, moved to the latest commit if there is one."""
        s = getattr(self._local, "searcher", None)
        if s is None or getattr(self._local, "ix", None) is not self.ix:
            s = self.ix.searcher()
            self._local.ix = self.ix
            self._retire_segments(s)
        elif not s.up_to_date():
            # Not Searcher.refresh(): it reuses segment readers whose deletions are stale (a
            # replaced case was counted twice), so open a whole new searcher.
            s.close()
            s = self.ix.searcher()
            self._retire_segments(s)
        self._local.searcher = s
        return s

    def cached(self, name, build, keep: int = 1, searcher: Searcher | None = None):
        """A value derived from the committed index (facet tables, similarity, a query's matches),
        built once per commit. `name` may be a tuple whose first item names a family of values;
        a family keeps its `keep` most recently used values.

        Pass the searcher a request already uses: the value then belongs to the commit that searcher
        reads (document numbers change between commits; the concurrency test caught a request mixing
        two)."""
        family = _family(name)
        s = searcher or self.searcher()
        generation = (str(id(self.ix)), s.reader().generation())
        key = (name, generation)
        with self._cache_lock:
            mine = self._caches.get(family)
            if mine is not None and key in mine:
                mine.move_to_end(key)
                return mine[key]
        if name in self.PERSISTED:
            value = self._load_or_build(name, build, s)
        else:
            value = build(s)
        with self._cache_lock:
            # Per family, so that keeping a family to its size never walks the others' values.
            mine = self._caches.setdefault(family, OrderedDict())
            if self._family_commit.get(family) != generation:  # a new commit: the family's older values go
                for k in [k for k in mine if k[1] != generation]:
                    del mine[k]
                self._family_commit[family] = generation
            mine[key] = value
            mine.move_to_end(key)
            while len(mine) > keep:
                mine.popitem(last=False)
        return value

    # -- per-commit tables kept on disk ------------------------------------------------------------
    # What `cached` builds for a whole commit (facet tables, field lengths, similarity vectors) is
    # also written beside the index, named for the commit, so a restarted server loads it instead
    # of rebuilding it: at 10k cases the first search after a restart took 1.8-2.9 s and the
    # similarity vectors 10 s (docs/BENCHMARKS.md, "Cold start"). Only this process's own files
    # are read back: they live in the index directory, which nothing else writes.

    PERSISTED = frozenset({"facets", "lengths", "vectors"})

    @property
    def _tables_dir(self) -> Path:
        return self.directory / "tables"

    @staticmethod
    def _commit_id(searcher: Searcher) -> str:
        """The commit a searcher reads: its generation and its segments (a rebuilt index may reuse
        a generation number, never its segment ids)."""
        reader = searcher.reader()
        segments = "-".join(sorted(seg.segment_id() for r, _ in reader.leaf_readers() if (seg := r.segment()) is not None))
        # A digest, not the list: ten segments (a 100k ingest) named a file past the 255 bytes a file
        # name may have, and the tables were rebuilt at every start.
        return f"{reader.generation()}-{hashlib.sha256(segments.encode()).hexdigest()[:20]}"

    def _load_or_build(self, name: str, build, searcher: Searcher):
        path = self._tables_dir / f"{name}.{self._commit_id(searcher)}.pickle"
        return self._load_or_build_file(path, build, searcher, prune=f"{name}.*.pickle")

    def _load_or_build_file(self, path: Path, build, source, prune: str | None):
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a damaged or older file: build it again
            log.warning("could not read %s; building it again", path)
        value = build(source)
        try:
            self._tables_dir.mkdir(exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            with open(tmp, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            for old in self._tables_dir.glob(prune) if prune else ():
                if old != path and ".seg-" not in old.name:
                    old.unlink(missing_ok=True)
        except OSError as e:  # a read-only or full disk: the tables still serve from memory
            log.warning("could not keep %s beside the index: %s", path.name, e)
        return value

    def per_segment(self, reader, name: str, build):
        """A value derived from one segment (`reader`, a segment's reader), built or loaded once and
        kept, in memory and beside the index, until a merge retires the segment: segments never
        change once written (deletions are kept apart from them)."""
        segment = reader.segment()
        if segment is None:
            return build(reader)
        key = (name, segment.segment_id())
        value = self._segment_values.get(key)
        if value is None:
            path = self._tables_dir / f"{name}.seg-{segment.segment_id()}.pickle"
            value = self._load_or_build_file(path, build, reader, prune=None)
            self._segment_values[key] = value
        return value

    def _retire_segments(self, searcher: Searcher) -> None:
        """Forget the per-segment values of segments the newest commit no longer has."""
        live = {seg.segment_id() for r, _ in searcher.reader().leaf_readers() if (seg := r.segment()) is not None}
        with self._cache_lock:
            for key in [k for k in self._segment_values if k[1] not in live]:
                del self._segment_values[key]
        try:
            for path in self._tables_dir.glob("*.seg-*.pickle"):
                if path.name.rsplit(".seg-", 1)[1].removesuffix(".pickle") not in live:
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    def has_cached(self, name, searcher: Searcher) -> bool:
        """Whether `cached(name, ...)` holds a value for the commit `searcher` reads."""
        with self._cache_lock:
            return (name, (str(id(self.ix)), searcher.reader().generation())) in self._caches.get(_family(name), {})

    def forget(self, family: str) -> None:
        """Drop the cached values of one family (benchmarks measure the cold path with it)."""
        with self._cache_lock:
            self._caches.pop(family, None)
            self._family_commit.pop(family, None)

    def stored_hashes(self, case_ids: list[str]) -> dict[str, str]:
        """Case id -> the content hash its documents were indexed from (absent: not indexed)."""
        s = self.searcher()
        out = {}
        for cid in case_ids:
            docnum = s.document_number(case_id=cid)
            if docnum is not None:
                out[cid] = s.stored_fields(docnum).get("case_hash")
        return out

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def case_hashes(self) -> dict[str, str]:
        """Every indexed case id -> its content hash (deleted documents excluded)."""
        return {f["case_id"]: f.get("case_hash") for f in self.searcher().all_stored_fields()}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())

    def close(self) -> None:
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = None
        self.ix.close()


def _family(name) -> str:
    """A cache name is a family name, or a tuple whose first item is one."""
    return name[0] if isinstance(name, tuple) else name


class _Bulk:
    """The writer behind `SearchIndex.bulk()`."""

    def __init__(self, index: SearchIndex, commit_every: int, procs: int):
        self.index = index
        self.commit_every = commit_every
        self.procs = procs
        self.writer = None
        self.pending = 0
        self.words: set[str] = set()
        self.added: set[str] = set()  # cases with documents in the uncommitted writer
        # Cases deleted in the uncommitted writer: the committed index still shows them, so a caller
        # that skips what the index already holds must not skip these.
        self.removed: set[str] = set()

    def _writer_for(self, case_id: str):
        # Whoosh's writer deletes what is committed, not what it holds uncommitted: a case given
        # twice to one writer kept both versions' documents (found by review). Commit first.
        if case_id in self.added:
            self.commit()
        if self.writer is None:
            self.writer = self.index._writer(self.procs)
        return self.writer

    def replace(self, cases: list[CaseRecord]) -> int:
        n = 0
        for case in cases:
            self._writer_for(case.id).delete_by_term("case_id", case.id)
            self.added.add(case.id)
            for doc in documents(case):
                self.writer.add_document(**doc)
                n += 1
            self.words |= spelling_words(case)
            self.pending += len(case.recommendations)
            if self.pending >= self.commit_every:
                self.commit()
        return n

    def delete(self, case_ids: list[str]) -> None:
        """Remove cases another case superseded (a header-only case merged into its complete rendering)."""
        for cid in case_ids:
            self._writer_for(cid).delete_by_term("case_id", cid)
            self.removed.add(cid)

    def commit(self) -> None:
        if self.writer is not None:
            self.index._commit(self.writer, self.words)
        self.writer, self.pending, self.words, self.added, self.removed = None, 0, set(), set(), set()

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
        self.writer, self.pending, self.words, self.added, self.removed = None, 0, set(), set(), set()
