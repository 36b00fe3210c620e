"""Abuse benchmark: the hostile query corpus driven at a live server while /health and /search are timed.

Usage: python -m bench.abuse [--size 10000] [--duration 120] [--attackers 4] [--data DIR]

Builds `--size` generated cases in a temporary data directory (or uses `--data`, built earlier by this
script or `bench.api_bench`), starts `iopc-kg serve` as its own process and waits until its SPARQL view
is built. Then, for `--duration` seconds, `--attackers` threads send the queries of
tests/hostile/queries.yaml round and round (Cypher to /query/cypher, SPARQL to /sparql), while one
thread asks /health every 50 ms and one asks /search every 200 ms. One thread samples the memory
(PSS) of the server and every process under it (query workers, the children they fork, the SPARQL
view's builder) every 100 ms from the server's start: the peak before the attack and during it are
reported apart. Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import collections
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

from bench.api_bench import build, serve
from bench.graph_bench import machine, pct

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "hostile" / "queries.yaml"
SEARCHES = ["automated reminders", "body worn video", "custody", "mental health", "training", "domestic abuse"]


def tree_pss(pid: int) -> dict[str, float]:
    """Memory of a process and all its descendants (the sandbox workers, the children they fork for
    each SPARQL query, the SPARQL view's builder), in MiB by kind of process: proportional set sizes,
    so pages a forked child shares with its worker count once (resident sizes would count them twice)."""
    kinds: collections.Counter = collections.Counter()
    todo, seen = [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_text()
            kind = ("server" if p == pid else "SPARQL view builder" if "graph.view" in cmd
                    else "SPARQL worker and its children" if "graph.jail\0sparql" in cmd else "Cypher workers")
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kinds[kind] += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return dict(kinds)


class Runner:
    def __init__(self, base: str, pid: int, port: int, timeout_ms: int):
        self.base, self.pid, self.port, self.timeout_ms = base, pid, port, timeout_ms
        self.stop = threading.Event()
        self.health: list[float] = []
        self.search: list[float] = []
        self.peak = 0.0
        self.peak_start = 0.0
        self.peak_kinds: dict[str, float] = {}
        self.peak_start_kinds: dict[str, float] = {}
        self.attacking = threading.Event()
        self.attacks: collections.Counter = collections.Counter()
        self.slowest_attack = 0.0
        self.late = 0
        self.cases = 0

    def attacker(self, queries: list[tuple[str, str]], offset: int) -> None:
        with httpx.Client(timeout=60) as client:
            i = offset
            while not self.stop.is_set():
                kind, text = queries[i % len(queries)]
                i += 1
                start = time.monotonic()
                if kind == "cypher":
                    r = client.post(f"{self.base}/query/cypher", json={"query": text})
                else:
                    r = client.post(f"{self.base}/sparql", content=text.encode(), headers={"content-type": "application/sparql-query"})
                took = time.monotonic() - start
                self.slowest_attack = max(self.slowest_attack, took)
                self.late += took > self.timeout_ms / 1000 + 1
                self.attacks[r.status_code] += 1
                self.cases += 1

    def prober(self, path_of, every: float, into: list[float]) -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            while not self.stop.is_set():
                start = time.monotonic()
                client.get(f"{self.base}{path_of(n)}").raise_for_status()
                into.append((time.monotonic() - start) * 1000)
                n += 1
                self.stop.wait(max(0.0, every - (time.monotonic() - start)))

    def sampler(self) -> None:
        """The peak before the attack (start-up, warm-up and the SPARQL view's build) and during it."""
        while not self.stop.is_set():
            kinds = tree_pss(self.pid)
            mib = sum(kinds.values())
            if self.attacking.is_set():
                if mib > self.peak:
                    self.peak, self.peak_kinds = mib, kinds
            elif mib > self.peak_start:
                self.peak_start, self.peak_start_kinds = mib, kinds
            self.stop.wait(0.1)


def corpus(port: int, tmp: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(CORPUS.read_text())
    canary = tmp / "canary.csv"
    canary.write_text("secret\n")

    def fill(q: str) -> str:
        return q.replace("{canary}", str(canary)).replace("{out}", str(tmp / "out.csv")).replace("{port}", str(port))

    return [(kind, fill(e["query"])) for kind in ("cypher", "sparql") for e in data[kind]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=120)
    ap.add_argument("--attackers", type=int, default=4)
    ap.add_argument("--data", type=Path, help="A data directory built earlier (skips the build).")
    ap.add_argument("--timeout-ms", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = args.data or tmp / "data"
        if not args.data:
            t = time.perf_counter()
            build(args.size, data)
            print(f"built {args.size:,} cases in {time.perf_counter() - t:.0f} s")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)
        lport = listener.getsockname()[1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        import os

        os.environ["IOPC_KG_QUERY_TIMEOUT_MS"] = str(args.timeout_ms)
        proc = serve(data, port, workers=1)
        base = f"http://127.0.0.1:{port}"
        runner = Runner(base, proc.pid, lport, args.timeout_ms)
        sampler = threading.Thread(target=runner.sampler)
        sampler.start()
        try:
            t = time.perf_counter()
            while httpx.post(f"{base}/sparql", content="ASK { ?s ?p ?o }", headers={"content-type": "application/sparql-query"},
                             timeout=900).status_code != 200:
                time.sleep(1)
            view_s = time.perf_counter() - t
            time.sleep(5)  # the first query's child gone, the server's warm-up done
            baseline_kinds = tree_pss(proc.pid)
            baseline = sum(baseline_kinds.values())
            runner.attacking.set()
            queries = corpus(lport, tmp)
            connections = collections.Counter()

            def accept():
                while not runner.stop.is_set():
                    try:
                        conn, _ = listener.accept()
                        connections["in"] += 1
                        conn.close()
                    except OSError:
                        pass

            threads = [threading.Thread(target=runner.attacker, args=(queries, i * 13)) for i in range(args.attackers)]
            threads += [threading.Thread(target=runner.prober, args=(lambda n: "/health", 0.05, runner.health)),
                        threading.Thread(target=runner.prober, args=(lambda n: f"/search?q={SEARCHES[n % len(SEARCHES)].replace(' ', '+')}", 0.2, runner.search)),
                        threading.Thread(target=accept)]
            for th in threads:
                th.start()
            time.sleep(args.duration)
            runner.stop.set()
            for th in threads:
                th.join()
        finally:
            runner.stop.set()
            sampler.join()
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # a request still in flight holds uvicorn's graceful stop
                proc.kill()
                proc.wait()
            listener.close()
        written = (tmp / "out.csv").exists()
    h, s = runner.health, runner.search
    corpus_name = f"data from {args.data}" if args.data else f"{args.size:,} generated cases"
    print(f"{machine()}; {corpus_name}; {args.attackers} attackers for {args.duration} s; "
          f"query_timeout_ms {args.timeout_ms}; SPARQL view built in {view_s:.0f} s; memory before the attack {baseline:.0f} MiB")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| hostile queries sent | {runner.cases:,} ({len(queries)} distinct, round and round) |")
    print(f"| answers by status | {', '.join(f'{k}: {v:,}' for k, v in sorted(runner.attacks.items()))} |")
    print(f"| slowest answer to a hostile query | {runner.slowest_attack:.2f} s (limit + 1 s = {args.timeout_ms / 1000 + 1:.0f} s; {runner.late} later) |")
    print(f"| /health p50 / p95 / p99 / max | {pct(h, .5):.1f} / {pct(h, .95):.1f} / {pct(h, .99):.1f} / {max(h):.1f} ms ({len(h):,} asked) |")
    print(f"| /search p50 / p95 / p99 / max | {pct(s, .5):.1f} / {pct(s, .95):.1f} / {pct(s, .99):.1f} / {max(s):.1f} ms ({len(s):,} asked) |")
    def parts(kinds: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))

    print(f"| memory (PSS) at rest before the attack | {baseline:.0f} MiB ({parts(baseline_kinds)}) |")
    print(f"| peak memory (PSS) from the start to the attack (start-up, warm-up, the SPARQL view's build) | "
          f"{runner.peak_start:.0f} MiB ({parts(runner.peak_start_kinds)}) |")
    print(f"| peak memory (PSS) during the attack, server + query workers and their children | "
          f"{runner.peak:.0f} MiB ({parts(runner.peak_kinds)}) |")
    print(f"| connections to the loopback listener | {connections['in']} |")
    print(f"| file written at the `{{out}}` path | {'yes' if written else 'no'} |")


if __name__ == "__main__":
    main()
