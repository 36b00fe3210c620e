"""Abuse benchmark: six heavy loops driven at a live server at once while /health is timed.

Usage: python -m bench.abuse [--size 10000] [--duration 120] [--data DIR] [--timeout-ms 5000]

Builds `--size` generated cases in a temporary data directory (or uses `--data`, built earlier by this
script or `bench.api_bench`), starts `iopc-kg serve` as its own process and waits until its SPARQL view
is built. Then, for `--duration` seconds, six loops each send one request after another:

- Cypher: the Cypher queries of tests/hostile/queries.yaml, round and round, to /query/cypher;
- SPARQL: the SPARQL queries of the same corpus, to /sparql;
- wildcard search: `/search` for patterns that reach most of the index's words (`*a*`, `*e* *o*`);
- nonsense search: `/search` for 120 made-up words, a different set each time (spelling suggestions);
- two RDF exports: the whole graph as Turtle and as N-Triples, read to the end, again and again.

/health is asked every 50 ms by a separate process (a prober in this one would share its interpreter
lock with six client threads and time itself). One thread samples the memory of the server and every
process under it (query workers, the children they fork, the SPARQL view's builder) every 100 ms:
resident (RSS, the sum over the tree, which counts pages shared after a fork once per process) and
proportional (PSS, which shares them out). Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

from bench.api_bench import build, serve
from bench.graph_bench import machine, pct
from graph.sandbox.pool import MODULE

WORKER = f"-m\0{MODULE}\0".encode()  # how graph/sandbox/pool.py starts a worker, as /proc/PID/cmdline has it
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "hostile" / "queries.yaml"
WILDCARDS = ["*a*", "*e* *o*", "*i*", "s*", "*n* OR *t*"]
LOOPS = ("cypher", "sparql", "wildcard search", "nonsense search", "export ttl", "export nt")


def tree_memory(pid: int) -> dict[str, dict[str, float]]:
    """Memory of a process and all its descendants, in MiB by kind of process: {"rss": ..., "pss": ...}."""
    kinds: dict[str, dict[str, float]] = {"rss": collections.Counter(), "pss": collections.Counter()}
    todo, seen = [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes()  # NUL between arguments: `python -m MODULE ROLE`
            kind = ("server" if p == pid else "SPARQL view builder" if b"-m\0graph.view" in cmd
                    else "SPARQL worker and its children" if WORKER + b"sparql" in cmd
                    else "Cypher workers" if WORKER + b"cypher" in cmd else "other")
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kinds["pss"][kind] += int(line.split()[1]) / 1024
                elif line.startswith("Rss:"):
                    kinds["rss"][kind] += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return {k: dict(v) for k, v in kinds.items()}


def tree_pss(pid: int) -> dict[str, float]:
    """Proportional set sizes of a process tree by kind (for the other benches that import it)."""
    return tree_memory(pid)["pss"]


def nonsense(rng: random.Random) -> str:
    words = ("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 12))) for _ in range(120))
    return " ".join(words)[:1000]


class Runner:
    def __init__(self, base: str, pid: int, queries: list[tuple[str, str]]):
        self.base, self.pid, self.queries = base, pid, queries
        self.stop = threading.Event()
        self.attacking = threading.Event()
        self.statuses: dict[str, collections.Counter] = {k: collections.Counter() for k in LOOPS}
        self.slowest: dict[str, float] = collections.defaultdict(float)
        self.peak = {"rss": 0.0, "pss": 0.0}
        self.peak_kinds: dict[str, dict[str, float]] = {"rss": {}, "pss": {}}

    def loop(self, kind: str) -> None:
        rng = random.Random(LOOPS.index(kind))
        of_kind = [q for k, q in self.queries if k == kind]
        with httpx.Client(timeout=600) as client:
            n = 0
            while not self.stop.is_set():
                start = time.monotonic()
                try:
                    status = self._send(client, kind, of_kind, n, rng)
                except httpx.HTTPError as e:
                    status = type(e).__name__
                self.slowest[kind] = max(self.slowest[kind], time.monotonic() - start)
                self.statuses[kind][status] += 1
                n += 1

    def _send(self, client: httpx.Client, kind: str, of_kind: list[str], n: int, rng: random.Random):
        if kind == "cypher":
            return client.post(f"{self.base}/query/cypher", json={"query": of_kind[n % len(of_kind)]}).status_code
        if kind == "sparql":
            return client.post(f"{self.base}/sparql", content=of_kind[n % len(of_kind)].encode(),
                               headers={"content-type": "application/sparql-query"}).status_code
        if kind == "wildcard search":
            return client.get(f"{self.base}/search", params={"q": WILDCARDS[n % len(WILDCARDS)]}).status_code
        if kind == "nonsense search":
            return client.get(f"{self.base}/search", params={"q": nonsense(rng)}).status_code
        with client.stream("GET", f"{self.base}/export", params={"format": kind.split()[-1]}) as r:
            for _ in r.iter_bytes():
                if self.stop.is_set():
                    break
            return r.status_code

    def sampler(self) -> None:
        while not self.stop.is_set():
            if self.attacking.is_set():
                found = tree_memory(self.pid)
                for measure in ("rss", "pss"):
                    mib = sum(found[measure].values())
                    if mib > self.peak[measure]:
                        self.peak[measure], self.peak_kinds[measure] = mib, found[measure]
            self.stop.wait(0.1)


def probe(base: str, seconds: float, out: Path) -> None:
    """/health every 50 ms for `seconds` (run as its own process); the times in ms, to `out`."""
    times, failures = [], 0
    end = time.monotonic() + seconds
    with httpx.Client(timeout=60) as client:
        while time.monotonic() < end:
            start = time.monotonic()
            try:
                ok = client.get(f"{base}/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append((time.monotonic() - start) * 1000)
            failures += not ok
            time.sleep(max(0.0, 0.05 - (time.monotonic() - start)))
    out.write_text(json.dumps({"times": times, "failures": failures}))


def corpus(port: int, tmp: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(CORPUS.read_text())
    canary = tmp / "canary.csv"
    canary.write_text("secret\n")

    def fill(q: str) -> str:
        return q.replace("{canary}", str(canary)).replace("{out}", str(tmp / "out.csv")).replace("{port}", str(port))

    return [(kind, fill(e["query"])) for kind in ("cypher", "sparql") for e in data[kind]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000, help="Generated cases to build (without --data).")
    ap.add_argument("--duration", type=int, default=120)
    ap.add_argument("--data", type=Path, help="A data directory built earlier (skips the build).")
    ap.add_argument("--timeout-ms", type=int, default=5000)
    ap.add_argument("--probe", nargs=3, metavar=("BASE", "SECONDS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe(args.probe[0], float(args.probe[1]), Path(args.probe[2]))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = args.data or tmp / "data"
        if not args.data:
            t = time.perf_counter()
            build(args.size, data)
            print(f"built {args.size:,} cases in {time.perf_counter() - t:.0f} s")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ["IOPC_KG_QUERY_TIMEOUT_MS"] = str(args.timeout_ms)
        proc = serve(data, port, workers=1)
        base = f"http://127.0.0.1:{port}"
        runner = Runner(base, proc.pid, corpus(port, tmp))
        sampler = threading.Thread(target=runner.sampler)
        sampler.start()
        try:
            t = time.perf_counter()
            while httpx.post(f"{base}/sparql", content="ASK { ?s ?p ?o }", headers={"content-type": "application/sparql-query"},
                             timeout=900).status_code != 200:
                time.sleep(1)
            view_s = time.perf_counter() - t
            time.sleep(5)  # the first query's child gone, the server's warm-up done
            quiet = tree_memory(proc.pid)
            runner.attacking.set()
            out = tmp / "health.json"
            prober = subprocess.Popen([sys.executable, "-m", "bench.abuse", "--probe", base, str(args.duration), str(out)])
            threads = [threading.Thread(target=runner.loop, args=(kind,)) for kind in LOOPS]
            for th in threads:
                th.start()
            prober.wait()
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
        health = json.loads(out.read_text())
        written = (tmp / "out.csv").exists()
    h = health["times"]
    corpus_name = f"data from {args.data}" if args.data else f"{args.size:,} generated cases"
    print(f"{machine()}; {corpus_name}; six loops for {args.duration} s; query_timeout_ms {args.timeout_ms}; "
          f"SPARQL view built in {view_s:.0f} s")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| /health p50 / p95 / p99 / max | {pct(h, .5):.1f} / {pct(h, .95):.1f} / {pct(h, .99):.1f} / {max(h):.1f} ms "
          f"({len(h):,} asked, {health['failures']} not 200) |")
    for kind in LOOPS:
        statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(runner.statuses[kind].items(), key=str))
        print(f"| {kind}: answers by status; slowest | {statuses or 'none finished'}; {runner.slowest[kind]:.2f} s |")

    def parts(kinds: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))

    for measure in ("rss", "pss"):
        print(f"| {measure.upper()} before the loops, server and every process under it | "
              f"{sum(quiet[measure].values()):.0f} MiB ({parts(quiet[measure])}) |")
        print(f"| peak {measure.upper()} during the loops | {runner.peak[measure]:.0f} MiB ({parts(runner.peak_kinds[measure])}) |")
    print(f"| file written at the `{{out}}` path | {'yes' if written else 'no'} |")


if __name__ == "__main__":
    main()
