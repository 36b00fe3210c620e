"""What a re-crawl asks again when the site's discovery documents have not changed (issue 30): an
unchanged (304) sitemap index or listing still yields its children, read from the archived copy."""

from __future__ import annotations

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
