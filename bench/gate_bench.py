"""Refusal time of the query gate's text pre-check, and /health while it refuses.

Usage: python -m bench.gate_bench [--size 200] [--rounds 20] [--data DIR]

Builds `--size` generated cases (or uses `--data`), starts `iopc-kg serve` as its own process and
sends, `--rounds` times each, a query of the size limit (20,000 characters) holding a literal that is
never closed, of every quote kind (SPARQL ' " ''' \"\"\"; Cypher ' " `), made of escaped quotes: the
text a scan from every quote took quadratic time over. Meanwhile one thread asks /health every
20 ms. Prints the refusal time per kind (median, p95, max) and /health's p50, p99 and max, and the
time of the pre-check alone in this process.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.api_bench import build, serve
from bench.graph_bench import pct
from tests.hostile.variants import LIMIT, QUOTES, unterminated

KINDS = [(kind, quote) for kind, quotes in QUOTES.items() for quote in quotes]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()

    from graph.sandbox.text import check_cypher, normalise_sparql, scan_sparql
    from ontology.exc import QueryRefused

    print("| query | pre-check alone, ms (max of 20) | HTTP refusal median ms | p95 | max | status |")
    print("|---|---|---|---|---|---|")
    local = {}
    normalise_sparql("ASK {}")  # rdflib's parser module is imported on the first call: not the scan's time
    for kind, quote in KINDS:
        text, worst = unterminated(kind, quote), 0.0
        for _ in range(20):
            start = time.perf_counter()
            try:
                scan_sparql(normalise_sparql(text)) if kind == "sparql" else check_cypher(text)
            except QueryRefused:
                pass
            worst = max(worst, time.perf_counter() - start)
        local[(kind, quote)] = worst * 1000

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if args.data is None:
            build(args.size, data)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = serve(data, port, 1)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=60) as client:  # workers up and the view built before timing
                client.post(f"{base}/query/cypher", json={"query": "RETURN 1 AS one"})
                client.post(f"{base}/sparql", content="ASK { ?s ?p ?o }", headers={"content-type": "application/sparql-query"})
            health: list[float] = []
            stop = threading.Event()

            def ask_health():
                with httpx.Client(timeout=30) as client:
                    while not stop.is_set():
                        start = time.perf_counter()
                        client.get(f"{base}/health")
                        health.append(time.perf_counter() - start)
                        time.sleep(0.02)

            watcher = threading.Thread(target=ask_health, daemon=True)
            watcher.start()
            with httpx.Client(timeout=60) as client:
                for kind, quote in KINDS:
                    text, times, codes = unterminated(kind, quote), [], set()
                    for _ in range(args.rounds):
                        start = time.perf_counter()
                        if kind == "sparql":
                            r = client.post(f"{base}/sparql", content=text.encode(), headers={"content-type": "application/sparql-query"})
                        else:
                            r = client.post(f"{base}/query/cypher", json={"query": text})
                        times.append(time.perf_counter() - start)
                        codes.add(r.status_code)
                    times.sort()
                    print(f"| {kind} {quote} | {local[(kind, quote)]:.1f} | {pct(times, 0.5) * 1000:.1f} | "
                          f"{pct(times, 0.95) * 1000:.1f} | {times[-1] * 1000:.1f} | {sorted(codes)} |")
            stop.set()
            watcher.join()
            health.sort()
            print(f"\n/health during the refusals: {len(health)} answers, p50 {pct(health, 0.5) * 1000:.1f} ms, "
                  f"p99 {pct(health, 0.99) * 1000:.1f} ms, max {health[-1] * 1000:.1f} ms")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
