"""Server CPU per request: what one never-asked `/search` (and one `/health`) costs the server.

    python -m bench.server_cpu [--data DIR | --size 10000] [--requests 1500] [--clients 4]
                               [--compare NAME=CHECKOUT ...]

Starts `iopc-kg serve` (one worker) as its own process, waits until `/health` says warm, sends
warm-up requests, then sends `--requests` never-asked searches (two words of the corpus, one in
three with a status facet: `bench.api_bench.never_seen_paths`, none asked twice, so no per-query
cache answers) from `--clients` keep-alive connections, and reads the server process's CPU time
(user + system) before and after: CPU ms per request is that difference over the requests. The
client's latencies (p50, p99) are printed too, though the client runs on the same cores. Then the
same for `/health`. `--compare` runs the same with another checkout's code (its directory first on
PYTHONPATH), alternating servers round by round, so a before and after come from one run.
`--engine` measures the search engine alone instead (no HTTP): each round, one process per checkout
runs `--requests` never-asked searches in process after as many to warm up, and prints its CPU ms a
search.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.api_bench import never_seen_paths
from bench.startup_bench import NEUTRAL, ROOT, build_generated, free_port


def start(data: Path, code: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": code, "IOPC_KG_STORE": "embedded"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "--data-dir", str(data), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=NEUTRAL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/health")
            body = conn.getresponse().read()
            conn.close()
            if b'"warm":true' in body.replace(b" ", b""):
                return proc, port
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not become warm in 300 s")


def drive(port: int, paths: list[str], clients: int) -> list[float]:
    """Send every path once, from `clients` keep-alive connections; the latencies in ms."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(mine: list[str]):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        out = []
        for path in mine:
            t = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
            out.append((time.perf_counter() - t) * 1000)
        conn.close()
        with lock:
            latencies.extend(out)

    threads = [threading.Thread(target=client, args=(paths[i::clients],)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def cpu_ms_per_request(proc: subprocess.Popen, port: int, paths: list[str], clients: int) -> dict:
    server = psutil.Process(proc.pid)
    before = server.cpu_times()
    t = time.perf_counter()
    latencies = sorted(drive(port, paths, clients))
    wall = time.perf_counter() - t
    after = server.cpu_times()
    cpu = (after.user - before.user) + (after.system - before.system)
    return {"cpu_ms": cpu * 1000 / len(paths), "rps": len(paths) / wall, "p50": latencies[len(latencies) // 2],
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


ENGINE = r"""
import random, sys, time
from pathlib import Path
from search.index import SearchIndex
from search.query import Engine, Search
data, n, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
index = SearchIndex(data / "index"); engine = Engine(index); engine.warm(search_only=True)
words = sorted(index.vocabulary())
rng = random.Random(seed); seen = set(); requests = []
while len(requests) < 2 * n:
    q = f"{rng.choice(words)} {rng.choice(words)}"
    if q not in seen:
        seen.add(q)
        f = {"status": [rng.choice(["accepted", "not_accepted", "partially_accepted"])]} if rng.random() < 1 / 3 else {}
        requests.append(Search(q=q, filters=f))
for r in requests[:n]:
    engine.search(r)
t = time.process_time()
for r in requests[n:]:
    engine.search(r)
print((time.process_time() - t) * 1000 / n)
"""


def engine_rounds(data: Path, codes: dict[str, str], n: int, rounds: int) -> None:
    rows: dict[str, list[float]] = {}
    for round_ in range(rounds):
        for name, code in (list(codes.items()) if round_ % 2 == 0 else list(codes.items())[::-1]):
            out = subprocess.run([sys.executable, "-c", ENGINE, str(data), str(n), str(round_ + 7)], capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": code}, cwd=NEUTRAL, check=True).stdout
            rows.setdefault(name, []).append(float(out.strip().splitlines()[-1]))
    print("\n| code | engine CPU ms / never-asked search (median) | each round |\n|---|---|---|")
    for name, runs in rows.items():
        print(f"| {name} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=1500)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--compare", nargs="*", default=[])
    ap.add_argument("--engine", action="store_true", help="The engine alone, in process (no HTTP).")
    args = ap.parse_args()
    from bench.graph_bench import machine
    from search.index import SearchIndex

    codes = {"this": str(ROOT), **dict(c.split("=", 1) for c in args.compare)}
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "data"
            build_generated(args.size, data)
        index = SearchIndex(data / "index")
        words = sorted(index.vocabulary())
        cases = index.searcher().doc_count()
        index.close()
        print(f"{machine()}; load average {os.getloadavg()[0]:.1f} at the start; {cases:,} documents; one worker; "
              f"{args.clients} keep-alive clients on the same machine; {args.requests} requests a row, {args.rounds} rounds")
        if args.engine:
            engine_rounds(data, codes, args.requests, args.rounds)
            return
        fresh = iter(never_seen_paths(words, (args.requests + 200) * len(codes) * args.rounds, seed=11))
        rows: dict[str, list[dict]] = {}
        for round_ in range(args.rounds):
            for name, code in (list(codes.items()) if round_ % 2 == 0 else list(codes.items())[::-1]):
                proc, port = start(data, code)
                try:
                    drive(port, [next(fresh) for _ in range(200)], args.clients)  # warm-up: first requests, loaded pages
                    rows.setdefault(f"{name}: /search never asked", []).append(
                        cpu_ms_per_request(proc, port, [next(fresh) for _ in range(args.requests)], args.clients))
                    rows.setdefault(f"{name}: /health", []).append(
                        cpu_ms_per_request(proc, port, ["/health"] * args.requests, args.clients))
                finally:
                    proc.terminate()
                    proc.wait(timeout=60)
        print("\n| server | route | server CPU ms / request (median) | requests/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|")
        for label, runs in rows.items():
            name, route = label.split(": ", 1)
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"| {name} | {route} | {med['cpu_ms']:.2f} | {med['rps']:.0f} | {med['p50']:.1f} | {med['p99']:.1f} |")


if __name__ == "__main__":
    main()
