"""The crawler's memory on disk (`{data dir}/crawl/state.sqlite`): the frontier of the current run,
what each URL answered last (validators for conditional requests, digest, where it is archived),
and cached robots.txt files. Committed after every URL, so a killed crawl resumes where it stopped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, since TEXT
);
CREATE TABLE IF NOT EXISTS urls (
  url TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,            -- start | sitemap | listing | page
  lastmod TEXT,                  -- <lastmod> of the sitemap entry, if any
  queued_run INTEGER,            -- the run that last queued it
  done_run INTEGER,              -- the run that last finished with it (fetched, unchanged, failed or skipped)
  seq INTEGER,                   -- queue order
  etag TEXT, last_modified TEXT, -- validators of the last 200
  digest TEXT,                   -- payload digest of the last 200
  status INTEGER,                -- last HTTP status (0: no answer)
  outcome TEXT,                  -- new | changed | unchanged | failed | robots | skipped | redirect | held (not due)
  error TEXT,
  fetched_at TEXT,               -- time of the last answer
  first_fetched TEXT,
  warc TEXT, warc_offset INTEGER, record_id TEXT, warc_date TEXT, warc_digest TEXT,
  asked_at TEXT,                 -- time of the last request for it, answered or not (the revisit schedule counts from it)
  page_status TEXT,              -- awaiting | overdue | answered: what the page showed when last parsed (ingest/revisit.py)
  response_due TEXT,             -- the response due date the page showed (an awaiting page becomes overdue after it)
  redirect_to TEXT               -- where it last redirected (a node/N alias): asked when its target is
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls(queued_run, done_run, seq);
CREATE TABLE IF NOT EXISTS robots (host TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, status INTEGER NOT NULL, body TEXT);
"""


@dataclass
class UrlState:
    url: str
    source: str
    kind: str
    lastmod: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None
    status: int | None = None
    outcome: str | None = None
    fetched_at: str | None = None
    first_fetched: str | None = None
    warc: str | None = None
    warc_offset: int | None = None
    record_id: str | None = None
    warc_date: str | None = None
    warc_digest: str | None = None
    asked_at: str | None = None
    page_status: str | None = None
    response_due: str | None = None
    redirect_to: str | None = None


# Columns added since the first state files: added to an older file when it is opened.
_ADDED = {"asked_at": "TEXT", "page_status": "TEXT", "response_due": "TEXT", "redirect_to": "TEXT"}

_COLUMNS = [f for f in UrlState.__dataclass_fields__]


