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


# OWASP, "CSV Injection": a cell that begins with one of these is read by Excel, LibreOffice and
# Google Sheets as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3+cmd|...`). Text from the pages and
# uploads reaches these cells, so such a cell gets a leading apostrophe and is shown as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell that no spreadsheet runs as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: list[dict]) -> str:
    """Rows (nested values flattened) as CSV with a header, every text cell neutralised."""
    flat = [{k: safe_cell(v) for k, v in flatten(r).items()} for r in rows]
    columns: list[str] = []
    for r in flat:
        columns += [c for c in r if c not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[safe_cell(c) for c in columns] or ["empty"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows({safe_cell(k): v for k, v in r.items()} for r in flat)
    return buf.getvalue()


def safe_csv(body: str | bytes) -> str:
    """CSV written by someone else (SPARQL results from rdflib) with every cell neutralised."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # SPARQL 1.1 CSV results: CRLF line ends
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([safe_cell(cell) for cell in row])
    return buf.getvalue()


def csv_response(rows: list[dict], filename: str) -> Response:
    return Response(csv_text(rows), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def to_networkx(graph: dict) -> nx.Graph:
    """A {nodes, edges} answer (neighbourhood, path, pattern graph) as a networkx graph."""
    g = nx.MultiDiGraph() if graph.get("directed", True) else nx.Graph()
    for node in graph["nodes"]:
        attrs = {k: _cell(v) for k, v in node.items() if k != "key" and v is not None}
        g.add_node(node["key"], **attrs)
    for edge in graph["edges"]:
        attrs = {k: _cell(v) for k, v in edge.items() if k not in ("source", "target") and v is not None}
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
