"""Search benchmark: index build, index size and query latency against two peers in the same run.

Usage: python -m bench.search_bench [--sizes 1000 10000] [--repeat 30]

Every engine does what the API's /search does for one request: the first 20 hits by BM25, snippets
of text and response with matched terms marked, the total, and counts for six facets (each with
every filter but its own). The peers are SQLite FTS5 written as a SQLite expert would, and tantivy
(`bench/peers.py`), on the same texts and the same queries.

Headline figures are for work nothing has kept: iopc-kg's "first ask" empties every per-query and
per-hit cache before each timing (parsed query, matches, facet counts, suggestions, stored fields,
snippets), so each timing is a never-seen query; only what is built once per index commit
(facet tables, field lengths) stays, as tantivy's fast fields and FTS5's tables stay. Cache hits
are reported in their own column: the same request again, and the follow-ups a researcher makes
(a facet, page 2, newest first). Compare ratios within one run: the machine is shared.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.graph_bench import pct, report
from bench.peers import Fts5, Tantivy
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


def build_whoosh(cases, directory: Path) -> tuple[SearchIndex, float]:
    index = SearchIndex(directory)
    t = time.perf_counter()
    with index.bulk(procs=2) as bulk:  # as `iopc-kg ingest` writes it
        for start in range(0, len(cases), 500):
            bulk.replace(cases[start:start + 500])
    return index, time.perf_counter() - t


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
        tmp = Path(tmp)
        index, t_whoosh = build_whoosh(cases, tmp / "index")
        fts = Fts5(tmp / "fts.db")
        t_fts = fts.build(cases)
        tan = Tantivy(tmp / "tantivy")
        t_tan = tan.build(cases)
        del cases
        lines.append(f"| {size:,} cases ({recs:,} recs) | build s | {t_whoosh:.1f} | | {t_fts:.1f} | {t_tan:.1f} | "
                     f"{t_whoosh / t_tan:.1f}x |")
        lines.append(f"| {size:,} | index MiB | {index.size_bytes() / 2**20:.0f} | | {fts.size_bytes(tmp / 'fts.db') / 2**20:.0f} | "
                     f"{tan.size_bytes() / 2**20:.0f} | {index.size_bytes() / tan.size_bytes():.1f}x |")
        engine = Engine(index)
        t = time.perf_counter()
        engine.warm(search_only=True)  # what the server builds before /health/ready says 200
        lines.append(f"| {size:,} | iopc-kg per-commit search tables (facets, lengths, postings arrays) s | "
                     f"{time.perf_counter() - t:.1f} | | | | |")
        cold_all, warm_all, fts_all, tan_all, totals = [], [], [], [], []
        for q, filters in QUERIES:
            req = Search(q=q, filters=filters, page_size=20)

            def cold():
                engine.forget()
                return engine.search(req)

            c = timed(cold, repeat)
            w = timed(lambda: engine.search(req), repeat)
            for follow in FOLLOW_UPS:
                w += timed(lambda: engine.search(follow(q, filters)), repeat)
            f = timed(lambda: fts.search(q, filters), repeat)
            t = timed(lambda: tan.search(q, filters), repeat)
            totals.append((q, cold().total, fts.search(q, filters)["total"], tan.search(q, filters)["total"]))
            cold_all += c
            warm_all += w
            fts_all += f
            tan_all += t
            label = q + (" + " + ",".join(f"{k}={v[0]}" for k, v in filters.items()) if filters else "")
            lines.append(f"| {size:,} | `{label}` | {_stats(c)} | {_stats(w)} | {_stats(f)} | {_stats(t)} | {_ratio(c, t)} |")
        lines.append(f"| {size:,} | **all queries** | {_stats(cold_all)} | {_stats(warm_all)} | {_stats(fts_all)} | "
                     f"{_stats(tan_all)} | {_ratio(cold_all, tan_all)} |")
        lines.append("<!-- totals (iopc-kg / FTS5 / tantivy): " +
                     "; ".join(f"{q}: {a} / {b} / {c}" for q, a, b, c in totals) + " -->")
        index.close()
        fts.close()
        tan.close()
    return lines


def _stats(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {pct(values, .95):.1f}"


def _ratio(ours: list[float], peer: list[float]) -> str:
    """iopc-kg's p95 over the peer's (median ratio in brackets)."""
    return f"{pct(ours, .95) / pct(peer, .95):.1f}x ({statistics.median(ours) / statistics.median(peer):.1f}x)"


HEADER = ("| corpus | query | iopc-kg first ask ms: median / p95 | iopc-kg cache hits (same request, follow-ups) | "
          "SQLite FTS5 | tantivy | iopc-kg / tantivy, p95 (median) |\n|---|---|---|---|---|---|---|")


def main() -> None:
    import tantivy

    report(run, HEADER, repeat=30, machine_extra=f", SQLite {sqlite3.sqlite_version}, {tantivy.__version__}")


if __name__ == "__main__":
    main()
