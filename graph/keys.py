"""The key table: which stored cases a key finds (ontology/identity.py), so that a rendering arriving in
a later ingest meets the cases it may belong to (ingest/merge.py) by index seeks, never by a scan.

Two homes, one contract (`find`, `statements`, `written`, `clear`):
- `GraphKeys` (Neo4j): key nodes linked to their cases, written in the case's own transaction. A
  Neo4j graph may be written by several machines, so its keys live with it.
- `FileKeys` (embedded): a SQLite table beside the graph file. Held in LadybugDB, the keys (about 30
  a case) nearly doubled an ingest's time and took 170 MiB more at 10,000 cases (docs/BENCHMARKS.md).

The invariant `FileKeys` keeps without sharing the graph's transaction: it never lacks a row the
graph's cases need. A case's keys are added before the graph's transaction and the rows of what it
replaced removed after, so a process that dies in between leaves extra rows only, which find a case
that is then fetched and compared (or is gone, and ignored). The table carries a token that the graph
carries too (its meta node); a table that is missing, damaged or belongs to another graph is rebuilt
from the graph's stored renderings.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from graph import cypher
from ontology.identity import case_keys
from ontology.records import CaseRecord

log = logging.getLogger("iopc_kg.graph")

TOKEN = "keys"  # the id of the graph's meta node that holds the table's token


class GraphKeys:
    """Keys as nodes of the graph, linked to their cases: written with the case, removed with it."""

    def __init__(self, read: Callable[..., list[dict]]):
        self._read = read

    def find(self, keys: list[str]) -> set[str]:
        return {r["id"] for r in self._read(cypher.CASES_BY_KEYS, {"keys": keys})}

    def statements(self, cases: list[CaseRecord]) -> list[tuple[str, dict]]:
        links = [{"src": c.id, "dst": k} for c in cases for k in case_keys(c)]
        return [(cypher.MERGE_KEYS, {"rows": [{"id": k} for k in sorted({r["dst"] for r in links})]}),
                (cypher.LINK_KEYS, {"rows": links})]

    def written(self, cases: list[CaseRecord], gone: Iterable[str]) -> None:
        """Nothing to do: the links went with the cases' own transaction."""

    def check(self, store) -> None:
        """Nothing to do: the keys are in the graph."""

    def clear(self) -> None:
        """Nothing to do: `clear` of the graph removes them."""

    def close(self) -> None:
        pass


class FileKeys:
    """Keys in a SQLite file beside the embedded graph: (key, case) rows, indexed both ways."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = path
        self.read_only = read_only
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}  # the keys of the cases being written, computed once

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            if self.read_only:
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self._db = sqlite3.connect(self.path, check_same_thread=False)
                self._db.executescript(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    "CREATE TABLE IF NOT EXISTS keys(key TEXT NOT NULL, case_id TEXT NOT NULL, PRIMARY KEY (key, case_id)) WITHOUT ROWID;"
                    "CREATE INDEX IF NOT EXISTS keys_case ON keys(case_id);"
                    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT);")
        return self._db

    def find(self, keys: list[str]) -> set[str]:
        out: set[str] = set()
        if self.read_only and not self.path.exists():
            return out
        with self._lock:
            db = self._conn()
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                out.update(r[0] for r in db.execute(
                    f"SELECT DISTINCT case_id FROM keys WHERE key IN ({','.join('?' * len(part))})", part))
        return out

    def statements(self, cases: list[CaseRecord]) -> list[tuple[str, dict]]:
        """Add the cases' keys now, before the graph's transaction (see the module's docstring)."""
        self._pending = {c.id: case_keys(c) for c in cases}
        rows = [(k, cid) for cid, keys in self._pending.items() for k in keys]
        with self._lock:
            db = self._conn()
            with db:
                db.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?)", rows)
        return []

    def written(self, cases: list[CaseRecord], gone: Iterable[str]) -> None:
        """After the graph's transaction: the rows of cases it deleted, and those the written cases no
        longer have, go."""
        gone = sorted(set(gone) - {c.id for c in cases})
        with self._lock:
            db = self._conn()
            with db:
                for start in range(0, len(gone), 500):
                    part = gone[start:start + 500]
                    db.execute(f"DELETE FROM keys WHERE case_id IN ({','.join('?' * len(part))})", part)
                for case in cases:
                    keep = self._pending.pop(case.id, None) or case_keys(case)
                    db.execute(f"DELETE FROM keys WHERE case_id = ? AND key NOT IN ({','.join('?' * len(keep))})",
                               [case.id, *keep])

    def check(self, store) -> None:
        """Rebuild the table from the graph unless it carries the graph's token."""
        rows = store._read(cypher.GET_META, {"id": TOKEN})
        mine = self._meta()
        if rows and rows[0]["value"] == mine:
            return
        if rows or store._has_cases():
            log.warning("rebuilding the merge keys beside the graph (%s)", "missing or from another graph" if mine is None
                        else "they do not match the graph")
        token = uuid.uuid4().hex
        with self._lock:
            db = self._conn()
            with db:
                db.execute("DELETE FROM keys")
                db.execute("DELETE FROM meta")
        for cases in store.case_pages(renderings=True):
            self.statements(cases)
        with self._lock, self._conn() as db:
            db.execute("INSERT INTO meta VALUES ('token', ?)", (token,))
        store._execute_write([(cypher.SET_META, {"id": TOKEN, "value": token})])

    def _meta(self) -> str | None:
        try:
            with self._lock:
                row = self._conn().execute("SELECT value FROM meta WHERE name = 'token'").fetchone()
        except sqlite3.DatabaseError as e:  # damaged: start again
            log.warning("the merge keys beside the graph cannot be read (%s); rebuilding them", e)
            self.close()
            self.path.unlink(missing_ok=True)
            return None
        return row[0] if row else None

    def clear(self) -> None:
        with self._lock:
            db = self._conn()
            with db:
                db.execute("DELETE FROM keys")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
