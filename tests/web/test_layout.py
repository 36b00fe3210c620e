"""Every view of the explorer at a phone's width (390 px) and a laptop's (1366 px), on the samples and
on a 2,000-case corpus: no sideways scrolling, no text cut off or too small, a graph whose nodes all
have names and whose shown labels do not overlap, and axe-core (WCAG 2.1 A/AA and best practice)
reporting no violation. Screenshots go to test-artefacts/screenshots/layout-*.png.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.web import checks

ARTEFACTS = Path(os.environ.get("IOPC_KG_ARTEFACTS", ROOT / "test-artefacts")) / "screenshots"
WIDTHS = (390, 1366)


def views(base: str) -> list[str]:
    """One address of every view, with ids that exist in the corpus served at `base`."""
    hit = httpx.get(f"{base}/search", params={"q": "custody", "page_size": 1}).json()["hits"][0]
    theme = httpx.get(f"{base}/themes", params={"page_size": 100}).json()["data"]
    theme = max(theme, key=lambda t: t.get("recommendations") or 0)["id"]
    return [
        "/#/search?q=custody", "/#/search?q=athena&status=accepted", f"/#/recommendation/{hit['id']}", f"/#/case/{hit['case_id']}",
        "/#/force/essex", "/#/programme/athena", f"/#/theme/{theme}", "/#/body/college-of-policing",
        "/#/forces", "/#/programmes", "/#/bodies", "/#/patterns", "/#/graph", "/#/graph?node=force:essex",
    ]


def visit(page, view: str) -> None:
    """Go to a view and wait until it has drawn (main[data-view] names the address it shows)."""
    page.goto(view)
    settle(page)


def settle(page) -> None:
    want = page.evaluate("location.hash || '#/'")
    page.wait_for_selector(f"main[data-view={want!r}]".replace("'", '"'))
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + 20
    while page.locator("main .loading").count() and time.monotonic() < deadline:
        time.sleep(0.05)
    if "graph" in page.url:
        deadline = time.monotonic() + 20
        while not page.evaluate("window.iopcGraph && window.iopcGraph.nodes().length > 0") and time.monotonic() < deadline:
            time.sleep(0.05)


def check_page(page, label: str) -> list[str]:
    problems = [f"{label}: scroll {p}" for p in checks.horizontal_scroll(page)]
    problems += [f"{label}: clipped {p}" for p in checks.clipped_labels(page)]
    problems += [f"{label}: axe {p}" for p in checks.axe_violations(page)]
    if "#/graph" in page.url:
        g = checks.graph_legibility(page)
        # Every node has a name; shown labels never overlap (a label that would, gives way: its name
        # stays in the list beside the graph), yet most nodes, or at least 8, are named on the drawing.
        if g["unnamed"] or g["overlaps"] or g["labelled"] < min(8, math.ceil(0.6 * g["nodes"])) or (g["smallest"] or 0) < 11:
            problems.append(f"{label}: graph not legible {g}")
        # The drawing fits the window, and its count and "show more" sit above it.
        box, inner = page.locator("#cy").bounding_box(), page.evaluate("[innerWidth, innerHeight]")
        if box["width"] > inner[0] or box["height"] > inner[1] * 0.9:
            problems.append(f"{label}: graph {box['width']:.0f}x{box['height']:.0f} does not fit a {inner[0]}x{inner[1]} window")
        if page.locator("#graph-count").bounding_box()["y"] > box["y"]:
            problems.append(f"{label}: the graph's count is below the graph")
    return problems


def shoot(page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"layout-{name}.png"), full_page=True)


def tour(page, base: str, corpus: str, width: int) -> list[str]:
    problems = []
    for view in views(base):
        visit(page, view)
        name = f"{corpus}-{width}-" + re.sub(r"[^\w-]+", "-", view.strip("/#"))[:50].strip("-")
        problems += check_page(page, f"{view} at {width}px")
        shoot(page, name)
    problems += page.problems
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_view_fits_and_passes_axe_on_the_samples(viewed, samples_url, width):
    page = viewed(samples_url, width)
    problems = tour(page, samples_url, "samples", width)
    assert not problems, "\n".join(problems)


@pytest.mark.slow  # builds and serves a 2,000-case corpus; the samples' tour above is the fast tier's
@pytest.mark.parametrize("width", WIDTHS)
def test_every_view_fits_and_passes_axe_on_a_2000_case_corpus(viewed, corpus_url, width):
    page = viewed(corpus_url, width)
    problems = tour(page, corpus_url, "corpus", width)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_opened_controls_pass_too(viewed, samples_url, width):
    """What a reader opens (folded filters, "show more", a selected graph node) is checked as well."""
    page = viewed(samples_url, width)
    visit(page, "/#/search?q=athena")
    fold = page.locator("aside.filters details.fold")
    assert fold.evaluate("d => d.open") == (width > 800)  # folded on a phone, results first
    if width < 800:
        results_top = page.locator("#result-count").bounding_box()["y"]
        assert results_top < 844, "the results start below the first screen on a phone"
        page.locator("aside.filters summary").click()
    problems = check_page(page, "search, filters open")

    visit(page, "/#/force/essex")
    page.locator("main button.more").first.click()
    problems += check_page(page, "force, list unfolded")

    visit(page, "/#/graph")
    page.locator("#graph-nodes button").first.click()
    problems += check_page(page, "graph, node selected")
    shoot(page, f"samples-{width}-graph-selected")
    assert not problems + page.problems, "\n".join(problems + page.problems)
