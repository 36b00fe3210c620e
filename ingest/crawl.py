"""A polite crawler for the sources declared in `ontology/sources.yaml`.

What a site operator can expect from it: robots.txt obeyed (RFC 9309, via Protego; its
Crawl-delay too, when longer than ours); one request at a time and, by default, at least one
second between the end of one request and the start of the next to each host; a User-Agent that
names iopc-kg and a contact address; conditional requests (If-None-Match / If-Modified-Since) so an
unchanged page costs a 304; retries with exponential backoff on timeouts and 5xx; Retry-After
honoured on 429 and 503; a cap on the bytes of any one response; links and redirects followed only
to URLs a declared source matches; and no host contacted that no source declares.

Every response is archived (ingest/archive.py) before the crawl state records it; the state
(ingest/crawl_state.py) is committed after every URL, so an interrupted crawl resumes where it stopped.
Sitemaps and listings are asked every run; a page already fetched is asked again on the revisit
schedule of its source (ingest/revisit.py), by what it showed: awaiting, overdue or answered.
"""

from __future__ import annotations

import email.utils
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta, timezone
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

import httpx
from protego import Protego
from selectolax.lexbor import LexborHTMLParser

from ingest.archive import Archived, ArchiveWriter, digest
from ingest.crawl_state import CrawlState, UrlState
from ingest import revisit
from ontology.exc import InvalidSource
from ontology.sources import Source, Sources

log = logging.getLogger(__name__)

PRODUCT = "iopc-kg"
REDIRECTS = {301, 302, 303, 307, 308}
ROBOTS_TTL = timedelta(hours=24)  # RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours


@dataclass
class CrawlConfig:
    """How the crawler behaves; `ontology.settings.Settings` fills it from the crawl_* settings."""

    contact: str = "unset"
    delay: float | None = None  # seconds between requests to one host; None: each source's own delay
    timeout: float = 30.0
    max_bytes: int = 5_000_000
    retries: int = 3
    backoff: float = 2.0  # first retry waits this long, then twice as long each time
    max_retry_after: float = 600.0  # a longer Retry-After gives the URL up for this run
    max_redirects: int = 5

    @cached_property
    def user_agent(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("iopc-kg")
        except PackageNotFoundError:
            v = "dev"
        return f"{PRODUCT}/{v} (research crawler of IOPC learning recommendations; contact: {self.contact})"


@dataclass
class CrawlSummary:
    run: int = 0
    resumed: bool = False
    fetched: int = 0  # page requests answered (200 or 304)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    robots: int = 0  # pages robots.txt disallows: never requested
    skipped: int = 0  # pages older than --since
    requests: int = 0
    pending: int = 0  # left for the next run (stopped at --max-pages)
    failures: list[tuple[str, str]] = field(default_factory=list)
    changed_urls: list[str] = field(default_factory=list)
    revisit: str = "due"  # the run's mode: due (the schedule), all or none
    # Pages asked, by what they were when asked: new (never fetched), or their revisit class.
    asked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("new", *revisit.CLASSES), 0))
    held: int = 0  # known pages found again but not asked: not due under the schedule
    status_changes: list[dict] = field(default_factory=list)  # {url, previous, status}: a page moved class
    schedule: dict[str, dict] = field(default_factory=dict)  # class -> ClassPlan.as_dict(): what the next runs ask
    today: str = ""

    @property
    def finished(self) -> bool:
        return self.pending == 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("run", "resumed", "fetched", "new", "changed", "unchanged", "failed",
                                               "robots", "skipped", "requests", "pending", "revisit", "asked", "held")} | {
            "failures": [{"url": u, "message": m} for u, m in self.failures], "changed_urls": self.changed_urls,
            "status_changes": self.status_changes, "schedule": self.schedule}


class Refused(Exception):
    """A URL the crawler will not fetch (robots.txt, another source, too large ...); the message says why."""


class RobotsRefused(Refused):
    """robots.txt disallows the URL for iopc-kg."""


class AlreadyFetched(Exception):
    """A redirect to a URL this run has already fetched (a node/N alias of a page found in the sitemap)."""


