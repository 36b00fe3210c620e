"""Content negotiation for entity URLs: JSON by default; Turtle, JSON-LD, N-Triples or RDF/XML when the
`Accept` header asks for them (or `format=ttl|jsonld|nt|xml`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from rdflib import Graph

from graph.export import context
from graph.rdf import FORMATS, bind, case_graph, new_nodes, referenced, rows_to_graph, vocabulary_graph
from graph.rows import Rows
from ontology.model import model

MEDIA = {media: name for name, (_, media, _) in FORMATS.items()}
MEDIA["application/json"] = "json"


def wanted(request: Request) -> str:
    """`json` or an RDF format name, by `format=` or by the Accept header's first known type."""
    fmt = request.query_params.get("format")
    if fmt in FORMATS:
        return fmt
    ranked = []
    for n, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *params = [x.strip() for x in part.split(";")]
        q = next((float(p[2:]) for p in params if p.startswith("q=") and _is_float(p[2:])), 1.0)
        if media in MEDIA and q > 0:
            ranked.append((-q, n, MEDIA[media]))
    return sorted(ranked)[0][2] if ranked else "json"


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def entity_response(request: Request, body: dict, kind: str, id: str, store, settings):
    """The entity as JSON (the route's response model validates it), or as RDF on request."""
    fmt = wanted(request)
    if fmt == "json":
        return body
    terms = request.app.state.services.terms
    g = entity_graph(kind, id, store, terms)
    rdflib_format, media, _ = FORMATS[fmt]
    extra = {"context": context()["@context"], "auto_compact": True} if fmt == "jsonld" else {}
    return Response(g.serialize(format=rdflib_format, **extra), media_type=media, headers={"Vary": "Accept"})


def entity_graph(kind: str, id: str, store, terms) -> Graph:
    if kind in ("Case", "Recommendation"):
        case = store.case_record(id) if kind == "Case" else store.recommendation(id)[0]
        g = case_graph(case, terms)
        g += vocabulary_graph(terms, keep=referenced([case]))
        g += new_nodes([case], terms)
        return g
    node = store.get_node(kind, id)
    rows = Rows()
    rows.node(kind, **{k: v for k, v in node.items() if k in model[kind].properties or k == "id"})
    return rows_to_graph(rows, terms, bind(Graph()))
