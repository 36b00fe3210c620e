"""`iopc-kg parse DIR` as a user runs it: a fresh process over a folder of page files, in pages per
second of wall-clock time, at several sizes so growth shows (issue 33: at 10k pages within 20% of 1k).

The pages are the samples and generated cases rendered as pages (bench/parse_bench.py: AI-A, PC-B and
PC-C layouts, two in three without a reference or date), one file each. `--root` times another
checkout's command on the same folders in the same run, alternating, so a ratio holds on a loaded
machine.

Usage: python -m bench.parse_cli_bench [--pages 1000 3000 10000] [--repeat 2] [--root DIR ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.graph_bench import machine
from bench.parse_bench import corpus

HERE = Path(__file__).resolve().parent.parent


def write_pages(n: int, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    pages = corpus(n)
    for name, text in pages:
        (directory / name).write_text(text)
    return len(pages)


def timed(root: Path, directory: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(root)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "api.cli", "--quiet", "parse", str(directory), "--format", "jsonl"],
                          env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: some pages refused, as the samples' damaged ones are
        raise SystemExit(f"parse failed in {root}: {done.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 3000, 10000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--root", action="append", type=Path, default=None, help="checkouts to time (default: this one)")
    args = ap.parse_args()
    roots = args.root or [HERE]
    print(machine())
    print("| checkout | pages | wall s (best) | pages/s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.pages:
            folder = Path(tmp) / str(n)
            total = write_pages(n, folder)
            best = {root: float("inf") for root in roots}
            for _ in range(args.repeat):
                for root in roots:
                    best[root] = min(best[root], timed(root, folder))
            for root in roots:
                print(f"| {root.name} | {total:,} | {best[root]:.1f} | {total / best[root]:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
