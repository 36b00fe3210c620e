"""Cold start: how soon a started server answers searches at full speed.

Usage: python -m bench.coldstart_bench [--size 10000] [--rounds 3]

Builds a generated corpus in a temporary data directory (graph and index, as `iopc-kg ingest`
leaves them: the search tables of the last commit kept beside the index), then starts
`iopc-kg serve` (one worker) several times, each in its own process, and measures from the
process start: when it first answers `/health`, when `/health/ready` says 200, the first search
(a query never asked, client-side wall time, asked as soon as ready), and when `/health` says
`warm` (the similarity vectors too). Scenarios:
- after an ingest: the tables the ingest kept; the vectors not yet built;
- a restart: everything the previous server built is kept beside the index;
- nothing kept: the `tables/` directory removed (an index from an older release).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.api_bench import build
from bench.graph_bench import machine
from search.index import SearchIndex
from search.query import Engine

QUERIES = ["custody rousing", "vetting decisions", "pursuit authorisations", "interpreters welfare",
           "firearms licensing", "seizure property", "grading emergency", "handover prisoners"]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def start(data: Path, port: int, query: str) -> dict:
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(data), "serve", "--port", str(port), "--workers", "1"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        while time.perf_counter() - t0 < 300:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/health/ready")
            except OSError:
                time.sleep(0.02)
                continue
            out.setdefault("listening", time.perf_counter() - t0)
            if status == 200:
                out["ready"] = time.perf_counter() - t0
                break
            time.sleep(0.02)
        t = time.perf_counter()
        status, body = _get(f"http://127.0.0.1:{port}/search?" + urllib.parse.urlencode({"q": query}))
        out["first_search_ms"] = (time.perf_counter() - t) * 1000
        assert status == 200 and body["total"] >= 0, body
        while time.perf_counter() - t0 < 600:
            try:  # /health may be slow while the vectors are built (the GIL): keep asking
                if _get(f"http://127.0.0.1:{port}/health")[1].get("warm"):
                    out["warm"] = time.perf_counter() - t0
                    break
            except OSError:
                pass
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"{machine()}; {args.size:,} generated cases; one worker")
    print("| start | listening s | ready s | first search ms | warm s |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t = time.perf_counter()
        build(args.size, data)
        index = SearchIndex(data / "index")
        Engine(index).warm(search_only=True)  # what `iopc-kg ingest` does at its end
        index.close()
        print(f"<!-- corpus built in {time.perf_counter() - t:.0f} s -->", flush=True)
        queries = iter(QUERIES * args.rounds * 3)
        tables = data / "index" / "tables"
        kept = Path(tmp) / "kept-after-ingest"
        shutil.copytree(tables, kept)
        rows = {"after an ingest (search tables kept)": [], "a restart (everything kept)": [],
                "nothing kept (tables/ removed)": []}
        for _ in range(args.rounds):
            shutil.rmtree(tables)
            shutil.copytree(kept, tables)
            rows["after an ingest (search tables kept)"].append(start(data, 18100, next(queries)))
            rows["a restart (everything kept)"].append(start(data, 18100, next(queries)))
            shutil.rmtree(tables)
            rows["nothing kept (tables/ removed)"].append(start(data, 18100, next(queries)))
        for name, runs in rows.items():
            def med(key, scale=1.0, fmt=".2f"):
                values = [r[key] * scale for r in runs if key in r]
                return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})" if values else "n/a"
            print(f"| {name} | {med('listening')} | {med('ready')} | {med('first_search_ms', fmt='.0f')} | {med('warm', fmt='.1f')} |",
                  flush=True)


if __name__ == "__main__":
    main()
