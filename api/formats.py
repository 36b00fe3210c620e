"""Other shapes of the same answers: CSV for every list (researchers live in spreadsheets) and
GraphML / GEXF for graphs (Gephi), written with the csv module and networkx."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
from fastapi.responses import Response

CSV = "text/csv; charset=utf-8"
GRAPH_TYPES = {"graphml": "application/graphml+xml", "gexf": "application/gexf+xml"}


def flatten(row: dict, prefix: str = "") -> dict:
    """Nested values as spreadsheet cells: dicts become dotted columns, lists of values `; `-joined,
    lists of objects their ids (or JSON when they have none)."""
    out = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(isinstance(v, dict) and "id" in v for v in value):
                out[name] = "; ".join(str(v["id"]) for v in value)
            elif all(not isinstance(v, (dict, list)) for v in value):
                out[name] = "; ".join("" if v is None else str(v) for v in value)
            else:
                out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = value
    return out


def csv_response(rows: list[dict], filename: str, columns: list[str] | None = None) -> Response:
    """Rows as CSV. `columns` are the flattened columns of a row of this answer: an empty answer is
    their header row alone, so a spreadsheet or a pipeline sees the same columns either way."""
    flat = [flatten(r) for r in rows]
    found: list[str] = []
    for r in flat:
        found += [c for c in r if c not in found]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=found or list(columns or []), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(flat)
    return Response(buf.getvalue(), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def to_networkx(graph: dict) -> nx.Graph:
    """A {nodes, edges} answer (neighbourhood, path, pattern graph) as a networkx graph."""
    g = nx.MultiDiGraph() if graph.get("directed", True) else nx.Graph()
    for node in graph["nodes"]:
        # networkx's GEXF writer takes an `id` attribute as the node's GEXF id (so a force and a body
        # with the same id would collide, and the key would be lost): the id travels as `iopc_id`.
        attrs = {("iopc_id" if k == "id" else k): _cell(v) for k, v in node.items() if k not in ("key", "label") and v is not None}
        # `label` is what Gephi shows: the node's name, not its kind (kept as `kind`).
        if node.get("label") is not None:
            attrs["kind"] = _cell(node["label"])
        attrs["label"] = _cell(node.get("name") or node.get("id") or node["key"])
        g.add_node(node["key"], **attrs)
    for edge in graph["edges"]:
        # GEXF's `type` is only directed/undirected/mutual (readers drop anything else): the
        # relation's name is the `relation` attribute.
        attrs = {("relation" if k == "type" else k): _cell(v) for k, v in edge.items() if k not in ("source", "target") and v is not None}
        g.add_edge(edge["source"], edge["target"], **attrs)
    return g


def graph_response(graph: dict, fmt: str, filename: str) -> Response:
    g = to_networkx(graph)
    lines = nx.generate_graphml(g) if fmt == "graphml" else nx.generate_gexf(g)
    return Response("\n".join(lines), media_type=GRAPH_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


def _cell(value):
    """GraphML and GEXF attributes are scalars."""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)
