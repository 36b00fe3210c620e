"""Ingest and scale: `iopc-kg ingest` of a generated corpus (time, peak memory), then search and
every relationship question on what it wrote (median, p95), embedded.

Usage: python -m bench.scale_bench [--sizes 30000 100000] [--repeat 10] [--keep DIR]

The corpus is written to JSONL files of 500 cases first (generated 5,000 cases at a time, so this
process never holds it whole), then `iopc-kg ingest` runs as its own process, as a researcher runs it;
its memory is the proportional set size of its process tree (Whoosh's worker processes included),
sampled every 0.2 s with psutil, and the main process's resident set. Then, in this process: each bench query as a never-seen search
(`Engine.forget()` before each timing, as `bench.search_bench`), and each graph question of
`bench.graph_bench.QUERIES` with the store's memo off. Compare ratios between sizes of one run. The
peer, tantivy (`bench.peers.Tantivy`, as `bench.search_bench` uses it), indexes the same
recommendations in the same run and answers the same searches; its figures and the ratios are in
each search row's notes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from ontology.settings import Settings
from bench.graph_bench import QUERIES as GRAPH_QUERIES, machine, pct
from bench.ingest_phases import sample
from bench.search_bench import QUERIES as SEARCH_QUERIES, timed
from graph.open import open_store
from ingest.generator import generate
from search.index import SearchIndex
from search.query import Engine, Search


def write_corpus(size: int, directory: Path, chunk: int = 500) -> int:
    """`size` generated cases as JSONL files of `chunk` cases (a file may hold at most 5 MB);
    returns the number of recommendations. Reused when a kept directory already holds them.

    The generator is seeded per 5,000 cases, so this process never holds the corpus whole and the
    corpus at one size is the same in every run (references renumbered to stay unique)."""
    done = directory / "DONE"
    if done.exists():
        return int(done.read_text())
    directory.mkdir(parents=True, exist_ok=True)
    recs = 0
    for start in range(0, size, 5000):
        cases = generate(min(5000, size - start), seed=7 + start // 5000, first=start)
        for first in range(0, len(cases), chunk):
            with open(directory / f"cases-{start + first:07d}.jsonl", "w") as f:
                for i, case in enumerate(cases[first:first + chunk], start + first):
                    case.reference = f"{case.reference.split('/')[0]}/{1_000_000 + i:07d}"
                    f.write(json.dumps(case.to_dict()) + "\n")
                    recs += len(case.recommendations)
    done.write_text(str(recs))
    return recs


def ingest(data: Path, corpus: Path) -> dict:
    """Run `iopc-kg ingest` and sample its process tree's memory every 0.2 s (`bench.ingest_phases`)."""
    rows, out = sample(corpus, data, every=0.2)
    # The summary is indented JSON after any other output (its last line is a lone "}": parsing only
    # that lost a 45-minute 100k run's figures).
    summary, _ = json.JSONDecoder().raw_decode(out[out.index("{"):])
    if summary["failures"] or not summary["indexed"]:
        raise SystemExit(f"ingest failed: {summary['failures'][:3]}")
    for line in rows[-1]["warnings"]:
        print(f"<!-- the ingest logged: {line[:300]} -->", flush=True)
    samples = [r for r in rows if not r.get("end")]
    return {"seconds": rows[-1]["t"], "peak_tree": max((r["tree"] for r in samples), default=0),
            "peak_main": max((r["main"] for r in samples), default=0), "summary": summary}


def tantivy_peer(corpus: Path, directory: Path):
    """tantivy over the same recommendations (`bench.peers.Tantivy`, as `bench.search_bench` builds it);
    the cases are decoded first, so its build time is the engine's alone."""
    from bench.peers import Tantivy
    from ontology.records import CaseRecord

    cases = [CaseRecord.from_dict(json.loads(line), "bench") for f in sorted(corpus.glob("*.jsonl"))
             for line in f.read_text().splitlines() if line.strip()]
    peer = Tantivy(directory)
    seconds = peer.build(cases)
    del cases
    return peer, seconds


