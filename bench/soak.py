"""Soak: the API under concurrent load for several minutes while an ingest runs, memory watched.

Usage: python -m bench.soak [--minutes 6] [--start 3000] [--batch 100] [--connections 16]

Builds `--start` generated cases, starts `iopc-kg serve` (one worker: HTTP ingest needs the
writable store) with an API key, then for `--minutes` minutes drives it with wrk from a second
process (searches repeated and new, patterns, profiles, recommendations, the explorer page) while a
client uploads a JSONL of `--batch` cases (nine in ten already in the graph, changed; one in ten new) to `POST /ingest` every few seconds. Each
minute it prints requests/s, latency, errors, the server's resident memory and what was ingested.
At the end the graph and the index must agree (`/stats`), no request may have failed, and resident
memory must not keep growing (the peak of the second half of the run may exceed the peak of the
first half by `--growth` at most: caches fill in the first minutes, a leak goes on): the exit
status is 1 if any of that breaks. Not run in CI (minutes).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import random
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import httpx

from bench.api_bench import build, require_wrk, search_paths, serve, wrk
from bench.graph_bench import machine
from ingest.generator import generate
from search.index import SearchIndex

KEY = "soak-test-key"


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children (Whoosh writers, if any), in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


class Ingester(threading.Thread):
    """Uploads batches until stopped: cases already in the graph with a changed response (so the
    corpus stays about the same size and memory can be judged) and a few new ones."""

    def __init__(self, base: str, existing, new, batch: int, pause: float):
        super().__init__(daemon=True)
        self.base, self.existing, self.new, self.batch, self.pause = base, existing, new, batch, pause
        self.stop = threading.Event()
        self.done: list[dict] = []
        self.failures: list[str] = []

    def batches(self):
        k = 0
        fresh = iter(self.new)
        while True:
            chunk = [copy.deepcopy(self.existing[(k * self.batch + i) % len(self.existing)]) for i in range(self.batch - self.batch // 10)]
            for c in chunk:
                for r in c.recommendations:
                    r.response = f"{r.response or ''} Revision {k}: reviewed again during the soak."
            chunk += [c for _, c in zip(range(self.batch // 10), fresh)]
            yield k, chunk
            k += 1

    def run(self):
        with httpx.Client(timeout=300) as client:
            for k, chunk in self.batches():
                if self.stop.is_set():
                    return
                body = "\n".join(json.dumps(c.to_dict()) for c in chunk).encode()
                t = time.perf_counter()
                r = client.post(f"{self.base}/ingest", headers={"X-API-Key": KEY},
                                files={"files": (f"batch-{k}.jsonl", io.BytesIO(body), "application/x-ndjson")})
                took = time.perf_counter() - t
                if r.status_code != 200:
                    self.failures.append(f"batch {k}: {r.status_code} {r.text[:300]}")
                else:
                    self.done.append({"cases": len(chunk), "seconds": took, "written": r.json().get("written")})
                self.stop.wait(self.pause)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=6)
    ap.add_argument("--start", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--pause", type=float, default=3.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--growth", type=float, default=0.15, help="largest allowed growth of the peak resident memory from the first half of the run to the second")
    args = ap.parse_args()
    require_wrk()
    print(f"{machine()}; {args.start:,} cases "
          f"to start, +{args.batch} per upload every {args.pause:.0f} s; wrk -t2 -c{args.connections}, {args.minutes} × 60 s")
    print("| minute | requests/s | p50 ms | p99 ms | errors | server RSS MiB | cases ingested (uploads, mean s) |\n|---|---|---|---|---|---|---|")
    os.environ["IOPC_KG_API_KEY"] = KEY
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        build(args.start, data)
        words = sorted(SearchIndex(data / "index").vocabulary())
        existing = generate(args.start, seed=7)  # what build() wrote
        new = generate(args.minutes * 60 // int(args.pause) * (args.batch // 10 + 1), seed=23)

        port = 18100
        server = serve(data, port, 1)
        base = f"http://127.0.0.1:{port}"
        try:
            recs = [h["id"] for h in httpx.get(f"{base}/search", params={"q": "training", "page_size": 50}).json()["hits"]]
            paths = (search_paths(True, words) * 4 + search_paths(False, words)[:200]
                     + ["/patterns/spread?min_forces=2", "/patterns/deadlines?on=2026-11-26", "/forces/essex",
                        "/programmes/athena", "/", "/ui/app.js", "/stats"] * 4
                     + [f"/recommendations/{urllib.parse.quote(r)}" for r in recs])
            random.Random(9).shuffle(paths)
            wrk(port, paths[:50], 3, args.connections, tmp)  # warm up
            ingester = Ingester(base, existing, new, args.batch, args.pause)
            ingester.start()
            rows = []
            for minute in range(1, args.minutes + 1):
                before = len(ingester.done)
                r = wrk(port, paths, 60, args.connections, tmp)
                r["rss"] = rss_mib(server.pid)
                batch = ingester.done[before:]
                r["ingested"] = sum(b["cases"] for b in batch)
                r["uploads"] = len(batch)
                r["upload_s"] = sum(b["seconds"] for b in batch) / len(batch) if batch else 0.0
                rows.append(r)
                print(f"| {minute} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | {r['rss']:.0f} | "
                      f"{r['ingested']} ({r['uploads']}, {r['upload_s']:.1f}) |", flush=True)
            ingester.stop.set()
            ingester.join(timeout=600)
            stats = httpx.get(f"{base}/stats").json()
        finally:
            server.terminate()
            server.wait(timeout=60)

    problems = []
    errors = sum(r["errors"] for r in rows)
    if errors:
        problems.append(f"{errors} requests failed")
    if ingester.failures:
        problems.append(f"{len(ingester.failures)} uploads failed: {ingester.failures[:3]}")
    if stats["index"]["documents"] != stats["counts"].get("Recommendation"):
        problems.append(f"index holds {stats['index']['documents']} documents, graph {stats['counts'].get('Recommendation')} recommendations")
    half = len(rows) // 2
    first_peak = max(r["rss"] for r in rows[:half]) if half else 0
    late_peak = max(r["rss"] for r in rows[half:]) if rows else 0
    growth = (late_peak - first_peak) / first_peak if first_peak else 0
    print(f"\nUploads: {len(ingester.done)} ({sum(b['cases'] for b in ingester.done)} cases); graph at the end: "
          f"{stats['counts'].get('Case')} cases, {stats['counts'].get('Recommendation')} recommendations; index "
          f"{stats['index']['documents']} documents. Resident memory: {rows[0]['rss']:.0f} MiB after minute 1 (caches "
          f"filling), highest {first_peak:.0f} MiB in the first half, {late_peak:.0f} MiB in the second ({growth:+.0%}).")
    if growth > args.growth:
        problems.append(f"resident memory kept growing: {growth:.0%} from the first half's peak to the second's (limit {args.growth:.0%})")
    if problems:
        print("SOAK FAILED: " + "; ".join(problems))
        raise SystemExit(1)
    print("Soak passed: no failed request or upload, graph and index agree, memory flat.")


if __name__ == "__main__":
    main()
