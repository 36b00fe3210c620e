"""Parse benchmark: pages per second on one core, over the samples and generated pages.

Generated cases (ingest/generator.py) are rendered as page text in the mirror (AI-A), PC-B and PC-C
layouts, so the parser sees the label and status lines it meets in real pages.

The figure is CPU time of this one process (time.process_time), so other work on a shared machine
counts less than in wall-clock time; it still slows it, so the load average is printed too, and
`--against DIR` times another checkout's parser (an older release, unpacked with `git archive`) on
the same pages in the same run, alternating, for a ratio that does not depend on the load.

Usage: python -m bench.parse_bench [--pages 3000] [--repeat 3] [--profile] [--against DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time

from bench.graph_bench import machine
from ingest.generator import generate
from ingest.pipeline import parse_text
from ingest.sources import read_page
from ontology.exc import IopcKgError
from ontology.gazetteer import gazetteer
from ontology.records import CaseRecord
from tests.goldens import sample_files

LABELS = {"accepted": "Accepted", "partially_accepted": "Partially accepted", "not_accepted": "Not accepted",
          "awaiting_response": "Awaiting response", "unknown": ""}


def render(case: CaseRecord, style: int) -> str:
    """One generated case as page text in one of three layouts (AI-A, PC-B, PC-C)."""
    recs = case.recommendations
    if style == 0:
        made = case.date_recommended
        out = ["Source · IOPC Learning Case", "", case.title, "",
               f"{case.force.name} Ref: {case.reference} Recommended {made} Response due {case.response_due}", "",
               "A summary of the case, generated for the benchmark …", "", "Recommendations", "", f"{len(recs)} total"]
        for r in recs:
            out += [f"Recommendation {r.numbers[0]}", "", r.text, "", f"Addressed to: {r.addressed_to[0].name}",
                    f"Linked bodies: {case.force.name}", LABELS[r.status] or "Awaiting response"]
            if r.response:
                out += ["Force response", "", r.response]
            out.append("")
        return "\n".join(out)
    out = [case.title, "", "An introduction generated for the benchmark.", "", "IOPC reference", "", "Recommendations", ""]
    for r in recs:
        out += [r.text, ""]
        if style == 1:
            answer = {"accepted": "Yes", "not_accepted": "No"}.get(r.status, "")
            out += ["Do you accept the recommendation?", answer, "", f"Accepted action: {r.response or ''}", ""]
        else:
            out += [LABELS[r.status] or "Accepted", "", r.response or "", ""]
    return "\n".join(out)


def corpus(n: int) -> list[tuple[str, str]]:
    pages = []
    for path in sample_files():
        if path.suffix in (".txt", ".html"):
            pages.append((path.name, read_page(path).text))
    for i, case in enumerate(generate(n)):
        pages.append((f"generated-{i}.txt", render(case, i % 3)))
    return pages


def run(pages: list[tuple[str, str]]) -> tuple[float, int]:
    failed = 0
    t0 = time.process_time()
    for name, text in pages:
        try:
            parse_text(text, name)
        except IopcKgError:
            failed += 1
    return time.process_time() - t0, failed


# Run in a fresh interpreter whose import path starts with another checkout.
_OTHER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ingest.pipeline import parse_text
from ontology.exc import IopcKgError
pages = json.load(open(sys.argv[2]))
def run():
    t0 = time.process_time()
    for name, text in pages:
        try:
            parse_text(text, name)
        except IopcKgError:
            pass
    return time.process_time() - t0
run()
print(min(run() for _ in range(int(sys.argv[3]))))
"""


def time_in(root: str, pages: list[tuple[str, str]], repeat: int) -> float:
    """Best CPU seconds of `repeat` runs of the parser of the checkout at `root` over `pages`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(pages, f)
    try:
        out = subprocess.run([sys.executable, "-c", _OTHER, root, f.name, str(repeat)], capture_output=True,
                             text=True, cwd=root, check=True)
        return float(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(f.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=3000, help="generated pages added to the samples")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print the 25 costliest functions of one run")
    ap.add_argument("--against", help="another checkout (a directory) whose parser is timed on the same pages")
    args = ap.parse_args()
    pages = corpus(args.pages)
    gazetteer().find_programmes("warm up")  # build the matchers once, as a long ingest does
    parse_text(pages[0][1], pages[0][0])
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run, pages)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    for _ in range(2 if args.against else 1):  # alternate, so both see the same load
        rows.append(("this checkout", time_in(here, pages, args.repeat)))
        if args.against:
            rows.append((args.against, time_in(args.against, pages, args.repeat)))
    best: dict[str, float] = {}
    for label, seconds in rows:
        best[label] = min(seconds, best.get(label, seconds))
    failed = sum(1 for name, text in pages if _fails(name, text))
    chars = sum(len(t) for _, t in pages)
    print(f"{machine()}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| parser | pages | mean chars | refused or empty (the damaged samples) | CPU s (best of"
          f" {args.repeat}) | pages/s |\n|---|---|---|---|---|---|")
    for label, seconds in best.items():
        print(f"| {label} | {len(pages):,} | {chars // len(pages):,} | {failed} | {seconds:.2f} | {len(pages) / seconds:,.0f} |")


def _fails(name: str, text: str) -> bool:
    try:
        parse_text(text, name)
    except IopcKgError:
        return True
    return False

if __name__ == "__main__":
    main()