class NotDue(AlreadyFetched):
    """A redirect to a known page the revisit schedule does not ask this run."""


@dataclass
class Answer:
    url: str
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes  # decoded (Content-Encoding undone)
    archived: Archived | None


class Crawler:
    """Crawls the enabled sources into a WARC archive, remembering state between runs.

    Args:
        client: an httpx.Client (injected: tests pass one for a fixture site); redirects are
            handled here, so it must not follow them itself.
        clock, sleep: the monotonic clock and the sleep the politeness delays use.
        now: wall-clock time of each fetch (WARC-Date, first/last seen).
    """

    def __init__(self, sources: Sources, state: CrawlState, archive: ArchiveWriter, client: httpx.Client,
                 config: CrawlConfig | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], datetime] | None = None,
                 progress: Callable[[CrawlSummary], None] | None = None):
        self.sources, self.state, self.archive, self.client = sources, state, archive, client
        self.config = config or CrawlConfig()
        self.clock, self.sleep = clock, sleep
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.progress = progress or (lambda summary: None)
        self._next: dict[str, float] = {}  # host -> earliest clock() of its next request
        self._robots: dict[str, Protego | bool] = {}  # netloc -> parser, True (allow all) or False (disallow all)
        self.summary = CrawlSummary()
        self.mode = "due"  # which known pages this run asks again (ingest/revisit.py)

    # -- the run ---------------------------------------------------------------------------------

    def run(self, max_pages: int | None = None, since: str | None = None, mode: str = "due") -> CrawlSummary:
        """Crawl until the frontier is empty or `max_pages` pages were requested; resumable.

        `mode`: which known pages are asked again: `due` (the sources' revisit schedule), `all` or `none`.
        """
        if mode not in revisit.MODES:
            raise ValueError(f"the revisit mode is one of {', '.join(revisit.MODES)}, not {mode!r}")
        s = self.summary
        s.revisit, self.mode = mode, mode
        s.run, s.resumed = self.state.open_run(since)
        if not s.resumed:
            for source in self.sources.enabled:
                for url in source.start:
                    self.state.queue(normalise(url), source.name, "start")
            # Known pages the schedule asks, whether or not a sitemap or listing still leads to them.
            self.state.requeue([p.url for p in self.state.known_pages() if self._due(p)])
        pages = 0
        while True:
            item = self.state.next()
            if item is None:
                break
            if item.kind == "page":
                if max_pages is not None and pages >= max_pages:
                    break
                if since and item.lastmod and item.lastmod[:10] < since:
                    s.skipped += 1
                    item.outcome = "skipped"
                    self.state.done(item)
                    continue
                if not self._asked(item):
                    s.held += 1
                    item.outcome = "held"
                    self.state.done(item)
                    continue
                pages += 1
            self._visit(item)
            self.progress(s)
        s.pending = self.state.pending()
        if s.pending == 0:
            self.state.finish_run()
        s.today = self._today().isoformat()
        s.schedule = self.plan()
        return s

    # -- the revisit schedule (ingest/revisit.py) -----------------------------------------------

    def _today(self):
        return self.now().date()

    def _asked(self, page: UrlState) -> bool:
        """Whether this run requests a page of its frontier: a new one always; a known one, or an alias
        that redirected to a known one, when the schedule (or the run's mode) asks its page again (an
        alias not when this run has asked its page already)."""
        if page.digest is not None:
            return self._due(page)
        target = self.state.get(page.redirect_to) if page.redirect_to else None
        if target is not None and target.digest is not None:
            return self._due(target) and not self.state.done_this_run(target.url)
        return True

    def _due(self, page: UrlState) -> bool:
        """Whether this run asks a known page again: its source's schedule, or the run's mode."""
        source = self.sources.for_url(page.url)
        if source is None or source.kind(page.url) != "page":
            return False  # its source is disabled, or no longer declares such pages
        if self.mode != "due":
            return self.mode == "all"
        return revisit.is_due(page, source.revisit, self._today())

    def plan(self) -> dict[str, dict]:
        """What the next runs ask of the known pages, by class (the crawl's summary shows it)."""
        pages = []
        for page in self.state.known_pages():
            source = self.sources.for_url(page.url)
            if source is not None and source.kind(page.url) == "page":
                pages.append((page, source))
        return {c: p.as_dict() for c, p in revisit.plan(pages, self.sources.enabled, self._today()).items()}

    def _read_status(self, page: UrlState, body: bytes, content_type: str) -> None:
        """Remember what the page shows (its revisit class and due date); a change of class is reported."""
        previous = revisit.page_class(page, self._today()) if page.page_status else None
        page.page_status, page.response_due = revisit.read_status(body, content_type, page.url, self._today())
        if previous is not None and previous != page.page_status:
            self.summary.status_changes.append({"url": page.url, "previous": previous, "status": page.page_status})

    def _visit(self, item: UrlState) -> None:
        s = self.summary
        source = self.sources[item.source]
        asked, item.outcome = None, None  # the outcome is this run's (a page refused by robots.txt is not counted as asked)
        if item.kind == "page":
            item.asked_at = self.now().isoformat()
            known = item if item.digest is not None else self.state.get(item.redirect_to) if item.redirect_to else None
            asked = revisit.page_class(known, self._today()) if known is not None and known.digest is not None else "new"
        try:
            answer = self._get(item, source)
        except AlreadyFetched as e:
            item.status, item.outcome, item.redirect_to = 301, "redirect", e.args[0]
            self.state.done(item, error=f"redirected to {e.args[0]}")
            return
        except RobotsRefused as e:
            s.robots += item.kind == "page"
            item.outcome = "robots"
            self.state.done(item, error=str(e))
            return
        except (Refused, httpx.HTTPError) as e:
            message = str(e) if isinstance(e, Refused) else (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
            self._failed(item, message)
            if isinstance(e, httpx.HTTPError):
                item.status = 0
            self.state.done(item, error=message)
            return
        finally:
            if asked is not None and item.outcome != "robots":
                s.asked[asked] += 1
        final = item
        if answer.url != item.url:
            # Followed a redirect: the answer belongs to the target; the first URL records where it went.
            item.status, item.outcome, item.redirect_to = 301, "redirect", answer.url
            self.state.done(item, error=f"redirected to {answer.url}")
            self.state.queue(answer.url, source.name, item.kind)
            final = self.state.get(answer.url)
            if final.kind == "page":
                final.asked_at = item.asked_at
        final.status = answer.status
        final.fetched_at = self.now().isoformat()
        if answer.status == 304:
            # The state keeps pointing at the response record: later revisits refer to it, not to this one.
            final.outcome = "unchanged"
            if final.kind == "page":
                s.fetched += 1
                s.unchanged += 1
                if final.page_status is None:  # fetched before the state remembered what pages show
                    record = self._archived(final)
                    if record is not None and record.body is not None:
                        self._read_status(final, record.body, record.content_type)
            else:
                # An unchanged sitemap or listing still lists its children: read them from the archived copy
                # (a sitemap index rarely changes when one of its sitemaps does).
                self._discover_archived(final, source)
            self.state.done(final)
            return
        if answer.status != 200:
            self._failed(final, f"HTTP {answer.status}")
            self.state.done(final, error=f"HTTP {answer.status}")
            return
        new_digest = digest(answer.body)
        if final.kind == "page":
            s.fetched += 1
            if final.digest is None:
                final.outcome, s.new = "new", s.new + 1
                s.changed_urls.append(final.url)
            elif final.digest != new_digest:
                final.outcome, s.changed = "changed", s.changed + 1
                s.changed_urls.append(final.url)
            else:
                final.outcome, s.unchanged = "unchanged", s.unchanged + 1
            if final.outcome != "unchanged" or final.page_status is None:
                self._read_status(final, answer.body, answer.headers.get("content-type", ""))
        else:
            final.outcome = "fetched"
        final.digest = new_digest
        final.etag = answer.headers.get("etag")
        final.last_modified = answer.headers.get("last-modified")
        final.first_fetched = final.first_fetched or final.fetched_at
        if answer.archived:
            a = answer.archived
            final.warc, final.warc_offset, final.record_id, final.warc_date, final.warc_digest = a.warc, a.offset, a.record_id, a.date, a.digest
        self._discover(final, source, answer)
        self.state.done(final)

    def _failed(self, item: UrlState, message: str) -> None:
        """Count a failed page; report every failure (a sitemap or listing that fails hides pages)."""
        item.outcome = "failed"
        self.summary.failed += item.kind == "page"
        self.summary.failures.append((item.url, message))

    # -- discovery -------------------------------------------------------------------------------

    def _discover(self, item: UrlState, source: Source, answer: Answer) -> None:
        """Queue what a sitemap, sitemap index, listing or page links to, within the declared patterns."""
        ctype = answer.headers.get("content-type", "").lower()
        body = answer.body
        if body[:2] == b"\x1f\x8b":  # a gzipped sitemap (sitemap.xml.gz)
            body = _gunzip(body, self.config.max_bytes)
        head = body[:1024].lower()
        if b"<urlset" in head or b"<sitemapindex" in head:
            self._sitemap(body, source, item.url)
            return
        if "html" not in ctype and b"<html" not in head:
            return
        tree = LexborHTMLParser(body.decode("utf-8", "replace"))
        base_node = tree.css_first("base[href]")
        base = urljoin(answer.url, base_node.attributes.get("href") or "") if base_node else answer.url
        for node in tree.css("a[href], link[rel=next][href]"):
            self._found(urljoin(base, node.attributes.get("href") or ""))

    def _archived(self, item: UrlState):
        """The archived copy of a URL's last 200, or None if it cannot be read."""
        from ingest.archive import read_at

        return read_at(item.warc, item.warc_offset) if item.warc and item.warc_offset is not None else None

    def _discover_archived(self, item: UrlState, source: Source) -> None:
        record = self._archived(item)
        if record is None or record.body is None:
            self._failed(item, "answered 304 but its archived copy cannot be read: its links were not followed")
            return
        headers = httpx.Headers({"content-type": record.content_type})
        self._discover(item, source, Answer(item.url, 200, "OK", headers, record.body, None))

    def _sitemap(self, body: bytes, source: Source, where: str) -> None:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError as e:
            log.warning("%s: not a readable sitemap (%s)", where, e)
            return
        tag = root.tag.rsplit("}", 1)[-1]
        for entry in root:
            fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in entry}
            loc = fields.get("loc")
            if not loc:
                continue
            if tag == "sitemapindex":
                url = normalise(loc)
                if source.owns_host(urlsplit(url).hostname or ""):
                    self.state.queue(url, source.name, "sitemap")
            else:
                self._found(loc, fields.get("lastmod") or None)

    def _found(self, url: str, lastmod: str | None = None) -> None:
        url = normalise(url)
        if not url:
            return
        source = self.sources.for_url(url)
        kind = source.kind(url) if source else None
        if kind is not None:
            self.state.queue(url, source.name, kind, lastmod)

    # -- fetching --------------------------------------------------------------------------------

    def _get(self, item: UrlState, source: Source) -> Answer:
        """GET a URL, conditionally if we hold validators, following redirects within the source."""
        url, current = item.url, item
        for _ in range(self.config.max_redirects + 1):
            self._allowed(url, source)
            headers = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"}
            previous = None
            if current is not None and current.digest and current.warc:
                previous = Archived(current.warc, current.warc_offset, current.record_id, current.url,
                                    current.warc_date, current.warc_digest)
                if current.etag:
                    headers["If-None-Match"] = current.etag
                if current.last_modified:
                    headers["If-Modified-Since"] = current.last_modified
            answer = self._send(url, headers, revisit_of=previous)
            if answer.status not in REDIRECTS:
                return answer
            location = answer.headers.get("location")
            if not location:
                return answer
            target = normalise(urljoin(url, location))
            if not source.owns_host(urlsplit(target).hostname or "") or source.kind(target) is None:
                raise Refused(f"redirected to {target}, outside the source {source.name!r}")
            if self.state.done_this_run(target):
                raise AlreadyFetched(target)
            url, current = target, self.state.get(target)
            if current is not None and current.kind == "page" and current.digest is not None and not self._due(current):
                raise NotDue(target)
        raise Refused(f"more than {self.config.max_redirects} redirects")

    def _allowed(self, url: str, source: Source) -> None:
        if self.sources.for_url(url) is None or not source.owns_host(urlsplit(url).hostname or ""):
            # The guarantee that nothing but the declared sites is ever contacted.
            raise InvalidSource(f"refusing to contact {urlsplit(url).netloc}: no enabled source declares it",
                                errors={"url": url})
        robots = self._robots_for(url)
        if robots is False or (robots is not True and not robots.can_fetch(url, PRODUCT)):
            raise RobotsRefused(f"robots.txt of {urlsplit(url).netloc} disallows {urlsplit(url).path}")

    def _robots_for(self, url: str) -> Protego | bool:
        parts = urlsplit(url)
        netloc = parts.netloc
        if netloc in self._robots:
            return self._robots[netloc]
        cached = self.state.robots(netloc)
        if cached and datetime.fromisoformat(cached[0]) > self.now() - ROBOTS_TTL:
            _, status, body = cached
        else:
            robots_url = urlunsplit((parts.scheme, netloc, "/robots.txt", "", ""))
            try:
                answer = self._send(robots_url, {"Accept": "text/plain"})
                status, body = answer.status, answer.body.decode("utf-8", "replace")
            except (httpx.HTTPError, Refused):
                status, body = 0, None
            if status and status < 500:
                self.state.set_robots(netloc, self.now().isoformat(), status, body)
        # RFC 9309 2.3.1: 4xx means no rules; 5xx or no answer means disallow everything for now.
        if status == 200:
            parser: Protego | bool = Protego.parse(body or "")
            source = self.sources.for_url(url)
            for sitemap_url in parser.sitemaps:  # robots.txt may name sitemaps the sources file does not
                target = normalise(sitemap_url)
                if target and source and source.owns_host(urlsplit(target).hostname or ""):
                    self.state.queue(target, source.name, "sitemap")
        elif 400 <= status < 500:
            parser = True
        else:
            parser = False
        self._robots[netloc] = parser
        return parser

    def _delay(self, host: str) -> float:
        """Seconds between requests to `host` (a netloc): the setting, else the source's, or robots.txt's if longer."""
        source = self.sources.for_url(f"http://{host}/")
        delay = self.config.delay if self.config.delay is not None else (source.delay if source else 1.0)
        robots = self._robots.get(host)
        if isinstance(robots, Protego):
            asked = robots.crawl_delay(PRODUCT)
            if asked:
                delay = max(delay, float(asked))
        return delay

    def _wait(self, host: str) -> None:
        ready = self._next.get(host)
        if ready is not None:
            pause = ready - self.clock()
            if pause > 0:
                self.sleep(pause)

    def _hold(self, host: str, seconds: float) -> None:
        """No request to `host` for `seconds` from now (politeness, backoff or Retry-After)."""
        self._next[host] = max(self._next.get(host, 0.0), self.clock() + seconds)

    def _send(self, url: str, headers: dict[str, str], revisit_of: Archived | None = None) -> Answer:
        """One GET with retries; every answer received is archived. Raises httpx errors after the last retry."""
        host = urlsplit(url).netloc
        headers = {"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip, deflate", **headers}
        for attempt in range(self.config.retries + 1):
            last = attempt == self.config.retries
            self._wait(host)
            when = self.now()
            self.summary.requests += 1
            try:
                status, reason, resp_headers, raw = self._exchange(url, headers)
            except httpx.TransportError:
                self._hold(host, max(self._delay(host), self.config.backoff * 2 ** attempt))
                if last:
                    raise
                continue
            finally:
                self._hold(host, self._delay(host))
            body = _decode(raw, resp_headers.get("content-encoding", ""), self.config.max_bytes)
            archived = self.archive.exchange("GET", url, headers, status, reason, list(resp_headers.multi_items()), raw, when,
                                             revisit_of=revisit_of if status == 304 and revisit_of else None) \
                if status != 304 or revisit_of else None
            if status in (429, 503) and not last:
                wait = retry_after(resp_headers.get("retry-after"), self.now())
                if wait is not None and wait > self.config.max_retry_after:
                    raise Refused(f"HTTP {status} with Retry-After of {wait:.0f} s, longer than the {self.config.max_retry_after:.0f} s we wait")
                self._hold(host, wait if wait is not None else self.config.backoff * 2 ** attempt)
                continue
            if status >= 500 and not last:
                self._hold(host, max(self._delay(host), self.config.backoff * 2 ** attempt))
                continue
            return Answer(url, status, reason, resp_headers, body, archived)
        raise AssertionError("unreachable")

    def _exchange(self, url: str, headers: dict[str, str]) -> tuple[int, str, httpx.Headers, bytes]:
        """The raw bytes of one response, refused beyond `max_bytes` (declared or received)."""
        cap = self.config.max_bytes
        with self.client.stream("GET", url, headers=headers, timeout=self.config.timeout, follow_redirects=False) as r:
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise Refused(f"{url}: {int(declared):,} bytes, more than the {cap:,} a page may be")
            chunks, size = [], 0
            for chunk in r.iter_raw():
                size += len(chunk)
                if size > cap:
                    raise Refused(f"{url}: more than the {cap:,} bytes a page may be")
                chunks.append(chunk)
            return r.status_code, r.reason_phrase, r.headers, b"".join(chunks)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def normalise(url: str) -> str:
    """A URL without its fragment, with a lower-case scheme and host and no default port."""
    url, _ = urldefrag(url.strip())
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    port = parts.port
    if port and not (parts.scheme.lower() == "http" and port == 80 or parts.scheme.lower() == "https" and port == 443):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


