"""The kinds of page declared in `ontology/kinds.yaml`, and the one decision of which kind a page is.

Loaded and checked once; every error names the file and the field (`kinds.yaml: news_release.urls[0]:
...`). `classify` gives a page its kind and the evidence that decided it; ingest parses only pages of a
recommendation kind (`parse: true`) and refuses every other page naming its kind, a page with no
evidence of any kind as `unknown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ontology.declared import load_mapping
from ontology.exc import InvalidSource

KINDS_FILE = Path(__file__).parent / "kinds.yaml"
UNKNOWN = "unknown"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELDS = {"label", "parse", "layout", "urls", "url_decides", "strong", "markers", "title", "need", "unless"}
# Kinds are told from a page's start (title, header labels, first recommendation) and its end (press
# notes, related links); the middle of a long narrative adds nothing and costs the most.
HEAD_CHARS, TAIL_CHARS = 8_000, 2_000


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    parse: bool = False
    layout: str | None = None
    urls: tuple[_Pattern, ...] = ()
    url_decides: bool = False
    strong: tuple[tuple[str, _Pattern], ...] = ()
    markers: tuple[tuple[str, _Pattern], ...] = ()
    title: tuple[_Pattern, ...] = ()
    need: int = 1
    unless: tuple[_Pattern, ...] = ()

    @property
    def code(self) -> str:
        """The layout code refusals name (the older codes where a kind had one)."""
        return self.layout or self.name.upper().replace("_", "-")


@dataclass
class Verdict:
    """A page's kind and the evidence for it (`why` is what a refusal or `parse --explain` prints)."""

    kind: Kind | None  # None: unknown
    evidence: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.kind.name if self.kind else UNKNOWN

    @property
    def parse(self) -> bool:
        return bool(self.kind and self.kind.parse)

    @property
    def why(self) -> str:
        return "; ".join(self.evidence) or "no evidence"

    def refusal(self, name: str) -> str:
        """The error of a page that is not parsed: the file, the kind, the evidence, what the kind is."""
        if self.kind is None:
            return f"{name}: refused: {UNKNOWN} ({self.why}): the page is of no kind iopc-kg knows, and is not guessed into a case"
        return f"{name}: refused: {self.kind.name} ({self.why}): this is {self.kind.label} (layout {self.kind.code})"


@dataclass
class Kinds:
    kinds: list[Kind]
    path: Path | None = None

    def __iter__(self):
        return iter(self.kinds)

    def __getitem__(self, name: str) -> Kind:
        for k in self.kinds:
            if k.name == name:
                return k
        raise KeyError(name)

    def classify(self, text: str, url: str | None = None) -> Verdict:
        """The page's kind: by an address that decides, else one strong marker, else enough markers."""
        head = _Text(text if len(text) <= HEAD_CHARS + TAIL_CHARS else text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:])
        where = _short(url) if url else None
        first = next((ln.strip() for ln in head.text.split("\n", 60) if ln.strip()), "")
        ruled_out = {k.name for k in self.kinds if any(p.search(head) for p in k.unless)}
        if where:
            for k in self.kinds:
                if k.url_decides and k.name not in ruled_out and any(p.search(where) for p in k.urls):
                    return self._verdict(k, [f"address {where}"], head)
        for k in self.kinds:
            if k.name in ruled_out:
                continue
            hit = next((name for name, p in k.strong if p.search(head)), None)
            if hit:
                return self._verdict(k, _with_url(k, where, [hit]), head)
        for k in self.kinds:
            if k.name in ruled_out:
                continue
            found = [name for name, p in k.markers if p.search(head)]
            if any(p.match(first) for p in k.title):
                found.insert(0, f"title {first[:60]!r}")
            if where and any(p.search(where) for p in k.urls):
                found.insert(0, f"address {where}")
            if found and len(found) >= k.need:
                return self._verdict(k, found, head)
        return Verdict(None, ([f"address {where}"] if where else []) + ["no marker of any known kind"])

    def _verdict(self, kind: Kind, evidence: list[str], head: str) -> Verdict:
        if not kind.parse:
            # What a refused page carries of a recommendation, so that the refusal says why it is not one.
            rec = self.recommendation_block(head)
            evidence = evidence + ([f"has {rec}, but the page is {kind.name}"] if rec else ["no recommendation block"])
        return Verdict(kind, evidence)

    def recommendation_block(self, head: str) -> str | None:
        """The first strong marker of a recommendation kind the text shows, if any."""
        for k in self.kinds:
            if k.parse:
                hit = next((name for name, p in k.strong if p.search(head)), None)
                if hit:
                    return hit
        return None


class _Text:
    """A page's head, with the lower-case copy that case-insensitive patterns search (much faster than re.I)."""

    __slots__ = ("text", "_low")

    def __init__(self, text: str):
        self.text, self._low = text, None

    @property
    def low(self) -> str:
        if self._low is None:
            self._low = self.text.lower()
        return self._low


