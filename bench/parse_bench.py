"""Parse benchmark: pages per second on one core, over the samples and generated pages.

Generated cases (ingest/generator.py) are rendered as page text in the mirror (AI-A), PC-B and PC-C
layouts, so the parser sees the label and status lines it meets in real pages.

Usage: python -m bench.parse_bench [--pages 3000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=3000, help="generated pages added to the samples")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print the 25 costliest functions of one run")
    args = ap.parse_args()
    pages = corpus(args.pages)
    gazetteer().find_programmes("warm up")  # build the matchers once, as a long ingest does
    parse_text(pages[0][1], pages[0][0])
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run, pages)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    best, failed = min(run(pages) for _ in range(args.repeat))
    chars = sum(len(t) for _, t in pages)
    print(machine())
    print("| pages | mean chars | failed (expected: the damaged samples) | best of | seconds | pages/s |\n|---|---|---|---|---|---|")
    print(f"| {len(pages):,} | {chars // len(pages):,} | {failed} | {args.repeat} | {best:.2f} | {len(pages) / best:,.0f} |")


if __name__ == "__main__":
    main()
