"""Other shapes of the same answers: CSV and JSON lines for every list and search (researchers live in
spreadsheets), streamed whole with their figures in headers, and GraphML / GEXF for graphs (Gephi),
written with the csv module and networkx."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Iterable, Iterator, NamedTuple
from urllib.parse import quote

from api import __version__
from ontology.cells import safe_cell  # every cell of every CSV: no spreadsheet runs it as a formula

# networkx and the web framework are imported where used: the command line uses this module's CSV
# writer and starts faster without them.

CSV = "text/csv; charset=utf-8"
EXPORT_TYPES = {"csv": CSV, "jsonl": "application/x-ndjson; charset=utf-8", "json": "application/json"}
SUFFIXES = {"csv": "csv", "jsonl": "jsonl", "json": "json"}
# The figures of an export, as response headers (a CSV stays plain rows: no comment lines).
HEADERS = {"total": "X-Total-Count", "query": "X-Query", "generated": "X-Generated-At", "version": "X-IOPC-KG-Version",
           "data_updated": "X-Data-Updated", "notice": "X-Query-Notice", "did_you_mean": "X-Did-You-Mean"}
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


def columns_of(flat_rows: list[dict], empty: list[str] | None = None) -> list[str]:
    """The columns the rows have, in order of first appearance; for no rows, `empty`: the columns a row
    of this answer would have, so an empty answer is still its header row."""
    columns: dict[str, None] = {}
    for r in flat_rows:
        columns.update(dict.fromkeys(r))
    return list(columns) or list(empty or [])


def csv_text(rows: Iterable[dict], columns: list[str] | None = None, empty: list[str] | None = None) -> Iterator[str]:
    """CSV, a header row then one row per item, a piece per row (nested values flattened)."""
    flat: Iterable[dict] = ({safe_cell(k): safe_cell(v) for k, v in flatten(r).items()} for r in rows)
    if columns is None:
        flat = list(flat)
        columns = columns_of(flat, [safe_cell(c) for c in empty or []])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[safe_cell(c) for c in columns], extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in flat:
        writer.writerow(row)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def jsonl_text(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, default=str) + "\n"


def json_text(rows: Iterable[dict], meta: dict, key: str = "data") -> Iterator[str]:
    """One JSON object, {meta..., key: [rows]}, written a row at a time."""
    head = json.dumps(meta, ensure_ascii=False, default=str)
    yield head[:-1] + (", " if len(head) > 2 else "") + json.dumps(key) + ": ["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False, default=str)
    yield "\n]}\n"


def figures(total: int, query: str | None = None, data_updated: str | None = None, **more) -> dict:
    """The figures every export states: total, query, when made, by which version, data as of."""
    out = {"total": total, "query": query, "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "version": __version__, "data_updated": data_updated}
    return out | more


def header_value(value) -> str:
    """A figure as a header value: header values are Latin-1, so a query in any script is sent
    percent-encoded (RFC 3986)."""
    return quote(str(value), safe=" !\"#$&'()*+,/:;<=>?@[]^`{|}~")


class Export(NamedTuple):
    """An export before it is a response: its pieces of text, its headers and its media type."""

    body: Iterator[str]
    headers: dict[str, str]
    media_type: str


def export_parts(rows: Iterable[dict], fmt: str, filename: str, meta: dict, columns: list[str] | None = None,
                 key: str = "data", empty: list[str] | None = None) -> Export:
    """Every row as CSV, JSON lines or one JSON document, with `meta` (see `figures`) in the
    headers (and, for JSON, in the document)."""
    if fmt == "csv":
        body = csv_text(rows, columns, empty)
    elif fmt == "jsonl":
        body = jsonl_text(rows)
    else:
        body = json_text(rows, meta, key)
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{SUFFIXES[fmt]}"'}
    for name, header in HEADERS.items():
        value = meta.get(name)
        if value is not None:
            headers[header] = header_value(value)
    headers["Access-Control-Expose-Headers"] = ", ".join(HEADERS.values())
    return Export(body, headers, EXPORT_TYPES[fmt])


def export_response(rows: Iterable[dict], fmt: str, filename: str, meta: dict, columns: list[str] | None = None,
                    key: str = "data", empty: list[str] | None = None):
    """Every row, streamed (see `export_parts`)."""
    return streamed(export_parts(rows, fmt, filename, meta, columns, key, empty))


def streamed(export: Export):
    """An export as a streaming response."""
    from fastapi.responses import StreamingResponse

    from api import lanes

    return StreamingResponse(lanes.stream(export.body), media_type=export.media_type, headers=export.headers)


def csv_response(rows: list[dict], filename: str, columns: list[str] | None = None, meta: dict | None = None):
    """A whole list as CSV (for the routes that answer CSV only); `columns` head an empty one."""
    return export_response(rows, "csv", filename, meta or figures(len(rows)), empty=columns)


def to_networkx(graph: dict):
    """A {nodes, edges} answer (neighbourhood, path, pattern graph) as a networkx graph."""
    import networkx as nx

    g = nx.MultiDiGraph() if graph.get("directed", True) else nx.Graph()
    for node in graph["nodes"]:
        # networkx's GEXF writer takes an `id` attribute as the node's GEXF id (so a force and a body
        # with the same id would collide, and the key would be lost): the id travels as `iopc_id`.
        attrs = {("iopc_id" if k == "id" else k): _cell(v) for k, v in node.items() if k not in ("key", "label") and v is not None}
        # `label` is what Gephi shows: the node's name, not its kind (kept as `kind`).
        if node.get("label") is not None:
            attrs["kind"] = _cell(node["label"])
        attrs["label"] = _cell(node_label(node))
        g.add_node(node["key"], **attrs)
    for edge in graph["edges"]:
        # GEXF's `type` is only directed/undirected/mutual (readers drop anything else): the
        # relation's name is the `relation` attribute.
        attrs = {("relation" if k == "type" else k): _cell(v) for k, v in edge.items() if k not in ("source", "target") and v is not None}
        g.add_edge(edge["source"], edge["target"], **attrs)
    return g


GRAPH_HEADERS = {"total_nodes": "X-Total-Nodes", "total_edges": "X-Total-Edges", "nodes": "X-Shown-Nodes",
                 "edges": "X-Shown-Edges", "truncated": "X-Truncated"}


def graph_figures(graph: dict) -> dict:
    """What a graph file holds and what it leaves out: nodes and edges in it, and in the whole
    answer (the same when nothing was cut)."""
    shown = {"nodes": len(graph["nodes"]), "edges": len(graph["edges"])}
    return {"total_nodes": graph.get("total_nodes", shown["nodes"]), "total_edges": graph.get("total_edges", shown["edges"]),
            **shown, "truncated": bool(graph.get("truncated", False))}


def graph_lines(graph: dict, fmt: str, name: str) -> Iterator[str]:
    """A graph answer as GraphML or GEXF lines that say what they are: the figures of `graph_figures`
    are graph attributes in GraphML and the description in GEXF's meta."""
    import networkx as nx

    g = to_networkx(graph)
    about = graph_figures(graph)
    if fmt == "graphml":
        g.graph.update(about, name=name)
        yield from nx.generate_graphml(g)
        return
    g.graph["name"] = name
    said = "; ".join(f"{k}={str(v).lower()}" for k, v in about.items())
    for line in nx.generate_gexf(g):
        yield line
        if line.strip().startswith("<creator>"):
            yield f"    <description>{name}: {said}</description>"


def node_label(node: dict) -> str:
    """What a viewer shows for a node: its name, a case's title, the start of a recommendation's
    text; its id only when it has none of these."""
    text = " ".join(str(node.get("text") or "").split())
    if not (node.get("name") or node.get("title")) and len(text) > 80:
        text = text[:80].rsplit(" ", 1)[0] + " …"
    return node.get("name") or node.get("title") or text or node.get("id") or node["key"]


def graph_response(graph: dict, fmt: str, filename: str):
    """A graph answer as a GraphML or GEXF download, streamed, its figures in headers too."""
    from fastapi.responses import StreamingResponse

    about = graph_figures(graph)
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
               **{GRAPH_HEADERS[k]: str(v).lower() for k, v in about.items()},
               "Access-Control-Expose-Headers": ", ".join(GRAPH_HEADERS.values())}
    return StreamingResponse((line + "\n" for line in graph_lines(graph, fmt, filename)), media_type=GRAPH_TYPES[fmt], headers=headers)


def _cell(value):
    """GraphML and GEXF attributes are scalars."""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)
