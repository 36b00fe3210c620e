"""The crawl sources declared in `ontology/sources.yaml`: which sites, where to start, which URLs.

Loaded and checked once; every error names the file and the field (`sources.yaml: iopc.pages[2]:
...`). The crawler (ingest/crawl.py) asks a `Sources` what a URL is; ingest asks it which archived
responses are recommendation pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from ontology.declared import load_mapping
from ontology.exc import InvalidSource

SOURCES_FILE = Path(__file__).parent / "sources.yaml"
DEFAULT_DELAY = 1.0
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_FIELDS = {"label", "start", "hosts", "pages", "listings", "delay", "enabled", "revisit"}
# The one top-level entry that is not a source: what every source has unless it says otherwise.
DEFAULTS = "defaults"
_DEFAULT_FIELDS = {"revisit"}


@dataclass(frozen=True)
class Revisit:
    """How often a known page is asked again (conditionally), in whole days by what it last showed;
    0 is every run. A page awaiting a response changes when the force answers, so it is asked
    often; an answered page rarely changes again; an overdue one is the response most likely to
    arrive unannounced (its sitemap entry often stays the same: issue 30)."""

    awaiting: int = 0
    answered: int = 30
    overdue: int = 0

    def every(self, page_class: str) -> int:
        return getattr(self, page_class)


REVISIT_CLASSES = ("awaiting", "overdue", "answered")


@dataclass(frozen=True)
class Source:
    """One site (or mirror) to crawl."""

    name: str
    label: str
    start: tuple[str, ...]
    hosts: tuple[str, ...]
    pages: tuple[re.Pattern, ...]
    listings: tuple[re.Pattern, ...] = ()
    delay: float = DEFAULT_DELAY
    enabled: bool = True
    revisit: Revisit = field(default_factory=Revisit)

    def owns_host(self, host: str) -> bool:
        host = (host or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def kind(self, url: str) -> str | None:
        """'page', 'listing' or None for a URL of this source's hosts."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not self.owns_host(parts.hostname or ""):
            return None
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(p.fullmatch(target) for p in self.pages):
            return "page"
        if any(p.fullmatch(target) for p in self.listings):
            return "listing"
        return None


@dataclass
class Sources:
    """Every declared source; `enabled` ones are crawled, all of them say what a URL is."""

    sources: list[Source] = field(default_factory=list)
    path: Path | None = None

    @property
    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def for_url(self, url: str, enabled_only: bool = True) -> Source | None:
        host = urlsplit(url).hostname or ""
        for s in self.enabled if enabled_only else self.sources:
            if s.owns_host(host):
                return s
        return None

    def kind(self, url: str, enabled_only: bool = True) -> str | None:
        """'page', 'listing' or None (not ours to follow)."""
        source = self.for_url(url, enabled_only)
        return source.kind(url) if source else None

    def is_page(self, url: str | None) -> bool:
        """Whether an archived response at `url` is a recommendation page of any declared source."""
        return bool(url) and self.kind(url, enabled_only=False) == "page"

    def __iter__(self):
        return iter(self.sources)

    def __getitem__(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)


def load_sources(path: Path | str | None = None) -> Sources:
    """Read and check a sources file (the bundled one by default); raises InvalidSource naming the field."""
    path = Path(path) if path else SOURCES_FILE
    data = load_mapping(path, "sources")
    out = Sources(path=path)
    defaults = _defaults(path, data.get(DEFAULTS))
    for name, raw in data.items():
        if name != DEFAULTS:
            out.sources.append(_source(path, name, raw, defaults))
    if not out.sources:
        raise InvalidSource(f"{path.name}: declares no source", errors={"file": str(path)})
    return out


def _defaults(path: Path, raw) -> Revisit:
    """The file's `defaults:` entry: the revisit schedule of every source that does not give its own."""
    if raw is None:
        return Revisit()
    if not isinstance(raw, dict):
        raise InvalidSource(f"{path.name}: {DEFAULTS}: expected a mapping (known: {', '.join(sorted(_DEFAULT_FIELDS))})",
                            errors={"file": str(path), "field": DEFAULTS})
    unknown = sorted(set(raw) - _DEFAULT_FIELDS)
    if unknown:
        raise InvalidSource(f"{path.name}: {DEFAULTS}.{unknown[0]}: unknown field (known: {', '.join(sorted(_DEFAULT_FIELDS))})",
                            errors={"file": str(path), "field": f"{DEFAULTS}.{unknown[0]}"})
    return _revisit(path, DEFAULTS, raw.get("revisit"), Revisit())


def _revisit(path: Path, owner: str, raw, base: Revisit) -> Revisit:
    """A `revisit:` mapping over `base`: days between two requests for a page by its class."""
    if raw is None:
        return base
    where = f"{owner}.revisit"
    if not isinstance(raw, dict):
        raise InvalidSource(f"{path.name}: {where}: expected a mapping of {', '.join(REVISIT_CLASSES)} to days",
                            errors={"file": str(path), "field": where})
    values = {}
    for key, days in raw.items():
        if key not in REVISIT_CLASSES:
            raise InvalidSource(f"{path.name}: {where}.{key}: unknown page class (known: {', '.join(REVISIT_CLASSES)})",
                                errors={"file": str(path), "field": f"{where}.{key}"})
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidSource(f"{path.name}: {where}.{key}: {days!r} is not a whole number of days >= 0 (0: every run)",
                                errors={"file": str(path), "field": f"{where}.{key}"})
        values[key] = days
    return replace(base, **values)


def _source(path: Path, name, raw, defaults: Revisit) -> Source:
    def fail(where: str, message: str):
        return InvalidSource(f"{path.name}: {name}.{where}: {message}" if where else f"{path.name}: {name}: {message}",
                             errors={"file": str(path), "field": f"{name}.{where}" if where else str(name)})

    if not isinstance(name, str) or not _NAME.match(name):
        raise fail("", "a source name is lower-case letters, digits, '-' and '_'")
    if not isinstance(raw, dict):
        raise fail("", "expected a mapping with label, start and pages")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    for key in ("label", "start", "pages"):
        if not raw.get(key):
            raise fail(key, "missing")
    if not isinstance(raw["label"], str):
        raise fail("label", "expected text")

    def strings(key: str) -> list[str]:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(key, "expected a list of non-empty strings")
        return value

    hosts = []
    for i, url in enumerate(strings("start")):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail(f"start[{i}]", f"{url!r} is not an absolute http(s) URL")
        hosts.append(parts.hostname.lower())
    for i, host in enumerate(strings("hosts")):
        if "/" in host or ":" in host or " " in host:
            raise fail(f"hosts[{i}]", f"{host!r} is a host name, without scheme, port or path")
        hosts.append(host.lower())

    def patterns(key: str) -> tuple[re.Pattern, ...]:
        out = []
        for i, p in enumerate(strings(key)):
            try:
                out.append(re.compile(p))
            except re.error as e:
                raise fail(f"{key}[{i}]", f"{p!r} is not a regular expression: {e}") from None
        return tuple(out)

    delay = raw.get("delay", DEFAULT_DELAY)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise fail("delay", f"{delay!r} is not a number of seconds >= 0")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", f"{enabled!r} is not true or false")
    return Source(name=name, label=raw["label"], start=tuple(strings("start")), hosts=tuple(dict.fromkeys(hosts)),
                  pages=patterns("pages"), listings=patterns("listings"), delay=float(delay), enabled=enabled,
                  revisit=_revisit(path, name, raw.get("revisit"), defaults))
