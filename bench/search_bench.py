"""Search benchmark: index build time and query latency (median, p95, p99) with facets and highlights,
side by side with SQLite FTS5 over the same texts as a baseline, in the same run.

Usage: python -m bench.search_bench [--sizes 1000 10000] [--repeat 30]
Each query asks for what the API's /search asks for: the first page of 20 hits ranked by relevance,
highlighted snippets of text and response, the total, and counts for six facets. "First ask" empties every per-query cache before each timing. The FTS5 side does
the same work in SQL (bm25, snippet(), GROUP BY per facet). Compare ratios within one run.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.graph_bench import pct, report
from ingest.generator import generate
from search.index import SearchIndex
from search.query import Engine, Search

QUERIES = [
    ("automated reminders", {}),
    ('"body worn video"', {}),
    ("supervisory review", {"force": ["essex"]}),
    ("custody AND rouse", {"status": ["accepted"]}),
    ("training", {"year": ["2024"], "programme": ["athena"]}),
    ("safeguard*", {}),
    ("policy NOT accepted", {"theme": ["custody"]}),
    ("partner agencies", {"body": ["college-of-policing"]}),
]
FTS_FACETS = ("force", "status", "year")
FTS_MULTI = ("programme", "theme", "body")


def build_whoosh(cases, directory: Path) -> tuple[SearchIndex, float]:
    index = SearchIndex(directory)
    t = time.perf_counter()
    with index.bulk(procs=2) as bulk:  # as `iopc-kg ingest` writes it
        for start in range(0, len(cases), 500):
            bulk.replace(cases[start:start + 500])
    return index, time.perf_counter() - t


def build_fts(cases, path: Path) -> tuple[sqlite3.Connection, float]:
    db = sqlite3.connect(path, check_same_thread=False)
    t = time.perf_counter()
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(id UNINDEXED, text, response, tokenize='porter unicode61 remove_diacritics 2')")
    db.execute("CREATE TABLE facet1(rowid INTEGER PRIMARY KEY, force TEXT, status TEXT, year TEXT)")
    db.execute("CREATE TABLE facetn(rowid INTEGER, name TEXT, value TEXT)")
    db.execute("CREATE INDEX facetn_rv ON facetn(rowid, name)")
    rowid = 0
    for case in cases:
        for rec in case.recommendations:
            rowid += 1
            db.execute("INSERT INTO doc(rowid, id, text, response) VALUES (?, ?, ?, ?)",
                       (rowid, case.recommendation_id(rec), rec.text, rec.response or ""))
            db.execute("INSERT INTO facet1 VALUES (?, ?, ?, ?)", (rowid, case.force.id, rec.status, str(case.year)))
            multi = [("programme", p.id) for p in rec.programmes] + [("theme", t) for t in rec.themes] + \
                    [("body", b.id) for b in rec.addressed_to + rec.linked_bodies if b.kind == "Body"]
            db.executemany("INSERT INTO facetn VALUES (?, ?, ?)", [(rowid, n, v) for n, v in multi])
    db.commit()
    return db, time.perf_counter() - t


def fts_query(text: str) -> str:
    """The same queries in FTS5 syntax (prefix `*`, AND/NOT, phrases are native)."""
    return text


def fts_search(db: sqlite3.Connection, q: str, filters: dict) -> dict:
    where, args = ["doc MATCH ?"], [fts_query(q)]
    for name, values in filters.items():
        marks = ",".join("?" * len(values))
        if name in FTS_FACETS:
            where.append(f"doc.rowid IN (SELECT rowid FROM facet1 WHERE {name} IN ({marks}))")
        else:
            where.append(f"doc.rowid IN (SELECT rowid FROM facetn WHERE name = '{name}' AND value IN ({marks}))")
        args += values
    cond = " AND ".join(where)
    hits = db.execute(
        f"SELECT id, bm25(doc), snippet(doc, 1, '<mark>', '</mark>', ' … ', 24), snippet(doc, 2, '<mark>', '</mark>', ' … ', 24) "
        f"FROM doc WHERE {cond} ORDER BY bm25(doc) LIMIT 20", args).fetchall()
    # The matches once, into a temporary table; the total and the facets are counted from it.
    db.execute("DROP TABLE IF EXISTS temp.m")
    db.execute(f"CREATE TEMP TABLE m AS SELECT rowid AS r FROM doc WHERE {cond}", args)
    total = db.execute("SELECT count(*) FROM temp.m").fetchone()[0]
    facets = {}
    for name in FTS_FACETS:
        facets[name] = db.execute(f"SELECT f.{name}, count(*) FROM temp.m JOIN facet1 f ON f.rowid = m.r GROUP BY 1").fetchall()
    for name in FTS_MULTI:
        facets[name] = db.execute(f"SELECT f.value, count(*) FROM temp.m JOIN facetn f ON f.rowid = m.r AND f.name = '{name}' GROUP BY 1").fetchall()
    return {"hits": hits, "total": total, "facets": facets}


def timed(fn, repeat: int) -> list[float]:
    fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


FOLLOW_UPS = [  # what a researcher does next on a result page: a facet, the next page, another sort
    lambda q, f: Search(q=q, filters={**f, "status": ["accepted"]}, page_size=20),
    lambda q, f: Search(q=q, filters=f, page=2, page_size=20),
    lambda q, f: Search(q=q, filters=f, sort="newest", page_size=20),
]


def run(size: int, repeat: int) -> list[str]:
    cases = generate(size, seed=7)
    recs = sum(len(c.recommendations) for c in cases)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        index, t_whoosh = build_whoosh(cases, Path(tmp) / "index")
        db, t_fts = build_fts(cases, Path(tmp) / "fts.db")
        lines.append(f"| {size:,} cases ({recs:,} recs) | build | {t_whoosh:.1f} s | | {t_fts:.1f} s |")
        engine = Engine(index)
        engine.search(Search(q="warm up the per-commit tables"))
        cold_all, warm_all, fts_all = [], [], []
        for q, filters in QUERIES:
            def cold():
                engine.forget()
                engine.search(Search(q=q, filters=filters, page_size=20))

            c = timed(cold, repeat)
            w = []
            for follow in FOLLOW_UPS:
                w += timed(lambda: engine.search(follow(q, filters)), repeat)
            f = timed(lambda: fts_search(db, q, filters), repeat)
            cold_all += c
            warm_all += w
            fts_all += f
            label = q + (" + " + ",".join(f"{k}={v[0]}" for k, v in filters.items()) if filters else "")
            lines.append(f"| {size:,} | `{label}` | {_stats(c)} | {_stats(w)} | {_stats(f)} |")
        lines.append(f"| {size:,} | **all queries** | {_stats(cold_all)} | {_stats(warm_all)} | {_stats(fts_all)} |")
        session = cold_all + warm_all
        lines.append(f"| {size:,} | **a session** (each query once cold, then 3 follow-ups) | {_stats(session)} | | |")
        index.close()
        db.close()
    return lines


def _stats(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {pct(values, .95):.1f} / {pct(values, .99):.1f}"


def main() -> None:
    report(run, "| corpus | query | iopc-kg first ask: median / p95 / p99 ms | iopc-kg follow-ups | SQLite FTS5 |\n|---|---|---|---|---|",
           repeat=30, machine_extra=f", SQLite {sqlite3.sqlite_version}")


if __name__ == "__main__":
    main()
