"""The crawler against the fixture site of tests/crawl/site.py (127.0.0.1 only)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from ingest.archive import ArchiveWriter, read_archive
from ingest.crawl import CrawlConfig, Crawler, retry_after
from ingest.crawl_state import CrawlState
from ontology.exc import InvalidSource
from tests.crawl.site import ESSEX_ACCEPTED, FixtureSite, Route, build, case_page, page_html, sitemap

CONTACT = "crawl-tests@example.org"


class Recording(httpx.BaseTransport):
    """A real transport that records every host asked for, and can stop the crawl like Ctrl-C."""

    def __init__(self, interrupt_after: int | None = None):
        self.inner = httpx.HTTPTransport()
        self.hosts: list[str] = []
        self.interrupt_after = interrupt_after

    def handle_request(self, request):
        if self.interrupt_after is not None and len(self.hosts) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.hosts.append(request.url.host)
        return self.inner.handle_request(request)


def crawler(site: FixtureSite, data: Path, transport=None, delay: float = 0.01, **config) -> Crawler:
    sources = site.sources_file(data, delay=delay)
    options = {"contact": CONTACT, "timeout": 1.0, "max_bytes": 200_000, "backoff": 0.05} | config
    return Crawler(sources, CrawlState(data / "crawl" / "state.sqlite"), ArchiveWriter(data / "warc"),
                   httpx.Client(transport=transport or Recording()), CrawlConfig(**options))


def records(data: Path):
    return [r for path in sorted((data / "warc").glob("*.warc.gz")) for r in read_archive(path)]


PAGES = {
    "/our-work/learning/recommendation-essex-police-march-2025",
    "/our-work/learning/recommendation-kent-police-november-2024",
    "/our-work/learning/recommendation-devon-and-cornwall-police-may-2024",
    "/our-work/learning/recommendation-thames-valley-police-may-2024",
    "/our-work/learning/recommendation-norfolk-constabulary-may-2024",
    "/sources/iopc/learning/sussex-police-2024-06/",
    "/sources/iopc/learning/slow-page/",
}


def test_first_crawl_fetches_declared_pages_politely_and_archives_every_answer(tmp_path):
    with FixtureSite() as site:
        build(site)
        transport = Recording()
        c = crawler(site, tmp_path, transport)
        summary = c.run()
        c.archive.close()
        paths = site.paths()

    assert summary.new == len(PAGES) and summary.fetched == len(PAGES)
    assert summary.robots == 1 and summary.finished
    assert {u.split("/", 3)[3] for u, _ in summary.failures} == {
        "node/778", "sources/iopc/learning/too-big/", "our-work/learning/recommendation-flaky-server"}
    # robots.txt first; nothing it disallows, nothing outside the patterns, no other host.
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith("/private/") or p.endswith("recommendation-withheld") or p == "/about"]
    assert set(transport.hosts) == {"127.0.0.1"}
    # A sitemap index, a gzipped sitemap and two listing pages were all read.
    assert {"/sitemap.xml", "/sitemap-iopc.xml", "/sitemap-mirror.xml.gz", "/our-work/learning", "/our-work/learning?page=2"} <= set(paths)
    # Every request names iopc-kg and the contact address.
    assert all("iopc-kg/" in h["User-Agent"] and CONTACT in h["User-Agent"] for _, _, h in site.log)
    # 5xx retried until it answered; a page slower than the timeout retried; 429 retried after Retry-After.
    assert paths.count("/our-work/learning/recommendation-norfolk-constabulary-may-2024") == 3
    assert paths.count("/our-work/learning/recommendation-flaky-server") == 4  # 1 + 3 retries, then failed
    assert paths.count("/sources/iopc/learning/slow-page/") == 2
    assert paths.count("/our-work/learning/recommendation-kent-police-november-2024") == 1  # also behind /node/779
    times = [t for t, p, _ in site.log if p.endswith("recommendation-thames-valley-police-may-2024")]
    assert len(times) == 2 and times[1] - times[0] >= 1.0
    # Every answer is in the archive with its date; a page's record leads back to its bytes.
    archived = records(tmp_path)
    by_url = {(r.url.split("/", 3)[3], r.status) for r in archived}
    assert ("robots.txt", 200) in by_url and ("node/777", 301) in by_url and ("our-work/learning/recommendation-thames-valley-police-may-2024", 429) in by_url
    essex = next(r for r in archived if r.url.endswith("essex-police-march-2025"))
    assert b"Essex Police Ref: 2024/300001" in essex.body and essex.date.endswith("Z")
    state = c.state.get(essex.url)
    assert (state.warc, state.warc_offset) == (essex.warc, essex.offset)


def test_recrawl_sends_conditional_requests_and_finds_what_changed(tmp_path):
    with FixtureSite() as site:
        build(site)
        c = crawler(site, tmp_path)
        c.run()
        c.archive.close()
        # Between the crawls: Essex's response arrives, a new page is listed, the throttled pages behave.
        site.routes["/our-work/learning/recommendation-essex-police-march-2025"] = Route(page_html(ESSEX_ACCEPTED), etag='"essex-2"')
        site.routes["/our-work/learning?page=2"].body += b"<a href='/our-work/learning/recommendation-lancashire-constabulary-may-2024'>x</a>"
        site.routes["/our-work/learning/recommendation-lancashire-constabulary-may-2024"] = Route(page_html(case_page(
            "2024/300008", "Lancashire Constabulary",
            "The IOPC recommends that Lancashire Constabulary review how it shares information about domestic abuse with schools.",
            status="Awaiting response")))
        first = len(site.log)
        c2 = crawler(site, tmp_path)
        summary = c2.run(mode="all")  # every known page asked again (tests/crawl/test_revisit.py: the schedule)
        c2.archive.close()
        second = site.log[first:]

    assert (summary.new, summary.changed) == (1, 1)
    assert summary.unchanged == len(PAGES) - 1
    assert sorted(u.rsplit("/", 1)[1] for u in summary.changed_urls) == [
        "recommendation-essex-police-march-2025", "recommendation-lancashire-constabulary-may-2024"]
    sent = {p: h for _, p, h in second}
    assert sent["/our-work/learning/recommendation-kent-police-november-2024"]["If-None-Match"] == '"kent-1"'
    assert sent["/sources/iopc/learning/sussex-police-2024-06/"]["If-Modified-Since"] == "Sat, 15 Jun 2024 10:00:00 GMT"
    # robots.txt is remembered for a day: not asked for again.
    assert "/robots.txt" not in sent
    revisits = [r for r in records(tmp_path) if r.kind == "revisit"]
    assert {r.url.rsplit("/", 1)[1] for r in revisits} >= {"recommendation-kent-police-november-2024"}
    assert all(r.status == 304 and r.refers_to_date for r in revisits)


def test_rate_limit_is_held_per_host(tmp_path):
    """The one timed test: a scaled delay of 0.4 s between the end of one request and the next."""
    with FixtureSite() as site:
        site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        site.routes["/sitemap.xml"] = Route(sitemap([(site.url(f"/node/{n}"), None) for n in range(4)]), content_type="application/xml")
        site.routes["/our-work/learning"] = Route(b"<html><body></body></html>")
        for n in range(4):
            site.routes[f"/node/{n}"] = Route(page_html(case_page(f"2024/30010{n}", "Kent Police", f"The IOPC recommends that Kent Police review item {n}.")))
        c = crawler(site, tmp_path, delay=0.4)
        c.run()
        times = [t for t, _, _ in site.log]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 7
    assert min(gaps) >= 0.4, gaps


def test_interrupted_crawl_resumes_without_refetching(tmp_path):
    with FixtureSite() as site:
        site.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")
        site.routes["/sitemap.xml"] = Route(sitemap([(site.url(f"/node/{n}"), None) for n in range(6)]), content_type="application/xml")
        site.routes["/our-work/learning"] = Route(b"<html><body></body></html>")
        for n in range(6):
            site.routes[f"/node/{n}"] = Route(page_html(case_page(f"2024/30020{n}", "Kent Police", f"The IOPC recommends that Kent Police review item {n}.")))
        c = crawler(site, tmp_path, Recording(interrupt_after=5))
        with pytest.raises(KeyboardInterrupt):
            c.run()
        c.archive.close()
        c.state.close()
        done_before = len(site.log)
        c2 = crawler(site, tmp_path)
        summary = c2.run()
        paths = site.paths()
    assert 0 < done_before < len(paths)
    assert summary.resumed and summary.finished
    assert len(paths) == len(set(paths)), paths  # nothing asked for twice
    assert {f"/node/{n}" for n in range(6)} <= set(paths)
    assert len({r.url for r in records(tmp_path) if "/node/" in r.url}) == 6


def test_max_pages_stops_and_the_next_run_continues(tmp_path):
    with FixtureSite() as site:
        build(site)
        c = crawler(site, tmp_path)
        first = c.run(max_pages=2)
        assert first.fetched == 2 and first.pending > 0 and not first.finished
        c2 = crawler(site, tmp_path)
        rest = c2.run()
    assert rest.resumed and rest.finished and first.new + rest.new == len(PAGES)


def test_since_skips_pages_the_sitemap_dates_earlier(tmp_path):
    with FixtureSite() as site:
        build(site)
        summary = crawler(site, tmp_path).run(since="2025-01-01")
        paths = site.paths()
    assert summary.skipped == 3  # Kent (2024-11-20), Sussex (2024-06-15) and the withheld page (2024-01-01)
    assert "/our-work/learning/recommendation-essex-police-march-2025" in paths
    assert "/our-work/learning/recommendation-kent-police-november-2024" not in paths


def test_refuses_a_host_no_source_declares(tmp_path):
    with FixtureSite() as site:
        build(site)
        c = crawler(site, tmp_path)
        with pytest.raises(InvalidSource, match="example.org"):
            c._allowed("http://example.org/our-work/learning/recommendation-x", c.sources["fixture"])
        assert site.log == []


def test_server_errors_on_robots_txt_mean_disallow_everything(tmp_path):
    with FixtureSite() as site:
        build(site)
        site.routes["/robots.txt"] = Route(b"down", status=503)
        summary = crawler(site, tmp_path, retries=0).run()
        paths = site.paths()
    assert summary.fetched == 0
    assert paths == ["/robots.txt"]


def test_retry_after_reads_seconds_and_dates():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after("120", now) == 120
    assert retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after("soon", now) is None
    assert retry_after(None, now + timedelta(0)) is None