class _Pattern:
    """A declared pattern, compiled with re.M; a (?i) pattern is lower-cased and searched in lower case."""

    def __init__(self, source: str):
        self.source = source
        self.folded = source.startswith("(?i)")
        self.regex = re.compile(_lower(source[4:]) if self.folded else source, re.M)

    def search(self, text) -> bool:
        if isinstance(text, _Text):
            return self.regex.search(text.low if self.folded else text.text) is not None
        return self.regex.search(text.lower() if self.folded else text) is not None

    def match(self, text: str) -> bool:
        return self.regex.match(text.lower() if self.folded else text) is not None


def _lower(pattern: str) -> str:
    """A pattern for lower-cased text: letters lower-cased, escapes (\\A, \\S, \\W ...) left as they are."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        out.append(c.lower())
        i += 1
    return "".join(out)


def _with_url(kind: Kind, where: str | None, evidence: list[str]) -> list[str]:
    if where and any(p.search(where) for p in kind.urls):
        return [f"address {where}"] + evidence
    return evidence


def _short(url: str) -> str:
    """An address as evidence: no scheme, no www., cut after 60 characters."""
    s = re.sub(r"^[a-z]+://(?:www\.)?", "", url.strip(), flags=re.I)
    return s if len(s) <= 60 else s[:60] + "…"


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Kinds:
    return load_kinds(Path(path))


def kinds(path: Path | str | None = None) -> Kinds:
    """The declared kinds (the bundled file by default), loaded once per file."""
    return _load_cached(str(Path(path) if path else KINDS_FILE))


def load_kinds(path: Path | str | None = None) -> Kinds:
    """Read and check a kinds file; raises InvalidSource naming the file and the field."""
    path = Path(path) if path else KINDS_FILE
    data = load_mapping(path, "kinds")
    out = Kinds([_kind(path, name, raw) for name, raw in data.items()], path)
    if not any(k.parse for k in out):
        raise InvalidSource(f"{path.name}: no kind has parse: true, so no page could become a case", errors={"file": str(path)})
    return out


def _kind(path: Path, name, raw) -> Kind:
    def fail(where: str, message: str):
        return InvalidSource(f"{path.name}: {name}.{where}: {message}" if where else f"{path.name}: {name}: {message}",
                             errors={"file": str(path), "field": f"{name}.{where}" if where else str(name)})

    if not isinstance(name, str) or not _NAME.match(name) or name == UNKNOWN:
        raise fail("", "a kind name is lower-case letters, digits and '_' (and not 'unknown')")
    if not isinstance(raw, dict):
        raise fail("", "expected a mapping with label and markers")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    if not isinstance(raw.get("label"), str) or not raw["label"].strip():
        raise fail("label", "missing")

    def compile_(key: str, i, p) -> _Pattern:
        if not isinstance(p, str) or not p:
            raise fail(f"{key}[{i}]", "expected a regular expression")
        try:
            return _Pattern(p)
        except re.error as e:
            raise fail(f"{key}[{i}]", f"{p!r} is not a regular expression: {e}") from None

    def patterns(key: str) -> tuple[_Pattern, ...]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            raise fail(key, "expected a list of regular expressions")
        return tuple(compile_(key, i, p) for i, p in enumerate(value))

    def named(key: str) -> tuple[tuple[str, _Pattern], ...]:
        value = raw.get(key) or {}
        if not isinstance(value, dict):
            raise fail(key, "expected a mapping of evidence names to regular expressions")
        return tuple((str(n), compile_(key, n, p)) for n, p in value.items())

    for key in ("parse", "url_decides"):
        if not isinstance(raw.get(key, False), bool):
            raise fail(key, f"{raw[key]!r} is not true or false")
    need = raw.get("need", 1)
    if isinstance(need, bool) or not isinstance(need, int) or need < 1:
        raise fail("need", f"{need!r} is not a whole number >= 1")
    kind = Kind(name=name, label=raw["label"].strip(), parse=raw.get("parse", False), layout=raw.get("layout"),
                urls=patterns("urls"), url_decides=raw.get("url_decides", False), strong=named("strong"),
                markers=named("markers"), title=patterns("title"), need=need, unless=patterns("unless"))
    if kind.url_decides and not kind.urls:
        raise fail("url_decides", "true, but the kind declares no urls")
    if not (kind.strong or kind.markers or kind.title or kind.urls):
        raise fail("", "declares nothing to know it by (urls, strong, markers or title)")
    if need > len(kind.markers) + len(kind.title) + (1 if kind.urls else 0) and not kind.strong and not kind.url_decides:
        raise fail("need", f"{need} pieces of evidence needed but only {len(kind.markers) + len(kind.title)} declared")
    return kind
