"""Graph downloads are whole and say what they are: every GraphML / GEXF answer opens in networkx
with the nodes and edges the JSON of the same question reports, in totals when it is cut; every
node is labelled by its name; the figures are in the file and its headers. Written for issue 32 over
the sample corpus in a real store (both stores)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

GRAPHS = [
    ("/graph/overview", {}),
    ("/graph/overview", {"kinds": ["programme", "theme", "addressed_to", "linked_body"], "min_weight": 1}),
    ("/graph/neighbourhood", {"node": "force:essex", "depth": 2}),
    ("/graph/neighbourhood", {"node": "programme:athena", "depth": 2}),
    ("/patterns/cooccurrence", {"pair": "programme-programme"}),
    ("/patterns/cooccurrence", {"pair": "programme-theme"}),
    ("/patterns/similarity", {"force": "essex"}),
    ("/patterns/spread", {"kind": "programme"}),
]


def read(response, fmt):
    data = io.BytesIO(response.content)
    return nx.read_graphml(data) if fmt == "graphml" else nx.read_gexf(data)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("path, params", GRAPHS)
def test_a_graph_file_holds_what_the_json_reports(client, path, params, fmt):
    rows = {"limit": 1000} if path in ("/patterns/cooccurrence", "/patterns/spread") else {}  # the JSON's every row
    answer = client.get(path, params={**params, **rows}).json()
    r = client.get(path, params={**params, "format": fmt})
    assert r.status_code == 200, r.text
    g = read(r, fmt)
    if isinstance(answer, dict):  # a graph answer: the file holds every node and edge the JSON counts
        assert g.number_of_nodes() == answer.get("total_nodes", len(answer["nodes"]))
        assert g.number_of_edges() == answer.get("total_edges", len(answer["edges"]))
    else:  # rows: one edge per row (co-occurrence, similarity) or per force reached (spread)
        edges = sum(len(row["force_ids"]) for row in answer) if "force_ids" in (answer or [{}])[0] else len(answer)
        assert g.number_of_edges() == edges
    assert r.headers["X-Total-Nodes"] == str(g.number_of_nodes()) and r.headers["X-Total-Edges"] == str(g.number_of_edges())
    assert r.headers["X-Truncated"] == "false"
    for key, attrs in g.nodes(data=True):
        # Every node by its name: a force, programme or theme never shows as its id (`nie`, `essex`).
        assert attrs.get("label") and (attrs["label"] != attrs.get("iopc_id") or not attrs.get("name")), (key, attrs)
        if attrs.get("name"):
            assert attrs["label"] == attrs["name"]


def test_a_cut_graph_file_says_so_in_the_file_and_its_headers(client):
    whole = client.get("/graph/overview").json()
    r = client.get("/graph/overview", params={"format": "graphml", "max_edges": 3})
    g = read(r, "graphml")
    assert g.number_of_edges() == 3
    assert g.graph["total_edges"] == whole["total_edges"] > 3 and g.graph["truncated"] is True
    assert g.graph["total_nodes"] == whole["total_nodes"]
    assert (r.headers["X-Truncated"], r.headers["X-Total-Edges"], r.headers["X-Shown-Edges"]) == ("true", str(whole["total_edges"]), "3")
    gexf = client.get("/graph/overview", params={"format": "gexf", "max_edges": 3})
    description = ET.fromstring(gexf.content).find(".//{*}meta/{*}description").text
    assert f"total_edges={whole['total_edges']}" in description and "truncated=true" in description


def test_the_overview_file_is_not_capped_by_the_json_page(client, services):
    # More edges than the JSON page allows: the file still holds every one.
    whole = client.get("/graph/overview", params={"kinds": ["programme", "theme", "addressed_to", "linked_body"]}).json()
    g = read(client.get("/graph/overview", params={"kinds": ["programme", "theme", "addressed_to", "linked_body"], "format": "graphml"}), "graphml")
    assert g.number_of_edges() == whole["total_edges"] and g.graph["truncated"] is False
    assert client.get("/graph/overview", params={"max_edges": services.settings.max_nodes + 1}).status_code == 422  # the JSON page keeps its cap


def test_a_cut_neighbourhood_counts_what_it_left_out(client):
    whole = client.get("/graph/neighbourhood", params={"node": "programme:athena", "max_nodes": 500}).json()
    cut = client.get("/graph/neighbourhood", params={"node": "programme:athena", "max_nodes": 4, "rank": "weight"}).json()
    assert not whole["truncated"] and whole["total_nodes"] == len(whole["nodes"]) > 4
    assert cut["truncated"] and len(cut["nodes"]) == 4 and cut["rank"] == "weight"
    assert (cut["total_nodes"], cut["total_edges"]) == (whole["total_nodes"], whole["total_edges"])
    assert client.get("/graph/neighbourhood", params={"node": "force:essex", "rank": "loudest"}).status_code == 422
