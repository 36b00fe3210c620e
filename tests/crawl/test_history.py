"""Done-when of issue 16: a crawl of the fixture site from empty, then a re-crawl after changes, gives
exactly the expected cases and history, in both stores, the API, the RDF and the CLI."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rdflib import URIRef
from rdflib.namespace import PROV

from api.app import create_app
from api.cli import main
from api.deps import Services
from ontology.settings import Settings
from graph.rdf import Terms, case_graph
from ingest.load import ingest_paths
from search.index import SearchIndex
from search.query import Engine
from tests.crawl.site import ESSEX_ACCEPTED, FixtureSite, Route, build, case_page, page_html
from tests.crawl.test_crawl import crawler

FIRST = {"2024-300001", "2024-300002", "2024-300003", "2024-300004", "2024-300005", "2024-300006", "2024-300007"}
ESSEX = "2024-300001-1"


def _change_site(site: FixtureSite) -> None:
    """Between the crawls: Essex's response arrives, and a new page is listed."""
    site.routes["/our-work/learning/recommendation-essex-police-march-2025"] = Route(page_html(ESSEX_ACCEPTED), etag='"essex-2"')
    site.routes["/our-work/learning?page=2"].body += b"<a href='/our-work/learning/recommendation-lancashire-constabulary-may-2024'>x</a>"
    site.routes["/our-work/learning/recommendation-lancashire-constabulary-may-2024"] = Route(page_html(case_page(
        "2024/300008", "Lancashire Constabulary",
        "The IOPC recommends that Lancashire Constabulary review how it shares information about domestic abuse with schools.",
        status="Awaiting response")))


def _crawl(site, data: Path):
    c = crawler(site, data)
    summary = c.run(mode="all")  # Kent's unchanged page is asked again: its history records the 304
    c.archive.close()
    c.state.close()
    return c.sources, summary


def test_crawl_recrawl_and_history_in_the_store_api_and_rdf(empty_store, tmp_path):
    store = empty_store
    index = SearchIndex(tmp_path / "index")
    with FixtureSite() as site:
        build(site)
        sources, first = _crawl(site, tmp_path)
        one = ingest_paths([tmp_path / "warc"], store, index, sources=sources)
        assert {c.id for c in store.case_records()} == FIRST
        assert one.written == len(FIRST) and not one.failures
        between = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        _change_site(site)
        sources, second = _crawl(site, tmp_path)
        disallowed = [p for p in site.paths() if p.startswith("/private/") or p.endswith("recommendation-withheld")]
    two = ingest_paths([tmp_path / "warc"], store, index, sources=sources)
    assert disallowed == []
    assert (second.new, second.changed) == (1, 1)
    assert {c.id for c in store.case_records()} == FIRST | {"2024-300008"}
    assert not two.failures

    # Essex: awaiting, then accepted with a response; each observation leads back to its archived record.
    case, rec = store.recommendation(ESSEX)
    assert [(o.status, o.response is not None) for o in rec.history] == [("awaiting_response", False), ("accepted", True)]
    assert rec.history[0].first_seen < rec.history[1].first_seen
    for o in rec.history:
        warc, offset = o.archive.rsplit("#", 1)
        with open(warc, "rb") as f:
            f.seek(int(offset))
            assert f.read(2) == b"\x1f\x8b"  # a gzip member: the WARC record starts here
    source = case.sources[0]
    assert source.path.endswith(".warc.gz") and source.offset is not None and source.retrieved > between
    rows = store.history(ESSEX)
    assert [(r["status"], r["change"]) for r in rows] == [("awaiting_response", "new"), ("accepted", "status+response")]
    # Kent did not change: one observation, last seen at the second crawl (a 304).
    kent = store.recommendation("2024-300002-1")[1].history
    assert len(kent) == 1 and kent[0].last_seen > kent[0].first_seen

    # What moved since the first crawl ended: Essex's change and the new Lancashire recommendation, nothing else.
    moved = store.changes(between)
    assert sorted((r["rec_id"], r["change"]) for r in moved) == sorted([(ESSEX, "status+response"), ("2024-300008-1", "new")])
    assert next(r for r in moved if r["rec_id"] == ESSEX)["previous_status"] == "awaiting_response"

    # Re-ingesting the same archive changes nothing.
    again = ingest_paths([tmp_path / "warc"], store, index, sources=sources)
    assert again.written == 0

    # RDF: the observations are PROV-O revisions of each other, specialisations of the recommendation.
    terms = Terms()
    g = case_graph(store.case_record("2024-300001"), terms)
    o1, o2 = terms.node("Observation", f"{ESSEX}-o1"), terms.node("Observation", f"{ESSEX}-o2")
    assert (o2, PROV.wasRevisionOf, o1) in g
    assert (o1, PROV.specializationOf, terms.node("Recommendation", ESSEX)) in g
    assert g.value(o2, PROV.generatedAtTime) is not None
    assert isinstance(g.value(o2, PROV.hadPrimarySource), URIRef)

    # The API: the recommendation has its history; /changes lists what moved.
    settings = Settings(data_dir=tmp_path / "api", _env_file=None)
    app = create_app(settings, Services(settings, store, index, Engine(index)))
    with TestClient(app, base_url="http://127.0.0.1") as client:  # a trusted host (settings.trusted_hosts)
        body = client.get(f"/recommendations/{ESSEX}").json()
        assert [h["status"] for h in body["history"]] == ["awaiting_response", "accepted"]
        assert body["history"][1]["change"] == "status+response"
        changes = client.get("/changes", params={"since": between}).json()
        assert {r["rec_id"] for r in changes} == {ESSEX, "2024-300008-1"}
        assert client.get("/changes", params={"since": "yesterday"}).status_code == 422
        # The same as an Atom feed a reader validates (feedparser), filtered like a search.
        import feedparser

        feed = feedparser.parse(client.get("/changes.atom", params={"since": between, "force": "Essex Police"}).content)
        assert not feed.bozo and feed.version == "atom10"
        (entry,) = feed.entries
        assert ESSEX in entry.title and "awaiting response to accepted" in entry.title and entry.link.endswith(f"/#/recommendation/{ESSEX}")
        everything = feedparser.parse(client.get("/changes.atom", params={"since": between}).content)
        assert {e.link.rsplit("/", 1)[1] for e in everything.entries} == {ESSEX, "2024-300008-1"}
        assert everything.entries[0].updated >= everything.entries[-1].updated  # newest first
        assert not feedparser.parse(client.get("/changes.atom", params={"since": between, "force": "kent"}).content).entries
        assert client.get("/changes.atom", params={"force": "nowhere"}).status_code == 422
        # Forces side by side: Essex's response is the one whose arrival was observed.
        essex = next(r for r in client.get("/patterns/compare").json() if r["id"] == "essex")
        assert essex["responses_timed"] == 1 and essex["median_days_to_respond"] is not None
    index.close()


