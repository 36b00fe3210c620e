"""Cases held between parsing and writing: in memory, or pickled to an unnamed temporary file.

An ingest must read every file before it writes, because two renderings of one case may be far
apart in the batch (ingest/merge.py joins them). Holding every parsed case cost about 25 KiB of
memory per case: 1.4 GB resident at 30k cases, the Whoosh workers forked from that process copying
much of it again (docs/BENCHMARKS.md, "Ingest memory and scale"). The spool keeps, per case, only a
`Held` (its id, force and counts, a few hundred bytes); the case itself is on disk, compressed, and
is read back when it is merged or written. The file has no name, so a crash leaves nothing behind.

In memory (`Spool(on_disk=False)`, what `merge_cases` uses for small lists) a `Held` keeps the case
object itself: the same code merges both ways.
"""

from __future__ import annotations

import pickle
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ontology.records import CaseRecord


@dataclass(slots=True)
class Held:
    """What merging and counting need of a held case without reading it back."""

    id: str
    force: str | None
    recommendations: int
    warnings: int
    case: CaseRecord | None = None  # in memory
    offset: int = 0  # on disk: where its bytes start, and how many
    size: int = 0


class Spool:
    def __init__(self, on_disk: bool = True, directory: Path | None = None):
        # Unnamed from the start (O_TMPFILE, or unlinked at once): nothing to clean up after a crash,
        # and nothing another reader of `directory` (Whoosh, in the index directory) can see.
        self._file = tempfile.TemporaryFile(prefix=".iopc-kg-spool-", dir=directory) if on_disk else None
        self._end = 0

    def put(self, case: CaseRecord) -> Held:
        """Hold this case; a case changed after `put` must be put again (merging does so)."""
        held = Held(case.id, case.force.id if case.force else None, len(case.recommendations), len(case.warnings))
        if self._file is None:
            held.case = case
            return held
        # Level 1: the cases are mostly English text and compress about fourfold even so; higher
        # levels cost parse time for little more.
        data = zlib.compress(pickle.dumps(case, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self._file.seek(self._end)
        self._file.write(data)
        held.offset, held.size = self._end, len(data)
        self._end += len(data)
        return held

    def get(self, held: Held) -> CaseRecord:
        """The case as put: the same object in memory, a fresh copy from disk."""
        if held.case is not None:
            return held.case
        self._file.seek(held.offset)
        return pickle.loads(zlib.decompress(self._file.read(held.size)))

    def cases(self, held: list[Held]) -> Cases:
        """These cases, read back in order each time they are iterated (a two-pass write reads
        them twice)."""
        return Cases(self, held)

    @property
    def bytes_on_disk(self) -> int:
        return self._end

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Cases:
    """Held cases as a collection: a length, and a fresh pass over the spool per iteration."""

    def __init__(self, spool: Spool, held: list[Held]):
        self.spool, self.held = spool, held

    def __len__(self) -> int:
        return len(self.held)

    def __iter__(self):
        return (self.spool.get(h) for h in self.held)
