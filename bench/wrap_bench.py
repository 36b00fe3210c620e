"""Hard-wrapped pages: how many fields a page keeps when its text is wrapped at 72 columns.

Each page is parsed as it is and again with every line longer than the width wrapped (Python's
textwrap, as a mail client or a text export wraps); the fields of the two parses are compared one by
one (title, force, reference, date, number of recommendations, incomplete, and each recommendation's
text, status, response and addressees, whitespace folded). Pages the parser refuses are left out.
`--root DIR` measures another checkout's parser on the same pages (an older release unpacked with
`git archive`), in a child process so that its modules do not mix with these.

Usage: python -m bench.wrap_bench [--width 72] [--root DIR] [-v] [DIR ...]   (default: samples/ and tests/pages/)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fields(case) -> dict:
    out = {"title": case.title, "force": case.force.id if case.force else None, "reference": case.reference,
           "date": case.date_recommended, "recommendations": len(case.recommendations), "incomplete": case.incomplete}
    for i, rec in enumerate(case.recommendations):
        out[f"{i}.text"] = " ".join(rec.text.split())
        out[f"{i}.status"] = rec.status
        out[f"{i}.response"] = " ".join((rec.response or "").split())
        out[f"{i}.addressed_to"] = [r.id for r in rec.addressed_to]
    return out


def wrap(text: str, width: int) -> str:
    return "\n".join("\n".join(textwrap.wrap(ln, width)) if len(ln) > width else ln for ln in text.split("\n"))


def measure(dirs: list[str], width: int, verbose: bool) -> dict:
    """Fields that agree and fields compared, over the .txt pages of `dirs` (this checkout's parser)."""
    from ingest.pipeline import parse_text
    from ingest.sources import read_page
    from ontology.exc import IopcKgError

    agree = total = pages = 0
    for path in sorted(p for d in dirs for p in Path(d).glob("*.txt")):
        page = read_page(path)
        try:
            want = fields(parse_text(page.text, path.name, page.url))
        except IopcKgError:
            continue
        pages += 1
        try:
            got = fields(parse_text(wrap(page.text, width), path.name, page.url))
        except IopcKgError:
            got = {}
        for key, value in want.items():
            total += 1
            agree += got.get(key) == value
            if verbose and got.get(key) != value:
                print(f"{path.name} {key}: {str(value)[:70]!r} became {str(got.get(key))[:70]!r}", file=sys.stderr)
    return {"pages": pages, "agree": agree, "fields": total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", default=[str(ROOT / "samples"), str(ROOT / "tests" / "pages")])
    ap.add_argument("--width", type=int, default=72)
    ap.add_argument("--root", help="another checkout whose parser to measure on the same pages")
    ap.add_argument("-v", action="store_true", help="name each field that changed")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the child's answer
    args = ap.parse_args(argv)
    dirs = [str(Path(d).resolve()) for d in args.dirs]
    if args.json:
        print(json.dumps(measure(dirs, args.width, args.v)))
        return 0
    rows = [("this checkout", measure(dirs, args.width, args.v))]
    if args.root:
        child = subprocess.run([sys.executable, __file__, "--json", "--width", str(args.width), *dirs],
                               env={**os.environ, "PYTHONPATH": str(Path(args.root).resolve())},
                               capture_output=True, text=True, check=True)
        rows.append((args.root, json.loads(child.stdout.strip().splitlines()[-1])))
    print(f"| parser | pages | fields kept when wrapped at {args.width} |")
    print("|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['pages']} | {r['agree']}/{r['fields']} ({100 * r['agree'] / max(r['fields'], 1):.1f}%) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
