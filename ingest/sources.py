"""Reading source files: page text (.txt), HTML pages (.html), our own JSON/JSONL records, and web
archives (.warc, .warc.gz: ingest/archive.py reads them, ingest/history.py turns them into cases)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser, LexborNode as Node

from ingest.archive import is_warc
from ingest.text import MAX_RECORDS_BYTES, decode
from ontology.exc import InvalidData, InvalidSource

PAGE_SUFFIXES = {".txt", ".html", ".htm"}
RECORD_SUFFIXES = {".json", ".jsonl"}
SUFFIXES = PAGE_SUFFIXES | RECORD_SUFFIXES

_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "table", "tr", "dl", "dt", "dd", "blockquote", "header", "br", "hr", "details", "summary",
}
_DROP = "script, style, noscript, nav, footer, form, iframe, svg, aside, [role=navigation], .visually-hidden, .skip-link"
_CONTENT = ("main", "article", "[role=main]", "#main-content", "#content", ".region-content")
_FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.S)


@dataclass
class PageText:
    """A page's text and what the file says about where it came from."""

    text: str
    url: str | None
    name: str
    meta: dict


def walk(paths: list[str | Path]) -> list[Path]:
    """Expand directories (recursively, sorted) into the source files under them."""
    return [path for path, _ in walk_named(paths)]


def walk_named(paths: list[str | Path]) -> list[tuple[Path, str]]:
    """Each source file under `paths` with the name it is reported and stored under: its path inside
    the directory given, after that directory's own name (`pages/kent.txt` for `/srv/pages`), or the
    file's name. No more of the machine's layout than that reaches the graph or an answer."""
    out: list[tuple[Path, str]] = []
    for p in map(Path, paths):
        if p.is_dir():
            top = p.resolve().name
            for f in sorted(f for f in p.rglob("*") if f.is_file() and (f.suffix.lower() in SUFFIXES or is_warc(f))
                            and not f.name.endswith(".expected.json")):
                out.append((f, "/".join(filter(None, (top, *f.relative_to(p).parts)))))
        else:
            out.append((p, p.name))
    return out


# The largest page read. Real recommendation pages are 5-60 KB (the biggest sample is 14 KB); a page
# of megabytes is damage or a wrong file, and the parser takes about a second per megabyte.
MAX_PAGE_BYTES = 1_000_000


def read_page(path: Path, name: str | None = None) -> PageText:
    """Read a .txt or .html page into normalised-later text; raises InvalidSource naming the file."""
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise InvalidSource(f"{name}: the page is {size / 1e6:.1f} MB, more than the {MAX_PAGE_BYTES / 1e6:.0f} MB a page may be")
        data = path.read_bytes()
    except OSError as e:
        raise InvalidSource(f"{name}: cannot read file: {e.strerror or 'error'}") from None
    text = decode(data, name)
    if path.suffix.lower() in (".html", ".htm") or re.match(r"\s*<(!doctype|html)", text[:200], re.I):
        return html_to_text(text, name)
    meta = {}
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group("body").split("\n"):
            key, _, value = line.partition(":")
            if key.strip():
                meta[key.strip().lower()] = value.strip()
        text = text[m.end():]
    return PageText(text, meta.get("source_url") or None, name, meta)


def html_to_text(html: str, name: str) -> PageText:
    """Keep only the page's content, with a blank line between blocks."""
    tree = HTMLParser(html)
    url = None
    for selector, attr in (('link[rel="canonical"]', "href"), ('meta[property="og:url"]', "content")):
        node = tree.css_first(selector)
        if node is not None and node.attributes.get(attr):
            url = node.attributes[attr]
            break
    for node in tree.css(_DROP):
        node.decompose()
    root = next((tree.css_first(s) for s in _CONTENT if tree.css_first(s) is not None), None) or tree.body
    if root is None:
        raise InvalidSource(f"{name}: HTML page has no body")
    parts: list[str] = []
    _text(root, parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(parts))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return PageText(text, url, name, {})


def _text(node: Node, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            out.append(re.sub(r"\s+", " ", child.text_content or ""))
        elif child.tag in ("-comment",):
            continue
        else:
            block = child.tag in _BLOCK_TAGS
            if block:
                out.append("\n\n" if child.tag not in ("li", "br", "dt", "dd", "tr") else "\n")
            _text(child, out)
            if block:
                out.append("\n\n" if child.tag not in ("li", "br", "dt", "dd", "tr") else "\n")


def read_records(path: Path, name: str | None = None) -> list[tuple[str, dict | InvalidData]]:
    """Read our JSON (one object or a list) or JSONL; (where, object) for each record. A JSONL line
    that is not JSON comes back as the InvalidData naming it, so the other lines are still read."""
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECORDS_BYTES:  # before reading it whole
            raise InvalidSource(f"{name}: the file is {size / 1e6:.0f} MB, more than the {MAX_RECORDS_BYTES / 1e6:.0f} MB "
                                f"a records file may be; split it (JSON lines split on any line)")
        text = decode(path.read_bytes(), name, MAX_RECORDS_BYTES, "records file")
    except OSError as e:
        raise InvalidSource(f"{name}: cannot read file: {e.strerror or 'error'}") from None
    out: list[tuple[str, dict | InvalidData]] = []
    if path.suffix.lower() == ".jsonl":
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append((f"{name}:{i}", json.loads(line)))
                except json.JSONDecodeError as e:
                    out.append((f"{name}:{i}", InvalidData(f"{name}: line {i} is not JSON: {e.msg}", errors={f"line {i}": e.msg})))
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidData(f"{name}: not JSON: {e.msg} at line {e.lineno}", errors={"$": e.msg}) from None
    items = data if isinstance(data, list) else [data]
    return [(f"{name}[{i}]" if isinstance(data, list) else name, item) for i, item in enumerate(items)]
