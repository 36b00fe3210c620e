"""What a re-crawl asks again (issue 30): an unchanged (304) sitemap index or listing still yields its
children, read from the archived copy; a known page is asked again on its source's revisit schedule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ingest.crawl_state import CrawlState
from tests.crawl.site import FixtureSite, Route, build, case_page, page_html, sitemap
from tests.crawl.test_crawl import crawler

NEW = "/our-work/learning/recommendation-cumbria-constabulary-may-2024"


def test_unchanged_sitemap_index_still_leads_to_a_changed_child_sitemap_and_its_new_page(tmp_path):
    with FixtureSite() as site:
        build(site)
        site.routes["/sitemap.xml"].etag = '"index-1"'  # the index will answer 304 from now on
        c = crawler(site, tmp_path)
        c.run()
        c.archive.close()
        c.state.close()
        # Only a child sitemap changes: it lists one more page.
        child = site.routes["/sitemap-iopc.xml"]
        child.body = child.body.replace(b"</urlset>", sitemap([(site.url(NEW), "2024-06-01")]).split(b'0.9">', 1)[1])
        site.routes[NEW] = Route(page_html(case_page(
            "2024/300009", "Cumbria Constabulary",
            "The IOPC recommends that Cumbria Constabulary review how it records welfare checks on people in custody.",
            status="Awaiting response")))
        first = len(site.log)
        c2 = crawler(site, tmp_path)
        summary = c2.run()
        c2.archive.close()
        second = [(p, h) for _, p, h in site.log[first:]]

    index = [h for p, h in second if p == "/sitemap.xml"]
    assert index and index[0].get("If-None-Match") == '"index-1"'  # asked conditionally, answered 304
    assert "/sitemap-iopc.xml" in [p for p, _ in second]  # its child was still asked
    assert NEW in [p for p, _ in second]
    assert summary.new == 1 and any(u.endswith(NEW) for u in summary.changed_urls)
    assert not [u for u, m in summary.failures if u.endswith("/sitemap.xml")]


def test_unchanged_sitemaps_and_listings_still_lead_to_a_page_whose_status_changed(tmp_path):
    from tests.crawl.site import ESSEX_ACCEPTED

    essex = "/our-work/learning/recommendation-essex-police-march-2025"
    with FixtureSite() as site:
        build(site)
        for path in ("/sitemap.xml", "/sitemap-iopc.xml", "/sitemap-mirror.xml.gz", "/our-work/learning", "/our-work/learning?page=2"):
            site.routes[path].etag = f'"{path}-1"'  # every discovery document answers 304 from now on
        c = crawler(site, tmp_path)
        c.run()
        c.archive.close()
        c.state.close()
        site.routes[essex] = Route(page_html(ESSEX_ACCEPTED), etag='"essex-2"')  # only the page changes
        first = len(site.log)
        c2 = crawler(site, tmp_path)
        summary = c2.run()
        c2.archive.close()
        second = site.log[first:]

    discovery = [p for _, p, _ in second if "sitemap" in p or p.startswith("/our-work/learning?") or p == "/our-work/learning"]
    assert len(discovery) == 5  # each asked once, conditionally
    assert summary.changed == 1 and [u for u in summary.changed_urls if u.endswith(essex)]


# -- the revisit schedule (ingest/revisit.py) ------------------------------------------------------

KNOWN = {  # the fixture's pages that answer 200, by what they show on 1 April 2025
    "/our-work/learning/recommendation-essex-police-march-2025": "awaiting",  # response due 28 Apr 2025
    "/our-work/learning/recommendation-thames-valley-police-may-2024": "overdue",  # awaiting, due 27 Jun 2024
    "/our-work/learning/recommendation-kent-police-november-2024": "answered",
    "/our-work/learning/recommendation-devon-and-cornwall-police-may-2024": "answered",  # only reached through /node/777
    "/our-work/learning/recommendation-norfolk-constabulary-may-2024": "answered",
    "/sources/iopc/learning/sussex-police-2024-06/": "answered",
    "/sources/iopc/learning/slow-page/": "answered",
}
T0 = datetime(2025, 4, 1, 9, 0, tzinfo=timezone.utc)


def _run_on(site, data, day: datetime, revisit: str = "due"):
    """One crawl of the fixture site on `day` (the crawler's clock); the paths it requested, and its summary."""
    c = crawler(site, data)
    c.now = lambda: day
    first = len(site.log)
    summary = c.run(mode=revisit)
    c.archive.close()
    c.state.close()
    return [p for _, p, _ in site.log[first:]], summary


def _classes(data) -> dict[str, str]:
    state = CrawlState(data / "crawl" / "state.sqlite")
    try:
        return {"/" + p.url.split("/", 3)[3]: p.page_status for p in state.known_pages()}
    finally:
        state.close()


def test_the_revisit_schedule_asks_awaiting_and_overdue_pages_every_run_and_answered_ones_when_due(tmp_path):
    with FixtureSite() as site:
        build(site)
        first, one = _run_on(site, tmp_path, T0)
        statuses = _classes(tmp_path)
        # The next day: only the awaiting and the overdue page are asked again; no answered page is asked.
        second, two = _run_on(site, tmp_path, T0 + timedelta(days=1))
        # 31 days on: Essex's due date has passed (now overdue), and the answered pages are due again.
        third, three = _run_on(site, tmp_path, T0 + timedelta(days=31))

    assert set(KNOWN) <= set(first) and statuses == KNOWN
    assert one.schedule["answered"] | {"every_days": None} == {"pages": 5, "every_days": None, "next_date": "2025-05-01", "next_count": 5}
    assert (one.schedule["awaiting"]["pages"], one.schedule["overdue"]["pages"]) == (1, 1)

    asked_again = {p for p in second if p in KNOWN}
    assert asked_again == {p for p, c in KNOWN.items() if c != "answered"}
    assert (two.asked["awaiting"], two.asked["overdue"], two.asked["answered"]) == (1, 1, 0)
    # Kent, Norfolk, Sussex and the slow page are listed but not due, and so are the aliases /node/777 (Devon) and /node/779 (Kent).
    assert two.held == 6 and "/node/777" not in second and "/node/779" not in second
    assert two.schedule["answered"]["next_date"] == "2025-05-01"

    assert {p for p in third if p in KNOWN} == set(KNOWN)
    assert (three.asked["awaiting"], three.asked["overdue"], three.asked["answered"]) == (0, 2, 5)
    assert three.schedule["answered"]["next_date"] == "2025-06-01" and three.schedule["overdue"]["pages"] == 2
    assert three.held == 2  # the aliases: their pages were asked directly


def test_revisit_all_asks_every_known_page_and_none_only_new_ones(tmp_path):
    with FixtureSite() as site:
        build(site)
        _run_on(site, tmp_path, T0)
        site.routes[NEW] = Route(page_html(case_page(
            "2024/300009", "Cumbria Constabulary",
            "The IOPC recommends that Cumbria Constabulary review how it records welfare checks on people in custody.",
            status="Awaiting response")))
        site.routes["/our-work/learning"].body = site.routes["/our-work/learning"].body.replace(b"</ul>", f"<li><a href='{NEW}'>x</a></li></ul>".encode())
        nothing, none = _run_on(site, tmp_path, T0 + timedelta(days=1), revisit="none")
        everything, every = _run_on(site, tmp_path, T0 + timedelta(days=2), revisit="all")

    assert not [p for p in nothing if p in KNOWN] and NEW in nothing  # only the new page is asked
    assert none.new == 1 and none.held == 8 and none.revisit == "none"  # every listed known page, and the two aliases
    assert {p for p in everything if p in KNOWN | {NEW: ""}} == set(KNOWN) | {NEW}
    assert every.unchanged == len(KNOWN) + 1 and every.held == 2  # the aliases: their pages were asked directly


def test_revisit_schedule_is_declared_per_source_over_the_file_defaults(tmp_path):
    from ontology.sources import Revisit, load_sources

    path = tmp_path / "sources.yaml"
    path.write_text("""
defaults:
  revisit: {answered: 90}
one:
  label: One
  start: ["https://one.example/sitemap.xml"]
  pages: ["/r/[a-z]+"]
two:
  label: Two
  start: ["https://two.example/sitemap.xml"]
  pages: ["/r/[a-z]+"]
  revisit: {awaiting: 2}
""")
    sources = load_sources(path)
    assert sources["one"].revisit == Revisit(awaiting=0, answered=90, overdue=0)
    assert sources["two"].revisit == Revisit(awaiting=2, answered=90, overdue=0)


def test_update_sees_a_status_change_behind_unchanged_sitemaps_and_changes_lists_it(tmp_path, monkeypatch):
    """Done-when of issue 30: only a page's status changes (every sitemap and listing answers 304) and a
    child sitemap lists one more page under an unchanged index; `update` finds both, says so with its
    schedule, and `changes --since` lists the status change."""
    import json

    from click.testing import CliRunner

    from api.cli import main
    from tests.crawl.site import ESSEX_ACCEPTED

    essex = "/our-work/learning/recommendation-essex-police-march-2025"
    with FixtureSite() as site:
        build(site)
        for path in ("/sitemap.xml", "/sitemap-iopc.xml", "/sitemap-mirror.xml.gz", "/our-work/learning", "/our-work/learning?page=2"):
            site.routes[path].etag = f'"{path}-1"'
        site.sources_file(tmp_path)
        env = {"IOPC_KG_SOURCES_FILE": str(tmp_path / "sources.yaml"), "IOPC_KG_CRAWL_DELAY": "0.01", "IOPC_KG_CRAWL_TIMEOUT": "1.0",
               "IOPC_KG_CRAWL_BACKOFF": "0.05", "IOPC_KG_CRAWL_MAX_BYTES": "200000", "IOPC_KG_CRAWL_CONTACT": "tests@example.org"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        data = str(tmp_path / "data")
        runner = CliRunner()
        runner.invoke(main, ["--data-dir", data, "update", "--json"])
        between = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # compared as text: a whole second would miss its own fetches
        site.routes[essex] = Route(page_html(ESSEX_ACCEPTED), etag='"essex-2"')
        child = site.routes["/sitemap-iopc.xml"]
        child.body = child.body.replace(b"</urlset>", sitemap([(site.url(NEW), None)]).split(b'0.9">', 1)[1])
        child.etag = '"/sitemap-iopc.xml-2"'
        site.routes[NEW] = Route(page_html(case_page(
            "2024/300009", "Cumbria Constabulary",
            "The IOPC recommends that Cumbria Constabulary review how it records welfare checks on people in custody.",
            status="Awaiting response")))
        first = len(site.log)
        moved = runner.invoke(main, ["--data-dir", data, "update", "--json"])
        second = [(p, h) for _, p, h in site.log[first:]]
        again = runner.invoke(main, ["--data-dir", data, "update"])  # printed: the fixture's failing pages fail again
        shown = runner.invoke(main, ["--data-dir", data, "update", "--verbose", "--revisit", "none"])
    changes = runner.invoke(main, ["--data-dir", data, "changes", "--since", between, "--json"])

    assert [h.get("If-None-Match") for p, h in second if p == "/sitemap.xml"] == ['"/sitemap.xml-1"']  # the index: a 304
    report = json.loads(moved.stdout.strip().splitlines()[-1])
    crawl = report["crawl"]
    assert crawl["new"] == 1 and crawl["changed"] == 1 and crawl["revisit"] == "due"
    assert crawl["status_changes"] == [{"url": site.url(essex), "previous": "overdue", "status": "answered"}]
    assert crawl["asked"]["answered"] == 0 and crawl["held"] >= 4  # answered pages were not asked
    # Next time: Thames Valley and Cumbria (due in 2024, no response) every run; the answered pages in 30 days.
    assert {c: p["pages"] for c, p in crawl["schedule"].items()} == {"awaiting": 0, "overdue": 2, "answered": 6}
    assert crawl["schedule"]["answered"]["every_days"] == {"fixture": 30}
    assert {(r["rec_id"], r["change"]) for r in report["changes"]} == {("2024-300001-1", "status+response"), ("2024-300009-1", "new")}
    assert "Asked (--revisit due): 3 new, 0 awaiting, 2 overdue, 0 answered" in again.stdout  # 3 new: the failing pages
    assert "Revisit schedule: 0 awaiting (every run); 2 overdue (every run); 6 answered (every 30 days, next 6 on " in again.stdout
    assert "Asked (--revisit none)" in shown.stdout and "Revisit schedule:" in shown.stdout and "6 answered (every 30 days" in shown.stdout
    assert changes.exit_code == 0, (changes.output, between, [r["seen"] for r in report["changes"]])
    rows = [json.loads(line) for line in changes.stdout.splitlines()]
    essex_rows = [r for r in rows if r["rec_id"] == "2024-300001-1"]
    assert [(r["change"], r["previous_status"], r["status"]) for r in essex_rows] == [("status+response", "awaiting_response", "accepted")]


def test_a_state_file_from_before_the_schedule_is_opened_and_its_pages_are_asked_until_read(tmp_path):
    import sqlite3

    from ingest.revisit import page_class

    path = tmp_path / "state.sqlite"
    old = sqlite3.connect(path)  # the urls table as the first crawler wrote it
    old.execute("CREATE TABLE urls (url TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, lastmod TEXT, "
                "queued_run INTEGER, done_run INTEGER, seq INTEGER, etag TEXT, last_modified TEXT, digest TEXT, status INTEGER, "
                "outcome TEXT, error TEXT, fetched_at TEXT, first_fetched TEXT, warc TEXT, warc_offset INTEGER, record_id TEXT, "
                "warc_date TEXT, warc_digest TEXT)")
    old.execute("INSERT INTO urls(url, source, kind, digest, fetched_at) VALUES ('http://x.test/r/a', 'x', 'page', 'sha1:A', '2025-01-01T00:00:00+00:00')")
    old.commit()
    old.close()
    state = CrawlState(path)
    try:
        (page,) = state.known_pages()
    finally:
        state.close()
    assert page.page_status is None and page.asked_at is None
    assert page_class(page, datetime(2025, 6, 1).date()) == "awaiting"  # asked every run until a fetch reads it


def test_a_sitemap_lastmod_after_the_last_request_makes_an_answered_page_due_at_once():
    from ingest.crawl_state import UrlState
    from ingest.revisit import is_due
    from ontology.sources import Revisit

    page = UrlState("http://x.test/r/a", "x", "page", digest="sha1:A", asked_at="2025-04-01T09:00:00+00:00", page_status="answered")
    day = datetime(2025, 4, 10).date()
    assert not is_due(page, Revisit(), day)
    page.lastmod = "2025-04-05"  # the site says the page changed since it was asked
    assert is_due(page, Revisit(), day)
    assert is_due(UrlState("http://x.test/r/a", "x", "page", digest="sha1:A", asked_at="2025-04-01T09:00:00+00:00",
                           page_status="answered"), Revisit(answered=9), day)
