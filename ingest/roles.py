"""What each line of a page did, recorded while it is parsed for `iopc-kg parse --explain`
(ingest/pages.py fills `Page.roles` only when asked; ingest/explain.py prints them)."""

from __future__ import annotations

from ingest.layouts import AI_HEADER


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
