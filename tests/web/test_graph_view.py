"""The graph view as a researcher uses it, in Chromium on the samples: the weighted overview says how
much it shows and shows more on request, filters by relation kind, finds a path between nodes chosen
by searching (neither on screen), and downloads exactly what is drawn."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import networkx as nx

from tests.web.test_layout import settle, shoot, visit


def drawn(page) -> tuple[int, int]:
    return page.evaluate("[window.iopcGraph.nodes(':visible').length, window.iopcGraph.edges(':visible').length]")


def test_overview_says_how_much_it_shows_and_shows_more(viewed, samples_url):
    page = viewed(samples_url, 1366)
    visit(page, "/#/graph?n=10")
    text = page.locator("#graph-count").inner_text()
    shown, total = map(int, re.search(r"the (\d+) heaviest of (\d+) connections", text).groups())
    assert shown == 10 == drawn(page)[1] and total > shown
    # Every node has its name, edges carry the relation and the count.
    assert page.evaluate("window.iopcGraph.nodes().every(n => n.data('name') && !/^\\w+:/.test(n.data('name')))")
    assert page.evaluate("window.iopcGraph.edges().every(e => /^(mentions|about|addressed to) · \\d+$/.test(e.data('label')))")
    page.locator("#graph-more a", has_text="Show").first.click()
    settle(page)
    assert drawn(page)[1] == min(20, total)
    assert not page.problems


def test_overview_filters_by_relation_kind(viewed, samples_url):
    page = viewed(samples_url, 1366)
    visit(page, "/#/graph")
    assert page.evaluate("window.iopcGraph.nodes().some(n => n.data('kind') === 'Theme')")
    page.locator("#graph-relations input[value=theme]").uncheck()
    page.locator("#graph-relations button[type=submit]").click()
    settle(page)
    assert "kinds=programme" in page.url and "kinds=theme" not in page.url
    assert not page.evaluate("window.iopcGraph.nodes().some(n => n.data('kind') === 'Theme')")
    assert page.evaluate("window.iopcGraph.edges().every(e => e.data('type') !== 'theme')")


def choose(page, field: str, typed: str, wanted: str) -> str:
    """Type into a node picker, wait for the suggestion ending with `wanted`, and take it."""
    page.locator(f"#{field}").fill(typed)
    option = page.locator(f"#graph-node-options option[value$='{wanted}']").first
    option.wait_for(state="attached")
    value = option.get_attribute("value")
    page.locator(f"#{field}").fill(value)
    return value


def test_path_ends_are_found_by_searching_any_node(viewed, samples_url):
    page = viewed(samples_url, 390)
    visit(page, "/#/graph?kinds=theme&n=5")  # a small overview: neither end is drawn
    on_screen = set(page.evaluate("window.iopcGraph.nodes().map(n => n.id())"))
    assert "force:lancashire" not in on_screen
    page.locator("#path-from").fill("Lancashire Con")  # part of a name is enough
    rec = choose(page, "path-to", "rousing detainees", "(recommendation)")
    assert rec.startswith("Recommendation ")
    page.locator("#find-path").click()
    page.wait_for_selector("ol.path-steps li")
    steps = page.locator("ol.path-steps li").all_inner_texts()
    assert steps[0] == "Force: Lancashire Constabulary" and steps[-1].startswith("Recommendation 1 · ") and steps[-1].endswith("Merseyside Police")
    marked = page.evaluate("window.iopcGraph.nodes('.path').map(n => n.id())")
    assert "force:lancashire" in marked and len(marked) == len(steps)
    shoot(page, "graph-path-390")
    assert not page.problems


def test_downloads_hold_what_is_on_screen(viewed, samples_url, tmp_path):
    page = viewed(samples_url, 1366)
    visit(page, "/#/graph?n=12")
    nodes, edges = drawn(page)
    names = set(page.evaluate("window.iopcGraph.nodes().map(n => n.data('raw').name)"))

    with page.expect_download() as info:
        page.locator("#save-graphml").click()
    info.value.save_as(tmp_path / "view.graphml")
    g = nx.read_graphml(tmp_path / "view.graphml")
    assert (g.number_of_nodes(), g.number_of_edges()) == (nodes, edges)
    assert {d["name"] for _, d in g.nodes(data=True)} == names

    with page.expect_download() as info:
        page.locator("#save-gexf").click()
    info.value.save_as(tmp_path / "view.gexf")
    root = ET.parse(tmp_path / "view.gexf").getroot()
    assert len([e for e in root.iter() if e.tag.endswith("}node")]) == nodes
    assert len([e for e in root.iter() if e.tag.endswith("}edge")]) == edges

    with page.expect_download() as info:
        page.locator("#save-png").click()
    info.value.save_as(tmp_path / "view.png")
    assert (tmp_path / "view.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not page.problems
