"""GET /graph/overview: the weighted overview the explorer's graph view opens on."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def test_overview_answers_with_totals_and_named_nodes(client):
    r = client.get("/graph/overview", params={"kinds": ["programme", "theme"], "max_edges": 5})
    assert r.status_code == 200
    body = r.json()
    assert len(body["edges"]) == 5 and body["total_edges"] > 5 and body["truncated"]
    assert body["kinds"] == ["programme", "theme"]
    assert all(n["name"] and n["key"] for n in body["nodes"])
    assert all(e["relation"] in ("mentions", "about") and e["weight"] >= 1 for e in body["edges"])


def test_overview_exports_what_it_answers(client):
    params = {"kinds": ["programme"], "max_edges": 7}
    json_graph = client.get("/graph/overview", params=params).json()
    r = client.get("/graph/overview", params={**params, "format": "graphml"})
    assert r.status_code == 200 and "graphml" in r.headers["content-type"]
    tree = ET.fromstring(r.content)
    assert len([e for e in tree.iter() if e.tag.endswith("}node")]) == len(json_graph["nodes"])
    assert len([e for e in tree.iter() if e.tag.endswith("}edge")]) == len(json_graph["edges"])


def test_overview_refuses_bad_parameters_by_name(client):
    for params, name in (({"kinds": "cheese"}, "kinds"), ({"max_edges": 100_000}, "max_edges"), ({"min_weight": 0}, "min_weight")):
        r = client.get("/graph/overview", params=params)
        assert r.status_code == 422 and any(k.startswith(name) for k in r.json()["details"]), (params, r.json())
