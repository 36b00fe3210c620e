"""What a parse holds in memory before an ingest writes: the first N files of a JSONL corpus
(`bench/scale_bench.py --keep DIR` writes one) parsed and merged as `ingest.load.ingest_paths` does
(held in a spool on disk, ingest/spool.py) or as `parse_paths` does (every case in memory), with
tracemalloc and the resident-set growth. Each way runs in a process of its own, so neither inherits
the other's heap.

Usage: python -m bench.memory_profile N [CORPUS_DIR] [--way spool|memory]   (default /tmp/scale/30000/corpus; both ways)
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path


def rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def measure(files: list[Path], way: str) -> None:
    from ingest.merge import merge_held
    from ingest.pipeline import ParseResult, parse_each, parse_paths
    from ingest.spool import Spool

    tracemalloc.start(1)
    base, started = rss_mib(), time.perf_counter()
    if way == "memory":
        held, spool = parse_paths(files).cases, None
    else:
        spool = Spool()
        held = merge_held(parse_each(files, ParseResult([], [], 0)), spool)
    gc.collect()
    traced, peak = tracemalloc.get_traced_memory()
    disk = f", {spool.bytes_on_disk / 2**20:.0f} MiB on disk" if spool else ""
    print(f"{way}: {len(files)} files, {len(held):,} cases: {traced / 2**20:.0f} MiB traced held after the parse "
          f"(peak {peak / 2**20:.0f}), resident +{rss_mib() - base} MiB{disk}, {time.perf_counter() - started:.0f} s")
    for stat in tracemalloc.take_snapshot().statistics("lineno")[:4]:
        print("  ", stat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("corpus", nargs="?", default="/tmp/scale/30000/corpus")
    parser.add_argument("--way", choices=("spool", "memory"))
    args = parser.parse_args()
    files = sorted(Path(args.corpus).glob("*.jsonl"))[:args.n]
    if args.way:
        measure(files, args.way)
        return
    for way in ("spool", "memory"):
        subprocess.run([sys.executable, "-m", "bench.memory_profile", str(args.n), args.corpus, "--way", way], check=True)


if __name__ == "__main__":
    main()
