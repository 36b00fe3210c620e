"""`iopc-kg parse --explain FILE`: which layout a page was read as and what each line became.

For a newcomer debugging a page: the page is parsed as `iopc-kg parse` would, with the parser's
decisions recorded line by line (ingest/pages.py fills `Page.roles` only when asked).
"""

from __future__ import annotations

from pathlib import Path

from ingest.extract import build_case
from ingest.layouts import LAYOUTS
from ingest.pages import parse_page
from ingest.sources import read_page
from ingest.text import normalise, repair
from ontology.exc import IopcKgError
from ontology.records import SourceRecord

WIDTH = 52


def explain(path: Path) -> str:
    """A readable account of how one page file parses (errors included, never raised)."""
    out = [f"file: {path}"]
    try:
        raw = read_page(path)
        text = repair(normalise(raw.text))
    except IopcKgError as e:
        return "\n".join(out + [f"refused: {e.message}"])
    from ontology.kinds import kinds

    verdict = kinds().classify(text, raw.url)
    out.append(f"kind: {verdict.name} ({verdict.why})")
    try:
        page = parse_page(text, str(path), explain=True, url=raw.url)
    except IopcKgError as e:
        return "\n".join(out + [f"refused: {e.message}"])
    out.append(f"layout: {page.layout} ({LAYOUTS.get(page.layout, 'unknown layout')})")
    out.append("lines (number, what the parser made of it, the line as parsed):")
    for i, line in enumerate(text.split("\n"), 1):
        if line.strip():
            role = page.roles.get(i - 1, "dropped (furniture, cut marker or outside the case)")
            out.append(f"{i:5}  {role:<{WIDTH}} | {line[:100]}{'…' if len(line) > 100 else ''}")
    case = build_case(page, SourceRecord.make(raw.url, str(path), page.layout), str(path))
    out.append(f"case: {case.id}  title: {case.title!r}  force: {case.force.id if case.force else None}  "
               f"reference: {case.reference}  incomplete: {case.incomplete}")
    for rec in case.recommendations:
        to = ", ".join(r.id for r in rec.addressed_to) or "-"
        out.append(f"  recommendation {rec.numbers or '#' + str(rec.position)}: status {rec.status} "
                   f"(label {rec.status_label!r}), addressed to {to}, response {'yes' if rec.response else 'none'}")
    out += [f"  warning: {w}" for w in case.warnings]
    return "\n".join(out)
