"""A stored recommendation as a search hit (with snippets: matched terms in `<mark>`) and as an export
row (whole texts, no HTML), and the terms a query highlights."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from whoosh import query as wq

from search.limits import check
from search.snippets import snippet as make_snippet

SNIPPET_CHARS = 240
_SPACE = re.compile(r"\s+")


def hit(f: dict, score: float | None, terms: dict[str, frozenset], with_snippets: bool) -> dict:
    """A search hit: the stored fields a results page shows, and snippets when asked."""
    snippets = {}
    if with_snippets:
        for name in ("text", "response"):
            if f.get(name) and terms.get(name):
                marked = snippet(f["id"], name, f[name], terms[name])
                if marked:
                    snippets[name] = marked
        if not snippets and f.get("text"):
            snippets["text"] = html.escape(" ".join(lead(f["text"]).split()), quote=False)
    number = f["id"][len(f["case_id"]) + 1:] if f["id"].startswith(f"{f['case_id']}-") else None
    return {
        "id": f["id"],
        "case_id": f["case_id"],
        "reference": f.get("reference"),
        "number": int(number) if number and number.isdigit() else number,
        "title": f.get("title"),
        "force": {"id": f["force"], "name": f.get("force_name")} if f.get("force") else None,
        "status": f.get("status"),
        "date_recommended": f.get("date_recommended"),
        "response_due": f.get("response_due"),
        "year": int(f["year"]) if f.get("year") else None,
        "programmes": [{"id": k, "name": v} for k, v in (f.get("programme_names") or {}).items()],
        "themes": [{"id": k, "name": v} for k, v in (f.get("theme_names") or {}).items()],
        "bodies": [{"id": k, "name": v} for k, v in (f.get("body_names") or {}).items()],
        "source_url": f.get("source_url"),
        "score": round(float(score), 4) if score is not None else None,
        "snippets": snippets,
    }


def record(f: dict, score: float | None, terms: dict[str, frozenset], with_snippets: bool) -> dict:
    """A hit as an export row: the whole texts (plain, no HTML), the source, a snippet only when asked."""
    shown = hit(f, score, terms, with_snippets)
    row = {
        "id": f["id"], "case_id": f["case_id"], "reference": f.get("reference"), "number": shown["number"], "title": f.get("title"),
        "force": shown["force"], "status": shown["status"], "date_recommended": shown["date_recommended"],
        "response_due": shown["response_due"], "year": shown["year"],
        "programmes": shown["programmes"], "themes": shown["themes"], "bodies": shown["bodies"],
        "text": f.get("text"), "response": f.get("response"), "source_url": f.get("source_url"),
        "score": shown["score"],
    }
    if with_snippets:
        row["snippets"] = shown["snippets"]
    return row

# -- did you mean ----------------------------------------------------------------------------


@lru_cache(maxsize=50_000)
def snippet(doc_id: str, field: str, text: str, terms: frozenset) -> str:
    # One line (`make_snippet` makes every run of white space one space): a page's line breaks
    # inside a snippet showed as raw newlines in the explorer and CSV.
    return make_snippet(text, terms, SNIPPET_CHARS).strip()


def one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def terms_by_field(q: wq.Query, reader) -> dict[str, frozenset]:
    """The terms to highlight, per field: prefixes and fuzzy terms expanded to the words they
    matched, and nothing from under a NOT."""
    out: dict[str, set] = {}

    def walk(node):
        if isinstance(node, wq.Not):
            return
        check()
        if node.is_leaf():
            for field, text in node.expanded_terms(reader):
                out.setdefault(field, set()).add(text.decode() if isinstance(text, bytes) else text)
        for child in node.children():
            walk(child)

    if not isinstance(q, wq.Every) and q is not wq.NullQuery:
        walk(q)
    return {f: frozenset(t) for f, t in out.items()}


def lead(text: str) -> str:
    text = one_line(text)
    if len(text) <= SNIPPET_CHARS:
        return text
    cut = text[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + " …"
