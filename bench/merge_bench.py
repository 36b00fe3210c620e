"""Parse and merge benchmark: what `iopc-kg parse DIR` does (parse every page, then merge renderings), in
CPU seconds of this process, over the samples and N generated pages (bench/parse_bench.py renders them
in the AI-A, PC-B and PC-C layouts: two in three have no reference and no date). Also counts false
merges: merged cases holding more than one generated case's page (each generated case is distinct).

Usage: python -m bench.merge_bench [--pages 1000 3000] [--root DIR]   (--root: another checkout, timed alike)
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
from bench.parse_bench import corpus
from ingest.merge import merge_cases
from ingest.pipeline import parse_text
from ontology.exc import IopcKgError
pages = corpus(int(sys.argv[2]))
t0 = time.process_time()
cases = []
for name, text in pages:
    try:
        cases.append(parse_text(text, name))
    except IopcKgError:
        pass
t1 = time.process_time()
merged = merge_cases(cases)
t2 = time.process_time()
false = sum(1 for c in merged if sum(1 for s in c.sources if (s.path or "").startswith("generated-")) > 1)
print(f"| {sys.argv[1]} | {len(pages):,} | {t1 - t0:.1f} | {t2 - t1:.1f} | {len(pages) / (t2 - t0):,.0f} | {false} |")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, nargs="+", default=[1000, 3000])
    ap.add_argument("--root", action="append", default=None, help="checkouts to time (default: this one)")
    args = ap.parse_args()
    import os

    roots = args.root or [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    print("| checkout | pages | parse CPU s | merge CPU s | pages/s | false merges |\n|---|---|---|---|---|---|")
    for n in args.pages:
        for root in roots:
            out = subprocess.run([sys.executable, "-c", _RUN, root, str(n)], capture_output=True, text=True, cwd=root)
            print(out.stdout.strip() or out.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