def _peer(ours: list[float], theirs: list[float]) -> str:
    return (f"tantivy {statistics.median(theirs):.1f} / {pct(theirs, .95):.1f} ms; iopc-kg / tantivy "
            f"{pct(ours, .95) / pct(theirs, .95):.1f}x at p95 ({statistics.median(ours) / statistics.median(theirs):.1f}x median)")


class _Lines(list):
    """Table rows, printed as they are measured (a 100k run takes hours: what is done shows)."""

    def append(self, line: str) -> None:
        super().append(line)
        print(line, flush=True)


def run(size: int, repeat: int, keep: Path | None, reuse: bool = False) -> list[str]:
    lines = _Lines()
    with tempfile.TemporaryDirectory() as tmp:
        base = keep / str(size) if keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        corpus, data = base / "corpus", base / "data"
        t = time.perf_counter()
        recs = write_corpus(size, corpus)
        label = f"{size:,} cases ({recs:,} recs)"
        print(f"<!-- {label}: corpus written in {time.perf_counter() - t:.0f} s -->", flush=True)
        if reuse and (data / "last-ingest.json").exists():
            done = json.loads((data / "last-ingest.json").read_text())
            lines.append(f"| {label} | ingest | (kept from an earlier run: {done['cases']:,} cases, {done['indexed']:,} "
                         f"documents, finished {done['finished']}) | | not measured in this run |")
        else:
            r = ingest(data, corpus)
            lines.append(f"| {label} | ingest (`iopc-kg ingest`, one JSONL) | {r['seconds']:.0f} s | | "
                         f"peak memory {r['peak_tree']:,} MiB (process tree PSS; main process RSS {r['peak_main']:,}) |")
        settings = Settings(data_dir=data, _env_file=None)
        index = SearchIndex(settings.index_dir)
        peer, peer_build = tantivy_peer(corpus, Path(tmp) / "tantivy")
        lines.append(f"| {size:,} | tantivy index build (the peer, same texts) | {peer_build:.1f} s | | "
                     f"{peer.size_bytes() / 2**20:,.0f} MiB |")
        lines.append(f"| {size:,} | index size | {index.size_bytes() / 2**20:,.0f} MiB | | "
                     f"{index.doc_count():,} documents; tantivy {peer.size_bytes() / 2**20:,.0f} MiB |")
        engine = Engine(index)
        t = time.perf_counter()
        engine.warm(search_only=True)
        lines.append(f"| {size:,} | search tables (load or build) | {time.perf_counter() - t:.1f} s | | |")
        every, every_peer = [], []
        for q, filters in SEARCH_QUERIES:
            req = Search(q=q, filters=filters, page_size=20)

            def cold():
                engine.forget()
                engine.search(req)

            times = timed(cold, repeat)
            theirs = timed(lambda: peer.search(q, filters), repeat)
            every += times
            every_peer += theirs
            label_q = q + (" + " + ",".join(f"{k}={v[0]}" for k, v in filters.items()) if filters else "")
            lines.append(f"| {size:,} | search `{label_q}` (first ask) | {statistics.median(times):.1f} ms | {pct(times, .95):.1f} ms | "
                         f"{_peer(times, theirs)} |")
        lines.append(f"| {size:,} | **search, all queries (first ask)** | {statistics.median(every):.1f} ms | {pct(every, .95):.1f} ms | "
                     f"{_peer(every, every_peer)} |")
        index.close()
        peer.close()
        store = open_store(settings)
        store.memoise = False
        for name, fn in GRAPH_QUERIES.items():
            times = timed(lambda: fn(store), repeat)
            lines.append(f"| {size:,} | {name} (memo off) | {statistics.median(times):.1f} ms | {pct(times, .95):.1f} ms | |")
        store.close()
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[30000, 100000])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="keep each size's corpus and data directory under this directory")
    ap.add_argument("--reuse", action="store_true", help="with --keep: measure the searches and questions on a data "
                    "directory a finished earlier ingest left there, without ingesting again")
    args = ap.parse_args()
    print(f"{machine()}; psutil {psutil.__version__}")
    print("| corpus | measure | median | p95 | notes |\n|---|---|---|---|---|")
    for size in args.sizes:
        run(size, args.repeat, args.keep, args.reuse)


if __name__ == "__main__":
    main()
