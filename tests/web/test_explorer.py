"""The web explorer in a real headless Chromium (Debian's, driven by Playwright) against a real server.

A researcher's path through it: search with a facet, open a recommendation, expand the graph view
and find a path, open a force page, download exports (parsed afterwards: the Turtle must be RDF
about that force). Screenshots of the main views are saved under `test-artefacts/screenshots/` (or
`$IOPC_KG_ARTEFACTS/screenshots/`). Every page must load with no console error, which includes
Content-Security-Policy violations and failed requests, so the page works with no network but ours.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef

from tests.conftest import ROOT

pw = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: pip install -e '.[test]'")

ARTEFACTS = Path(os.environ.get("IOPC_KG_ARTEFACTS", ROOT / "test-artefacts")) / "screenshots"


@pytest.fixture(scope="module")
def base(samples_url):
    return samples_url  # the sample corpus served once per session (tests/web/conftest.py)


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


@pytest.fixture
def problems():
    """Console errors, uncaught exceptions and failed loads of the page's own files: none allowed."""
    found: list[str] = []
    yield found
    assert not found, found


@pytest.fixture
def page(browser, base, problems):
    context = browser.new_context(base_url=base, accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url.replace(base, '')}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}") if "/ui/" in r.url or "/" == r.url[-1] else None)
    page.set_default_timeout(20_000)
    yield page
    context.close()


