"""`iopc-kg parse --explain FILE`: which layout a page was read as and what each line became.

For a newcomer debugging a page: the page is parsed as `iopc-kg parse` would, with the parser's
decisions recorded line by line (ingest/pages.py fills `Page.roles` only when asked).
"""

from __future__ import annotations

from pathlib import Path

from ingest.extract import build_case
from ingest.layouts import AI_HEADER, LAYOUTS
from ingest.pages import parse_page
from ingest.sources import read_page
from ingest.text import normalise, repair
from ontology.exc import IopcKgError
from ontology.records import SourceRecord

WIDTH = 52


def header_roles(page, lines: list[str], start: int) -> None:
    """Which header line gave which field (for --explain): matched by value, the rest are labels."""
    values = [("title", page.title), ("reference", page.reference), ("published", page.published),
              ("date recommended", page.date_made), ("response due", page.date_due)]
    for i, ln in enumerate(lines[:start]):
        if not ln.strip():
            continue
        found = "header line: force, reference, recommended, due" if AI_HEADER.match(ln) else None
        found = found or next((f"{name}" for name, v in values if v and v in ln), None)
        if found is None and page.title and len(ln.strip()) > 3 and ln.strip() in page.title:
            found = "title"  # a title made of two lines ("National recommendation" over its body's name)
        if found is None and page.tags and any(t in ln for t in page.tags):
            found = "tags"
        if found is None and page.summary and ln in page.summary:
            found = "summary"
        if found is None and page.aliases and any(a in ln for a in page.aliases):
            found = "other reference (alias)"
        page.roles[i] = found or "header label or furniture (no value)"


def describe(page, before: tuple, after: tuple) -> str:
    """What one line did, from the parser state before and after it (for --explain)."""
    n = f"recommendation {len(page.blocks)}"
    if after[0] > before[0]:
        block = page.blocks[-1]
        return f"{n}: starts" + (f" (heading, numbers {block.numbers})" if block.numbers else " (text)")
    names = ["count (N total)", "tags", "summary (intro)", "status label", "addressed to", "linked bodies",
             "'Do you accept…' question", "response prefix", "text", "response"]
    changed = [name for name, a, b in zip(names, before[1:], after[1:]) if a != b]
    if not changed:
        return "label or sub-head (no value)"
    page_level = [c for c in changed if c in names[:3]]
    block_level = [c for c in changed if c not in names[:3]]
    return ", ".join(page_level + ([f"{n}: " + ", ".join(block_level)] if block_level else []))


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
