"""Where an ingest's memory goes, phase by phase: `iopc-kg ingest` of a corpus, sampled every
`--every` seconds.

Usage: python -m bench.ingest_phases CORPUS [--data-dir DIR] [--every 0.5]

Each sample is the proportional set size of the ingest's process tree (Whoosh's forked index
workers included, their pages shared with the parent counted once), and the main process's
resident set split by kind of mapping: LadybugDB's buffer pool (the one anonymous region of 512 MiB
or more: it reserves its address space at once), other anonymous memory (the C and Python heaps:
LadybugDB's working memory is here), and mapped files. A command-line ingest with two cores parses
into its spool, writes the graph (main process only), then the index (workers alive), then builds
the search tables; the phases are told apart by LadybugDB's region filling and the workers being
alive.
The data directory must be new (by default a temporary one): an ingest of what is already stored
writes nothing.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.graph_bench import machine

_MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$")


def by_kind(pid: int) -> dict[str, int]:
    """Resident MiB of a process by kind of mapping (from /proc/PID/smaps)."""
    out = {"graph buffer pool": 0, "heap": 0, "files": 0}
    kind = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                m = _MAPPING.match(line)
                if m:
                    size = int(m.group(2), 16) - int(m.group(1), 16)
                    name = m.group(3)
                    kind = "graph buffer pool" if not name and size >= 512 << 20 else "files" if name.startswith("/") else "heap"
                elif line.startswith("Rss:") and kind:
                    out[kind] += int(line.split()[1]) >> 10
    except OSError:
        pass
    return out


def sample(corpus: Path, data: Path, every: float) -> tuple[list[dict], str]:
    """Run `iopc-kg ingest --json` and sample it every `every` seconds; returns the samples (MiB;
    the last row marks the end, with the seconds taken) and what the command printed."""
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", "--json", str(corpus)]
    with tempfile.TemporaryFile("w+") as out:  # a file, not a pipe: a long summary cannot block it
        proc = subprocess.Popen(cli, stdout=out, stderr=subprocess.PIPE, text=True)
        main = psutil.Process(proc.pid)
        t0 = time.perf_counter()
        rows = []
        while proc.poll() is None:
            # The tree as proportional set sizes: Whoosh's workers are forked, and their pages
            # shared with the parent would be counted twice in a sum of resident sets.
            try:
                workers = main.children(recursive=True)
                tree = sum(p.memory_full_info().pss for p in [main, *workers]) >> 20
                rss = main.memory_info().rss >> 20
            except psutil.Error:
                continue
            rows.append({"t": time.perf_counter() - t0, "tree": tree, "main": rss, "workers": len(workers),
                         **by_kind(proc.pid)})
            time.sleep(every)
        err = proc.stderr.read()
        if proc.wait():
            raise SystemExit(f"ingest failed: {err[-2000:]}")
        # What the ingest logged as warnings (a batch retried, a checkpoint that failed) goes with
        # the figures: a run that met them is not the same run.
        warnings = [line for line in err.replace("\r", "\n").splitlines() if line.strip() and "%|" not in line]
        rows.append({"t": time.perf_counter() - t0, "end": True, "warnings": warnings})
        out.seek(0)
        return rows, out.read()


def phases(rows: list[dict]) -> dict[str, dict]:
    """The peak sample of each phase: parsing (LadybugDB's buffer pool still untouched), the graph
    (the pool in use, no workers yet), the index (workers alive), and the search tables (after)."""
    seen_workers = False
    out: dict[str, dict] = {}
    phase = "parse"
    for r in rows:
        if r.get("end"):
            break
        if r["workers"]:
            seen_workers, phase = True, "index (Whoosh workers)"
        elif seen_workers:
            phase = "search tables"
        elif phase == "parse" and r["graph buffer pool"] > 16:
            phase = "graph (LadybugDB)"
        if r["tree"] > out.get(phase, {}).get("tree", -1):
            out[phase] = r
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--data-dir", type=Path, help="a new directory (default: a temporary one)")
    ap.add_argument("--every", type=float, default=0.5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data_dir or Path(tmp) / "data"
        rows, _ = sample(args.corpus, data, args.every)
    print(f"{machine()}; psutil {psutil.__version__}; `iopc-kg ingest` of {args.corpus}, "
          f"{rows[-1]['t']:.0f} s, sampled every {args.every} s")
    for line in rows[-1]["warnings"]:
        print(f"<!-- the ingest logged: {line[:300]} -->")
    print("| phase | peak, process tree PSS MiB | at s | main: graph buffer pool MiB | main: heap MiB | main: files MiB |")
    print("|---|---|---|---|---|---|")
    for name, r in phases(rows).items():
        print(f"| {name} | {r['tree']:,} | {r['t']:.0f} | {r['graph buffer pool']:,} | {r['heap']:,} | {r['files']:,} |")


if __name__ == "__main__":
    main()
