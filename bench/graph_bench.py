"""Graph benchmark: load time and each query's median and p95 at generated corpus sizes, on each store.

Usage: python -m bench.graph_bench [--sizes 1000 10000] [--repeat 20] [--stores embedded neo4j]
Prints a Markdown table for docs/BENCHMARKS.md, the stores side by side on the same corpora in the same
run (compare ratios within one run: machines are shared). Neo4j is the server at NEO4J_URI (its
database is cleared) or, without it, the test server of tests/neo4j_server.py started for the run.
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ontology.settings import Settings
from graph.open import open_store
from ingest.generator import generate

QUERIES = {
    "force_profile": lambda s: s.force_profile("essex", on=date(2026, 11, 26)),
    "programme_profile": lambda s: s.programme_profile("athena"),
    "theme_profile": lambda s: s.theme_profile("custody"),
    "body_profile": lambda s: s.body_profile("college-of-policing"),
    "spread(programme)": lambda s: s.spread("programme", 2),
    "spread(theme)": lambda s: s.spread("theme", 2),
    "similar_forces": lambda s: s.similar_forces("essex"),
    "cooccurrence": lambda s: s.cooccurrence(),
    "neighbourhood(d2)": lambda s: s.neighbourhood("Force", "essex", 2, 200),
    "paths(essex,kent)": lambda s: s.paths(("Force", "essex"), ("Force", "kent")),
    "deadlines(first 100)": lambda s: s.deadlines(on=date(2026, 11, 26), limit=100),  # what /patterns/deadlines asks
    "deadlines(all rows)": lambda s: s.deadlines(on=date(2026, 11, 26)),  # every overdue one (CSV, JSON lines)
    "acceptance(year)": lambda s: s.acceptance("year"),
    "acceptance(force)": lambda s: s.acceptance("force"),
    "shared_dependencies": lambda s: s.shared_dependencies(),
    "overview": lambda s: s.overview(),  # the explorer's whole-graph picture: forces and what they reach
}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _settings(kind: str, data_dir: Path) -> Settings:
    if kind == "neo4j":
        return Settings(data_dir=data_dir, _env_file=None, store="neo4j", NEO4J_URI=_neo4j_uri(),
                        NEO4J_USER=os.environ.get("NEO4J_USER", "neo4j"), NEO4J_PASSWORD=os.environ.get("NEO4J_PASSWORD", ""))
    return Settings(data_dir=data_dir, _env_file=None)


_server = []


def _neo4j_uri() -> str:
    if os.environ.get("NEO4J_URI"):
        return os.environ["NEO4J_URI"]
    if not _server:
        from tests import neo4j_server

        _server.append(neo4j_server.start())
        atexit.register(_server[0].stop)
    return _server[0].uri


def measure(kind: str, cases, repeat: int) -> dict[str, tuple[float, float]]:
    """{"load": (seconds, 0)} and {question: (median ms, p95 ms)} for one store loaded with `cases`."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(_settings(kind, Path(tmp)))
        if kind == "neo4j":
            store.clear()
        store.memoise = False  # time the queries, not the memo of their answers
        t0 = time.perf_counter()
        store.ensure_schema()
        store.write_cases(cases, batch_size=500)
        out = {"load": (time.perf_counter() - t0, 0.0)}
        print(f"  {kind} {len(cases):,}: load {out['load'][0]:.1f} s", file=sys.stderr, flush=True)
        for name, fn in QUERIES.items():
            # Warm: twice, because on Neo4j the second asking plans the query's collected form
            # (Neo4jStore._read): a server answers it that way from then on.
            fn(store)
            fn(store)
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                fn(store)
                times.append((time.perf_counter() - t) * 1000)
            out[name] = (statistics.median(times), pct(times, 0.95))
            print(f"  {kind} {len(cases):,}: {name} median {out[name][0]:.1f} ms, p95 {out[name][1]:.1f} ms", file=sys.stderr, flush=True)
        if kind == "neo4j":
            store.clear()
        store.close()
    return out


STORES = ["embedded"]


def run(size: int, repeat: int) -> list[str]:
    cases = generate(size, seed=7)
    recs = sum(len(c.recommendations) for c in cases)
    results = {kind: measure(kind, cases, repeat) for kind in STORES}
    cells = " | ".join(f"{results[k]['load'][0]:.1f} s | " for k in STORES)
    lines = [f"| {size:,} cases ({recs:,} recs) | load | {cells}|"]
    for name in QUERIES:
        cells = " | ".join(f"{results[k][name][0]:.1f} ms | {results[k][name][1]:.1f} ms" for k in STORES)
        lines.append(f"| {size:,} | {name} | {cells} |")
    return lines


def machine() -> str:
    """The machine line every bench prints above its table."""
    return f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(run, header, repeat: int, machine_extra: str = "", parser: argparse.ArgumentParser | None = None) -> None:
    """The command line every bench shares: --sizes and --repeat, a machine line, a Markdown table.

    `header` is the table's header, or a function of the parsed arguments that returns it."""
    ap = parser or argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=repeat)
    args = ap.parse_args()
    print(f"{machine()}{machine_extra}")
    print(header(args) if callable(header) else header)
    for size in args.sizes:
        for line in run(size, args.repeat):
            print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", nargs="+", choices=["embedded", "neo4j"], default=["embedded", "neo4j"])

    def header(args) -> str:
        STORES[:] = args.stores
        return ("| corpus | measure | " + " | ".join(f"{k} median | {k} p95" for k in STORES) + " |\n|---|---|"
                + "---|---|" * len(STORES))

    report(run, header, repeat=20, parser=ap)


if __name__ == "__main__":
    main()
