"""What a parse holds in memory: tracemalloc over `ingest.load.parse_paths` on the first N files of a
JSONL corpus (`bench/scale_bench.py --keep DIR` writes one), with the resident-set growth beside it.

Usage: python -m bench.memory_profile N [CORPUS_DIR]   (default /tmp/scale/30000/corpus)
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

from ingest.load import parse_paths


def rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    n = int(sys.argv[1])
    corpus = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/scale/30000/corpus")
    files = sorted(corpus.glob("*.jsonl"))[:n]
    tracemalloc.start(1)
    base, started = rss_mib(), time.perf_counter()
    result = parse_paths(files)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    print(f"{len(files)} files, {len(result.cases):,} cases: {held / 2**20:.0f} MiB traced held after the parse "
          f"(peak {peak / 2**20:.0f}), resident +{rss_mib() - base} MiB, {time.perf_counter() - started:.0f} s")
    for stat in tracemalloc.take_snapshot().statistics("lineno")[:6]:
        print("  ", stat)


if __name__ == "__main__":
    main()
