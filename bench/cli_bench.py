"""The command line beside the server: how long commands take in their own process and through a
running `iopc-kg serve`, and how fast a whole search exports.

    python -m bench.cli_bench --cases 2000

Generates the corpus with `iopc-kg generate`, ingests it, times each command as a process (what a
person waits for, start-up included) without a server and then with one serving the same data
directory, and times an ingest of more cases through the server. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import served

COMMANDS = [
    ["forces", "--format", "csv"],
    ["patterns", "force", "Essex Police", "--format", "json"],
    ["search", "custody", "--format", "table"],
    ["search", "", "--format", "csv"],
    ["cypher", "MATCH (f:Force) RETURN f.id AS id", "--format", "csv"],
]


def run(data: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "api.cli", *args, "--data-dir", str(data), "--quiet"], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"iopc-kg {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - t0, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, corpus = Path(tmp) / "data", Path(tmp) / "corpus.jsonl"
        made, _ = run(data, "generate", str(args.cases), "-o", str(corpus))
        ingested, _ = run(data, "ingest", str(corpus))
        print(f"generate {args.cases} cases: {made:.1f} s; ingest them (no server): {ingested:.1f} s\n")
        print("| command | own process, s | through the server, s | rows |\n|---|---|---|---|")
        alone = {tuple(c): run(data, *c) for c in COMMANDS}
        with served(data):
            for command in COMMANDS:
                took, done = run(data, *command)
                rows = len(list(csv.DictReader(io.StringIO(done.stdout)))) if "csv" in command else ""
                print(f"| `iopc-kg {' '.join(repr(a) if ' ' in a or not a else a for a in command)}` | "
                      f"{alone[tuple(command)][0]:.2f} | {took:.2f} | {rows} |")
            more = Path(tmp) / "more.jsonl"
            run(data, "generate", "200", "--seed", "99", "-o", str(more))
            through, _ = run(data, "ingest", str(more))
            print(f"\ningest 200 more cases through the server: {through:.1f} s")


if __name__ == "__main__":
    main()
