"""API benchmark: throughput and latency of /search and two pattern routes under concurrent load.

Usage: python -m bench.api_bench [--size 10000] [--duration 20] [--connections 16] [--workers 1 2]

Builds a generated corpus in a temporary data directory, starts `iopc-kg serve` as its own process,
and drives it from a second process with wrk (Debian's `wrk`; a Lua script rotates the request
paths and prints p50/p95/p99 and non-2xx counts). The headline rows are work nothing has kept:
- /search, never seen: 40,000 different requests (two words of the corpus, one in three with a
  facet), more than a run sends, so no request is asked twice and the per-commit match cache
  (64 queries) never answers;
- /patterns/spread and /patterns/deadlines with the store's memo off (`IOPC_KG_GRAPH_MEMO=false`),
  so every request runs its query.
Cache hits are rows of their own, labelled as such: 8 queries x 4 pages rotated (32 paths, all
answered from the match cache after the first round), and the pattern routes with the memo on
(every request after the first answered from it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from ontology.settings import Settings
from bench.graph_bench import machine
from bench.search_bench import QUERIES
from graph.open import open_store
from ingest.generator import generate
from ingest.load import write_cases
from search.index import SearchIndex

LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
-- Each wrk thread takes every other path (its own Lua state and counter): no path is sent by both.
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local i = 0
request = function()
  local k = i * 2 + (id or 0)
  i = i + 1
  return wrk.format("GET", paths[(k %% #paths) + 1])
end
local bad = 0
response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.3f p50=%%.2f p95=%%.2f p99=%%.2f errors=%%d non2xx=%%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, bad))
end
"""


def repeated_paths() -> list[str]:
    """The bench queries with 3 follow-ups each: after one round, every one a cache hit."""
    out = []
    for q, filters in QUERIES:
        base = {"q": q, **{k: v[0] for k, v in filters.items()}}
        for extra in ({}, {"status": "accepted"}, {"page": 2}, {"sort": "newest"}):
            out.append("/search?" + urllib.parse.urlencode({**base, **extra}))
    return out


def never_seen_paths(words: list[str], n: int, seed: int) -> list[str]:
    """`n` different search requests: two words of the corpus, one in three with a status facet."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        params = {"q": f"{rng.choice(words)} {rng.choice(words)}"}
        if rng.random() < 1 / 3:
            params["status"] = rng.choice(["accepted", "not_accepted", "partially_accepted"])
        out["/search?" + urllib.parse.urlencode(params)] = None
    return list(out)


def build(size: int, data: Path) -> None:
    settings = Settings(data_dir=data, _env_file=None)
    store = open_store(settings)
    index = SearchIndex(settings.index_dir)
    write_cases(generate(size, seed=7), store, index)
    index.close()
    store.close()


def serve(data: Path, port: int, workers: int, memo: bool = True) -> subprocess.Popen:
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(data), "serve", "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "IOPC_KG_GRAPH_MEMO": "true" if memo else "false"}
    proc = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    warm = 0
    for _ in range(1200):  # up, and its search tables built (in the background at start): asked until
        try:               # several answers in a row say so, so that every worker has been asked
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                warm = warm + 1 if json.load(r).get("warm") else 0
            if warm >= 8:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def require_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian: apt-get install wrk)")


def wrk(port: int, paths: list[str], duration: int, connections: int, tmp: Path) -> dict:
    path_file = tmp / "paths.txt"
    path_file.write_text("\n".join(paths) + "\n")
    script = tmp / "rotate.lua"
    script.write_text(LUA % {"paths": path_file})
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) errors=(\d+) non2xx=(\d+)", out)
    n, secs, p50, p95, p99, errors, bad = m.groups()
    return {"rps": int(n) / float(secs), "p50": float(p50), "p95": float(p95), "p99": float(p99), "errors": int(errors) + int(bad)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    require_wrk()
    print(f"{machine()}; {args.size:,} generated cases; wrk -t2 -c{args.connections} -d{args.duration}s on loopback")
    print("| workers | scenario | requests/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        t = time.perf_counter()
        build(args.size, data)
        print(f"<!-- corpus built in {time.perf_counter() - t:.0f} s -->")
        words = sorted(SearchIndex(data / "index").vocabulary())
        fresh = never_seen_paths(words, 40_000 + 200, seed=3)
        warm_up, fresh = fresh[:200], fresh[200:]
        # (label, memo on?, paths, warm-up paths): headline rows first, cache hits after.
        scenarios = [
            ("/search, never-seen requests", False, fresh, warm_up),
            ("/patterns/spread, memo off", False, ["/patterns/spread?min_forces=2"], None),
            ("/patterns/deadlines, memo off", False, ["/patterns/deadlines?on=2026-11-26"], None),
            ("cache hits: /search, 8 queries x 4 pages rotated", True, repeated_paths(), None),
            ("cache hits: /patterns/spread, memo on", True, ["/patterns/spread?min_forces=2"], None),
            ("cache hits: /patterns/deadlines, memo on", True, ["/patterns/deadlines?on=2026-11-26"], None),
        ]
        for workers in args.workers:
            for memo in (False, True):
                port = 18000 + workers
                server = serve(data, port, workers, memo=memo)
                try:
                    for name, on, paths, warm in scenarios:
                        if on != memo:
                            continue
                        wrk(port, warm or paths, 3, args.connections, tmp)  # warm up: first requests, loaded pages
                        r = wrk(port, paths, args.duration, args.connections, tmp)
                        print(f"| {workers} | {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['errors']} |", flush=True)
                finally:
                    server.terminate()
                    server.wait(timeout=30)


if __name__ == "__main__":
    main()