def _decode(raw: bytes, encoding: str, cap: int) -> bytes:
    """Undo gzip or deflate, refusing to inflate past `cap` bytes."""
    encoding = encoding.lower().strip()
    if encoding in ("gzip", "x-gzip"):
        return _inflate(raw, zlib.MAX_WBITS | 16, cap)
    if encoding == "deflate":
        try:
            return _inflate(raw, zlib.MAX_WBITS, cap)
        except zlib.error:
            return _inflate(raw, -zlib.MAX_WBITS, cap)
    return raw


def _inflate(raw: bytes, wbits: int, cap: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(raw, cap + 1)
    if len(out) > cap:
        raise Refused(f"the page inflates to more than the {cap:,} bytes a page may be")
    return out


def _gunzip(body: bytes, cap: int) -> bytes:
    try:
        return _inflate(body, zlib.MAX_WBITS | 16, cap)
    except zlib.error:
        return body



class Busy(Exception):
    """Another crawl or update holds the data directory's crawl lock."""


def crawl(sources: Sources, crawl_dir, warc_dir, config: CrawlConfig, max_pages: int | None = None,
          since: str | None = None, client: httpx.Client | None = None,
          progress: Callable[[CrawlSummary], None] | None = None, revisit: str = "due") -> CrawlSummary:
    """Crawl the enabled sources into `warc_dir`, under a lock so that two crawls never share state.

    Raises Busy if another process holds the lock (cron runs overlapping a slow crawl).
    """
    from pathlib import Path

    from filelock import FileLock, Timeout

    crawl_dir = Path(crawl_dir)
    crawl_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(crawl_dir / "crawl.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise Busy(f"another crawl is running on {crawl_dir} (lock {lock.lock_file})") from None
    own_client = client is None
    client = client or httpx.Client()
    state = CrawlState(crawl_dir / "state.sqlite")
    archive = ArchiveWriter(Path(warc_dir))
    try:
        return Crawler(sources, state, archive, client, config, progress=progress).run(max_pages=max_pages, since=since, mode=revisit)
    finally:
        archive.close()
        state.close()
        if own_client:
            client.close()
        lock.release()