def test_update_from_cron_is_quiet_when_nothing_changed_and_locked_against_a_second_run(tmp_path, monkeypatch):
    with FixtureSite() as site:
        build(site)
        sources_file = tmp_path / "sources.yaml"
        site.sources_file(tmp_path)
        env = {"IOPC_KG_SOURCES_FILE": str(sources_file), "IOPC_KG_CRAWL_DELAY": "0.01", "IOPC_KG_CRAWL_TIMEOUT": "1.0",
               "IOPC_KG_CRAWL_BACKOFF": "0.05", "IOPC_KG_CRAWL_MAX_BYTES": "200000", "IOPC_KG_CRAWL_CONTACT": "tests@example.org"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        data = tmp_path / "data"
        runner = CliRunner()
        failing = runner.invoke(main, ["--data-dir", str(data), "update", "--json"])
        # The fixture's failing pages (a 500 that never recovers, an oversized page, a redirect off-site) give exit 1.
        assert failing.exit_code == 1, failing.output
        report = json.loads(failing.stdout.strip().splitlines()[-1])
        assert report["crawl"]["new"] == 7 and report["ingest"]["cases"] == 7
        # The site drops the failing pages from its sitemaps and listings: nothing new, nothing printed.
        r = site.routes
        r["/sitemap-iopc.xml"].body = r["/sitemap-iopc.xml"].body.replace(site.url("/node/778").encode(), site.url("/about").encode())
        r["/sitemap-mirror.xml.gz"].body = gzip.compress(gzip.decompress(r["/sitemap-mirror.xml.gz"].body).replace(b"too-big", b"slow-page"))
        r["/our-work/learning?page=2"].body = r["/our-work/learning?page=2"].body.replace(b"recommendation-flaky-server", b"gone")
        quiet = runner.invoke(main, ["--data-dir", str(data), "update"])
        assert quiet.exit_code == 0 and quiet.stdout == "", quiet.output
        _change_site(site)
        moved = runner.invoke(main, ["--data-dir", str(data), "update"])
        assert "2024-300001-1" in moved.stdout and "2024-300008-1" in moved.stdout
        silent = runner.invoke(main, ["--data-dir", str(data), "update"])
        changes = runner.invoke(main, ["--data-dir", str(data), "changes", "--since", "2000-01-01", "--json"])
    assert moved.exit_code == 0
    assert silent.exit_code == 0 and silent.stdout == "", silent.output
    rows = [json.loads(line) for line in changes.stdout.splitlines()]
    assert {(r["rec_id"], r["change"]) for r in rows} >= {("2024-300001-1", "new"), ("2024-300001-1", "status+response"), ("2024-300008-1", "new")}
    # A second update while one holds the lock exits at once with 75.
    from filelock import FileLock

    with FileLock(data / "crawl" / "crawl.lock"):
        busy = runner.invoke(main, ["--data-dir", str(data), "update"])
    assert busy.exit_code == 75


@pytest.mark.parametrize("since", ["2026-13", "last week"])
def test_changes_refuses_a_bad_date(tmp_path, since):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "changes", "--since", since])
    assert result.exit_code == 2