def until(condition, timeout: float = 20.0) -> None:
    """Poll `condition` (page.wait_for_function would need 'unsafe-eval', which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the page"
        time.sleep(0.05)


def shot(page, name: str) -> None:
    """Save a screenshot, after checking the view shows no JavaScript leftovers."""
    text = page.locator("main").inner_text()
    for leftover in (r"\[object Object\]", r"\bundefined\b", r"\bNaN\b", r"\bnull\b"):
        found = re.search(leftover, text)
        assert not found, (name, text[max(0, found.start() - 200):found.end() + 200])
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def result_count(page) -> int:
    return int(page.locator("#result-count").inner_text().split()[0].replace(",", ""))


def test_search_with_a_facet_then_open_a_recommendation(page):
    page.goto("/")
    page.get_by_label("Search every recommendation and response").fill("athena")
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_selector("#result-count")
    everything = result_count(page)
    assert everything >= 5
    assert page.locator("ol.hits mark").count() > 0  # matched terms are highlighted
    shot(page, "search")

    herts = page.locator('fieldset[data-facet="force"] label', has_text="Hertfordshire")
    facet_count = int(herts.locator(".count").inner_text())
    herts.locator("input").check()
    until(lambda: "force=hertfordshire" in page.url and result_count(page) == facet_count)
    assert result_count(page) == facet_count < everything
    assert "force=hertfordshire" in page.url
    titles = page.locator("ol.hits .hit-title").all_inner_texts()
    assert titles and all("Hertfordshire" in t for t in titles)
    shot(page, "search-facet")

    page.locator("ol.hits .hit-title").first.click()
    page.wait_for_selector("#rec-text")
    assert "recommendation/" in page.url
    assert "Hertfordshire" in page.locator("main dl.facts").inner_text()
    page.wait_for_selector("#similar ol li, #similar p:not(.loading)")
    shot(page, "recommendation")


def test_a_recommendation_page_shows_status_dates_response_and_similar(page):
    page.goto("/#/recommendation/2022-178839-3")
    page.wait_for_selector("#rec-response")
    assert "governance group" in page.locator("#rec-response").inner_text().lower()
    facts = page.locator("main dl.facts").inner_text()
    assert "2025-05-01" in facts and "2025-06-26" in facts and "Essex Police" in facts
    assert page.locator("main .badge.accepted").count() == 1
    page.wait_for_selector("#similar ol li")
    assert page.locator("#similar ol li").count() >= 1
    assert "Essex" not in page.locator("#similar").inner_text()  # made to other forces
    # Weak matches are hidden below a threshold the reader can move, and the page says how many.
    assert re.fullmatch(r"\d+ less similar \(below 0\.15\) hidden\.", page.locator("#similar-hidden").inner_text())
    shown = page.locator("#similar ol li").count()
    page.locator("#similar-min").fill("0")
    page.locator("#similar-min").dispatch_event("change")
    assert page.locator("#similar ol li").count() > shown and page.locator("#similar-hidden").count() == 0


def test_graph_view_expands_on_click_and_finds_a_path(page, base):
    page.goto("/#/graph?node=programme:athena")
    page.wait_for_selector("#graph-nodes li")
    before = page.locator("#graph-nodes li").count()
    assert page.evaluate("window.iopcGraph.nodes().length") == before
    # Expand a force from the keyboard-reachable list (a click on the canvas does the same).
    page.locator("#graph-nodes button", has_text="Force: Essex Police").click()
    until(lambda: page.locator("#graph-nodes li").count() > before)
    assert page.locator("#graph-details").inner_text().startswith("Force: Essex Police")
    # A click on a node drawn on the canvas selects and expands it too: pick one with neighbours not in view.
    in_view = set(page.evaluate("window.iopcGraph.nodes().map(n => n.id())"))
    target = next(key for key in sorted(in_view) if key != "force:essex" and {
        n["key"] for n in httpx.get(f"{base}/graph/neighbourhood", params={"node": key, "max_nodes": 60}).json()["nodes"]} - in_view)
    where = """key => { const p = window.iopcGraph.getElementById(key).renderedPosition();
                         const r = document.getElementById('cy').getBoundingClientRect();
                         return [r.left + p.x, r.top + p.y]; }"""

    def still():  # the layout of the expansion may still be moving the nodes: click where it stopped
        first = page.evaluate(where, target)
        time.sleep(0.3)
        return page.evaluate(where, target) == first

    until(still)
    x, y = page.evaluate(where, target)
    grown = page.locator("#graph-nodes li").count()
    page.mouse.click(x, y)
    until(lambda: page.locator("#graph-nodes li").count() > grown)
    assert page.evaluate("window.iopcGraph.$(':selected').map(n => n.id())") == [target]
    shot(page, "graph")

    page.locator("#path-from").fill("Essex Police (force)")  # a suggestion's text
    page.locator("#path-to").fill("force:kent")  # or kind:id
    page.click("#find-path")
    page.wait_for_selector("ol.path-steps li")
    steps = page.locator("ol.path-steps li").all_inner_texts()
    assert steps[0] == "Force: Essex Police" and steps[-1] == "Force: Kent Police" and len(steps) >= 3
    assert page.evaluate("window.iopcGraph.$('.path').length") >= 5  # the path's nodes and edges marked
    shot(page, "graph-path")


def test_force_page_with_charts_and_an_rdf_download(page, tmp_path):
    page.goto("/#/forces")
    page.get_by_role("link", name="Essex Police").click()
    page.wait_for_selector("h1:has-text('Essex Police')")
    assert page.locator("main figure.chart").count() >= 3  # per year by status, programmes, themes
    assert page.locator("main section", has_text="Forces most like it").locator("li").count() >= 1
    shot(page, "force")

    with page.expect_download() as info:
        page.get_by_role("link", name="RDF (Turtle)").click()
    path = tmp_path / "essex.ttl"
    info.value.save_as(path)
    g = Graph().parse(path, format="turtle")
    assert len(g) > 20
    assert any(str(s).endswith("/forces/essex") for s in g.subjects()) or (None, None, URIRef(str(next(iter(g.subjects()))))) in g


def test_search_results_download_as_csv(page, tmp_path):
    page.goto("/#/search?q=athena")
    page.wait_for_selector("#result-count")
    shown = result_count(page)
    with page.expect_download() as info:
        page.locator("main .downloads a", has_text="CSV").first.click()
    path = tmp_path / "search.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == shown and all(r["id"] for r in rows)


def test_patterns_programme_and_body_pages(page):
    page.goto("/#/patterns")
    page.wait_for_selector("#spread-h")
    assert page.locator("main figure.chart").count() >= 3
    assert "Athena" in page.locator("main section", has_text="Cross-force spread").inner_text()
    shot(page, "patterns")

    page.goto("/#/programme/athena")
    page.wait_for_selector("h1:has-text('Athena')")
    assert page.locator("main figure.chart").count() == 1
    assert page.locator("main").get_by_role("link", name="Essex Police").count() >= 1
    shot(page, "programme")

    page.goto("/#/body/college-of-policing")
    page.wait_for_selector("h1:has-text('College of Policing')")
    assert "Addressed to it" in page.locator("main").inner_text()
    shot(page, "body")


def test_every_control_has_a_label_and_unknown_ids_say_not_found(page, problems):
    for view in ("/#/search?q=custody", "/#/graph?node=force:kent", "/#/patterns"):
        page.goto(view)
        page.wait_for_selector("main h1")
        page.wait_for_load_state("networkidle")
        unlabelled = page.evaluate("""[...document.querySelectorAll('main input, main select')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.outerHTML)""")
        assert unlabelled == [], view
    page.goto("/#/force/no-such-force")
    page.wait_for_selector("main h1:has-text('Not found')")
    assert "no-such-force" in page.locator("main .error").inner_text()
    assert problems == ["HTTP 404: /forces/no-such-force"]
    problems.clear()  # the API's 404, which is the point here


def test_views_left_quickly_do_not_write_over_the_last_one(page):
    """A researcher clicking on before answers arrive: only the last view is on the page (a view
    left while its answer arrived once wrote "Something went wrong" over its successor)."""
    page.goto("/")
    for _ in range(3):
        for view in ("/#/search?q=custody", "/#/patterns", "/#/force/kent", "/#/graph?node=force:essex", "/#/programme/athena"):
            page.evaluate("url => { location.hash = url.slice(2); }", view)
    page.evaluate("url => { location.hash = url; }", "#/search?q=athena")
    page.wait_for_selector("#result-count")
    page.wait_for_load_state("networkidle")
    text = page.locator("main").inner_text()
    assert "Something went wrong" not in text and "Not found" not in text
    assert page.locator("main h1").count() == 1 and page.locator("#result-count").count() == 1
    assert result_count(page) >= 5


def test_the_keyboard_alone_reaches_content_and_filters(page):
    page.goto("/#/search?q=athena")
    page.wait_for_selector("#result-count")
    first = page.evaluate("document.querySelector('a[href], button, input, select').textContent")
    assert first == "Skip to content"  # the first stop in tab order
    page.locator("a.skip").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    box = page.locator('fieldset[data-facet="force"] input').first
    box_id = box.get_attribute("id")
    box.focus()
    page.keyboard.press("Space")  # a checkbox toggled from the keyboard filters like a click
    until(lambda: "force=" in page.evaluate("location.hash") and page.locator(f"#{box_id}:checked").count() == 1)
    # ... and the keyboard user is still on that box when the filtered results are drawn.
    until(lambda: page.evaluate("document.activeElement.id") == box_id)


@pytest.mark.parametrize("path, rendered", [("/docs", ".opblock-summary"), ("/redoc", "[data-section-id^='tag/']")])
def test_the_api_docs_render_offline_under_their_policy(page, base, problems, path, rendered):
    """Swagger UI and ReDoc from the package's vendored files: every request stays on this service
    (anything else is aborted, as offline), and the page's CSP blocks nothing they need."""
    elsewhere: list[str] = []

    def only_ours(route):
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:")):
            return route.continue_()
        elsewhere.append(url)
        return route.abort()

    page.route("**/*", only_ours)
    page.goto(path)
    page.wait_for_selector(rendered, timeout=60_000)
    assert page.locator(rendered).count() > 5
    assert not elsewhere, elsewhere
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"api-docs-{path.strip('/')}.png"))