class CrawlState:
    """One crawl's frontier and the memory of every URL seen; single writer (the crawl holds a lock)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_SCHEMA)
        have = {r["name"] for r in self.db.execute("PRAGMA table_info(urls)")}
        for column, sql_type in _ADDED.items():
            if column not in have:
                self.db.execute(f"ALTER TABLE urls ADD COLUMN {column} {sql_type}")
        self.db.commit()
        self.run: int | None = None

    def close(self) -> None:
        self.db.close()

    # -- runs ------------------------------------------------------------------------------------

    def open_run(self, since: str | None = None) -> tuple[int, bool]:
        """The unfinished run to resume, or a new one; returns (run id, resumed)."""
        row = self.db.execute("SELECT id FROM runs WHERE finished IS NULL ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None:
            self.run = row["id"]
            return self.run, True
        cur = self.db.execute("INSERT INTO runs(started, since) VALUES (?, ?)", (_now(), since))
        self.db.commit()
        self.run = cur.lastrowid
        return self.run, False

    def finish_run(self) -> None:
        self.db.execute("UPDATE runs SET finished = ? WHERE id = ?", (_now(), self.run))
        self.db.commit()

    # -- the frontier ----------------------------------------------------------------------------

    def queue(self, url: str, source: str, kind: str, lastmod: str | None = None) -> bool:
        """Add a URL to this run's frontier unless this run already queued it; True if added."""
        row = self.db.execute("SELECT queued_run, kind FROM urls WHERE url = ?", (url,)).fetchone()
        seq = self._next_seq()
        if row is None:
            self.db.execute("INSERT INTO urls(url, source, kind, lastmod, queued_run, seq) VALUES (?, ?, ?, ?, ?, ?)",
                            (url, source, kind, lastmod, self.run, seq))
        elif row["queued_run"] == self.run:
            if lastmod:
                self.db.execute("UPDATE urls SET lastmod = ? WHERE url = ?", (lastmod, url))
            return False
        else:
            # A start URL keeps its kind; a page found again keeps its validators.
            self.db.execute("UPDATE urls SET queued_run = ?, seq = ?, lastmod = coalesce(?, lastmod), kind = ? WHERE url = ?",
                            (self.run, seq, lastmod, kind if row["kind"] != "start" else "start", url))
        self.db.commit()
        return True

    def requeue(self, urls: list[str]) -> None:
        """Put known URLs on this run's frontier, in one transaction (the pages the revisit schedule asks again)."""
        seq = self._next_seq()
        self.db.executemany("UPDATE urls SET queued_run = ?, seq = ? WHERE url = ? AND (queued_run IS NULL OR queued_run != ?)",
                            [(self.run, seq + i, url, self.run) for i, url in enumerate(urls)])
        self.db.commit()

    def known_pages(self) -> list[UrlState]:
        """Every page that has answered 200 at least once (it has a digest): the pages a revisit asks again."""
        return [_state(r) for r in self.db.execute("SELECT * FROM urls WHERE kind = 'page' AND digest IS NOT NULL ORDER BY seq")]

    def _next_seq(self) -> int:
        return (self.db.execute("SELECT max(seq) FROM urls").fetchone()[0] or 0) + 1

    def next(self) -> UrlState | None:
        """The next URL of this run not yet done (discovery documents before pages)."""
        row = self.db.execute(
            "SELECT * FROM urls WHERE queued_run = ? AND (done_run IS NULL OR done_run < ?) "
            "ORDER BY kind = 'page', seq LIMIT 1", (self.run, self.run)).fetchone()
        return _state(row) if row else None

    def pending(self) -> int:
        return self.db.execute("SELECT count(*) FROM urls WHERE queued_run = ? AND (done_run IS NULL OR done_run < ?)",
                               (self.run, self.run)).fetchone()[0]

    def get(self, url: str) -> UrlState | None:
        row = self.db.execute("SELECT * FROM urls WHERE url = ?", (url,)).fetchone()
        return _state(row) if row else None

    def done(self, state: UrlState, error: str | None = None) -> None:
        """Record what a URL answered and mark it done for this run (one commit: the resume point)."""
        values = {c: getattr(state, c) for c in _COLUMNS if c not in ("url", "source", "kind")}
        sets = ", ".join(f"{c} = :{c}" for c in values)
        self.db.execute(f"UPDATE urls SET {sets}, error = :error, done_run = :run WHERE url = :url",
                        values | {"error": error, "run": self.run, "url": state.url})
        self.db.commit()

    def done_this_run(self, url: str) -> bool:
        row = self.db.execute("SELECT done_run FROM urls WHERE url = ?", (url,)).fetchone()
        return bool(row) and row[0] == self.run

    def pages(self) -> list[UrlState]:
        return [_state(r) for r in self.db.execute("SELECT * FROM urls WHERE kind = 'page' ORDER BY url")]

    # -- robots.txt ------------------------------------------------------------------------------

    def robots(self, host: str) -> tuple[str, int, str | None] | None:
        row = self.db.execute("SELECT fetched_at, status, body FROM robots WHERE host = ?", (host,)).fetchone()
        return (row["fetched_at"], row["status"], row["body"]) if row else None

    def set_robots(self, host: str, fetched_at: str, status: int, body: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO robots(host, fetched_at, status, body) VALUES (?, ?, ?, ?)",
                        (host, fetched_at, status, body))
        self.db.commit()


def _state(row: sqlite3.Row) -> UrlState:
    return UrlState(**{c: row[c] for c in _COLUMNS})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
