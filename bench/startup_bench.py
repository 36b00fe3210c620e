"""Start-up: what a person waits for when a command or a server starts, beside a fresh tantivy process.

    python -m bench.startup_bench [--size 10000] [--repeat 5] [--data DIR] [--compare NAME=CHECKOUT ...]

Each row is a fresh process, timed from its start to its exit (wall) with the CPU it used (user +
system, from the kernel's accounting of the child):
- `iopc-kg search athena --format jsonl` and `iopc-kg forces --format jsonl` on a data directory no
  server holds, on the sample corpus and on a generated corpus of `--size` cases;
- a fresh tantivy process doing the same search (opens its index of the same generated cases,
  parses the query, writes every hit's stored fields as JSON lines), when tantivy is importable;
- a fresh `iopc-kg serve` to its first answer to `/health`, and to `/health/ready` saying 200.
Runs are interleaved (each round runs every row once, in turn), so a machine whose load changes
affects every row alike; ratios to tantivy are of medians. `--compare main=/work/main` adds each
iopc-kg row run with another checkout's code (its directory first on PYTHONPATH), in the same
rounds: a before and after from one run. `--data` reuses a data directory built earlier (with
`index/` and the graph), else the generated corpus is built in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
QUERY = "athena"
# Processes start here: `python -m` puts the working directory first on sys.path, which would run
# this checkout's code whatever PYTHONPATH says.
NEUTRAL = tempfile.gettempdir()

TANTIVY = r"""
import json, sys
import tantivy
index = tantivy.Index.open(sys.argv[1])
searcher = index.searcher()
query = index.parse_query(sys.argv[2], ["text", "response", "reference"], field_boosts={"reference": 2.0},
                          conjunction_by_default=True)
total = searcher.search(query, 1, count=True).count
out = sys.stdout
for score, address in searcher.search(query, max(total, 1)).hits:
    out.write(json.dumps({**searcher.doc(address).to_dict(), "score": score}, ensure_ascii=False) + "\n")
"""


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Run `cmd` to its end: (wall seconds, CPU seconds of the child)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=NEUTRAL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def serve_times(data: Path, env: dict) -> tuple[float, float]:
    """A fresh `iopc-kg serve`: seconds to its first answer to /health (any status), and to
    /health/ready saying 200."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "--data-dir", str(data), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=NEUTRAL)
    first = None
    try:
        while time.perf_counter() - t0 < 300:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited with {proc.returncode}")
            if first is None:
                if _status(f"http://127.0.0.1:{port}/health") is not None:
                    first = time.perf_counter() - t0
            elif _status(f"http://127.0.0.1:{port}/health/ready") == 200:
                return first, time.perf_counter() - t0
            time.sleep(0.01)
        raise SystemExit("serve did not become ready in 300 s")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def build_generated(size: int, data: Path) -> None:
    """The generated corpus as `iopc-kg ingest` leaves it (the search tables kept beside the index)."""
    from bench.api_bench import build
    from search.index import SearchIndex
    from search.query import Engine

    build(size, data)
    index = SearchIndex(data / "index")
    Engine(index).warm(search_only=True)
    index.close()


def build_tantivy(size: int, path: Path) -> bool:
    try:
        from bench.peers import Tantivy
    except ImportError:
        return False
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    from ingest.generator import generate

    peer = Tantivy(path)
    peer.build(generate(size, seed=7))
    peer.close()
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", type=Path, default=None, help="A data directory of the generated corpus built earlier.")
    ap.add_argument("--compare", nargs="*", default=[], help="NAME=CHECKOUT: also run the iopc-kg rows with that code.")
    ap.add_argument("--no-serve", action="store_true", help="Leave out the serve rows.")
    args = ap.parse_args()
    from bench.graph_bench import machine

    print(f"{machine()}; load average {os.getloadavg()[0]:.1f} at the start; {args.repeat} interleaved rounds; "
          f"{args.size:,} generated cases")
    codes = {"this": str(ROOT), **dict(c.split("=", 1) for c in args.compare)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        samples = tmp / "samples-data"
        subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(samples), "--quiet", "ingest", str(SAMPLES),
                        "--format", "json"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=NEUTRAL, env={**os.environ, "PYTHONPATH": str(ROOT)})
        generated = args.data
        if generated is None:
            generated = tmp / "generated"
            t = time.perf_counter()
            build_generated(args.size, generated)
            print(f"<!-- generated corpus built in {time.perf_counter() - t:.0f} s -->", flush=True)
        peer_dir = tmp / "tantivy"
        has_peer = build_tantivy(args.size, peer_dir)

        rows: dict[str, list] = {}
        plan = []
        for name, code in codes.items():
            env = {**os.environ, "PYTHONPATH": code, "IOPC_KG_STORE": "embedded"}
            for label, data in (("samples", samples), (f"{args.size // 1000}k", generated)):
                for cmd in (["search", QUERY, "--format", "jsonl"], ["forces", "--format", "jsonl"]):
                    plan.append((f"{name}: iopc-kg {cmd[0]} ({label})",
                                 lambda cmd=cmd, data=data, env=env: timed(
                                     [sys.executable, "-m", "api.cli", "--data-dir", str(data), "--quiet", *cmd], env)))
            if not args.no_serve:
                plan.append((f"{name}: iopc-kg serve ({args.size // 1000}k)", lambda env=env: serve_times(generated, env)))
        if has_peer:
            plan.append((f"tantivy: search ({args.size // 1000}k)",
                         lambda: timed([sys.executable, "-c", TANTIVY, str(peer_dir), QUERY], dict(os.environ))))
        for round_ in range(args.repeat):
            for label, run in (plan if round_ % 2 == 0 else plan[::-1]):
                rows.setdefault(label, []).append(run())

        peer = rows.get(f"tantivy: search ({args.size // 1000}k)")
        peer_wall = statistics.median(w for w, _ in peer) if peer else None
        peer_cpu = statistics.median(c for _, c in peer) if peer else None
        print("\n| process | wall s (median) | CPU s (median) | wall / tantivy | CPU / tantivy |\n|---|---|---|---|---|")
        for label, runs in rows.items():
            if "serve" in label:
                continue
            wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
            ratio = (f"{wall / peer_wall:.1f}x", f"{cpu / peer_cpu:.1f}x") if peer else ("-", "-")
            print(f"| {label} | {wall:.3f} | {cpu:.3f} | {ratio[0]} | {ratio[1]} |")
        if not args.no_serve:
            print("\n| server | first /health answer s (median) | /health/ready 200 s (median) |\n|---|---|---|")
            for label, runs in rows.items():
                if "serve" in label:
                    print(f"| {label} | {statistics.median(f for f, _ in runs):.3f} | {statistics.median(r for _, r in runs):.3f} |")
        print("\n<!-- raw: " + json.dumps({k: [[round(x, 3) for x in r] for r in v] for k, v in rows.items()}) + " -->")


if __name__ == "__main__":
    main()
