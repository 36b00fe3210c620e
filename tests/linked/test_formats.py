"""Graph and table formats other tools read: GEXF and GraphML keep each edge's relation as an
attribute Gephi and networkx keep (GEXF's own `type` allows only directed/undirected/mutual) and label
nodes with their names (a case with its title, a recommendation with its first words, never an id); an empty CSV answer is its header row."""

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
    labels = nx.get_node_attributes(g, "label")
    assert labels["force:essex"] == "Essex Police"
    for n in answer["nodes"]:  # every node by its name: a force or body by name, a case by title, a recommendation by its words
        named = n.get("name") or n.get("title")
        if named:
            assert labels[n["key"]] == named
        else:
            words = labels[n["key"]].removesuffix(" …")
            assert words and " ".join(n["text"].split()).startswith(words), n["key"]
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
