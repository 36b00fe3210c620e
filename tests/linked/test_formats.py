"""Graph and table formats other tools read: GEXF and GraphML keep each edge's relation as an
attribute Gephi and networkx keep (GEXF's own `type` allows only directed/undirected/mutual) and label
nodes with their names; an empty CSV answer is its header row."""

from __future__ import annotations

import csv
import io

import networkx as nx
import pytest


@pytest.mark.parametrize("fmt,read", [("gexf", nx.read_gexf), ("graphml", nx.read_graphml)])
def test_graph_formats_keep_relations_and_name_their_nodes(client, tmp_path, fmt, read):
    answer = client.get("/graph/neighbourhood", params={"node": "force:essex"}).json()
    path = tmp_path / f"g.{fmt}"
    path.write_bytes(client.get("/graph/neighbourhood", params={"node": "force:essex", "format": fmt}).content)
    g = read(path)
    relations = {e.get("relation") for _, _, e in g.edges(data=True)}
    assert relations == {e["type"] for e in answer["edges"]}
    names = {n["key"]: n.get("name") or n["id"] for n in answer["nodes"]}
    labels = nx.get_node_attributes(g, "label")
    assert labels["force:essex"] == "Essex Police" and all(labels[k] == names[k] for k in names)
    assert nx.get_node_attributes(g, "kind")["force:essex"] == "Force"


@pytest.mark.parametrize("url,params", [
    ("/patterns/spread", {"min_forces": 99, "format": "csv"}),
    ("/patterns/deadlines", {"on": "1990-01-01", "format": "csv"}),
    ("/search", {"q": "zzqqxxnothing", "format": "csv"}),
    ("/patterns/dependencies", {"min_forces": 99, "format": "csv"}),
])
def test_an_empty_csv_answer_is_its_header_row(client, url, params):
    r = client.get(url, params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert len(rows) == 1 and "empty" not in rows[0] and len(rows[0]) >= 3, rows
