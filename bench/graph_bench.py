"""Graph benchmark: load time and each query's median and p95 at generated corpus sizes.

Usage: python -m bench.graph_bench [--sizes 1000 10000] [--repeat 20] [--stores embedded neo4j]
Prints a Markdown table for docs/BENCHMARKS.md. Compare ratios within one run: machines are shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from api.settings import Settings
from graph.open import open_store
from ingest.generator import generate

QUERIES = {
    "force_profile": lambda s: s.force_profile("essex", on=date(2026, 11, 26)),
    "programme_profile": lambda s: s.programme_profile("athena"),
    "body_profile": lambda s: s.body_profile("college-of-policing"),
    "spread(programme)": lambda s: s.spread("programme", 2),
    "spread(theme)": lambda s: s.spread("theme", 2),
    "similar_forces": lambda s: s.similar_forces("essex"),
    "cooccurrence": lambda s: s.cooccurrence(),
    "neighbourhood(d2)": lambda s: s.neighbourhood("Force", "essex", 2, 200),
    "paths(essex,kent)": lambda s: s.paths(("Force", "essex"), ("Force", "kent")),
    "deadlines": lambda s: s.deadlines(on=date(2026, 11, 26)),
    "acceptance": lambda s: s.acceptance("force"),
    "shared_dependencies": lambda s: s.shared_dependencies(),
}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(size: int, repeat: int, store: str = "embedded") -> list[str]:
    """One store's rows: `store` is a name of `graph.open.STORES` (a Neo4j store reads NEO4J_URI
    and friends from the environment; point it at an empty database)."""
    cases = generate(size, seed=7)
    recs = sum(len(c.recommendations) for c in cases)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Settings(data_dir=Path(tmp), store=store, _env_file=None))
        store.memoise = False  # time the queries, not the memo of their answers
        t0 = time.perf_counter()
        store.ensure_schema()
        store.write_cases(cases, batch_size=500)
        load = time.perf_counter() - t0
        name = type(store).__name__
        lines = [f"| {name} | {size:,} cases ({recs:,} recs) | load | {load:.1f} s | |"]
        for query, fn in QUERIES.items():
            fn(store)  # warm
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                fn(store)
                times.append((time.perf_counter() - t) * 1000)
            lines.append(f"| {type(store).__name__} | {size:,} | {query} | {statistics.median(times):.1f} ms | {pct(times, 0.95):.1f} ms |")
        store.close()
    return lines


def machine() -> str:
    """The machine line every bench prints above its table."""
    return f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(run, header: str, repeat: int, machine_extra: str = "", stores: bool = False) -> None:
    """The command line every bench shares: --sizes and --repeat (and --stores, for a bench whose
    `run` takes a store name), a machine line, a Markdown table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=repeat)
    if stores:
        ap.add_argument("--stores", nargs="+", default=["embedded"], help="graph.open.STORES names, each in the same run")
    args = ap.parse_args()
    print(f"{machine()}{machine_extra}")
    print(header)
    for size in args.sizes:
        for store in args.stores if stores else [None]:
            for line in run(size, args.repeat, store) if store else run(size, args.repeat):
                print(line, flush=True)


def main() -> None:
    report(run, "| store | corpus | measure | median | p95 |\n|---|---|---|---|---|", repeat=20, stores=True)


if __name__ == "__main__":
    main()
