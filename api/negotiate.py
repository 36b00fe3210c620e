"""Content negotiation for every IRI the service answers: JSON by default; Turtle, JSON-LD, N-Triples
or RDF/XML when the `Accept` header (or `format=ttl|jsonld|nt|xml`) asks for them; a browser (text/html)
is sent to the explorer's view; anything else is 406. Every negotiated answer says `Vary: Accept` and
lists its other representations in `Link: rel=alternate` headers."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from rdflib import Graph

from graph.export import context
from graph.rdf import FORMATS, case_graph, new_nodes, node_graph, referenced, vocabulary_graph
from graph.results import ranked
from ontology.exc import NotAcceptable
from ontology.vocabulary import bind

MEDIA = {media: name for name, (_, media, _) in FORMATS.items()}
MEDIA.update({"application/json": "json", "text/html": "html", "application/xhtml+xml": "html",
              "application/x-turtle": "ttl", "application/turtle": "ttl", "text/plain": "nt"})
OFFERED = ["application/json", *(media for _, media, _ in FORMATS.values())]


def wanted(request: Request, default: str = "json", html: bool = True) -> str:
    """`json`, `html` or an RDF format name: by `format=`, else by the Accept header's best known
    type; `*/*` takes the default. Raises NotAcceptable when the header names only types we lack."""
    fmt = request.query_params.get("format")
    if fmt in FORMATS or fmt == "json":
        return fmt
    if fmt is not None:  # a format asked for by name that we lack is refused, never another given instead
        raise NotAcceptable(f"format={fmt!r} is not one of json, {', '.join(FORMATS)}", errors={"format": fmt[:50]})
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return default
    for media in ranked(accept):
        name = MEDIA.get(media)
        if name == "html" and not html:
            continue
        if name is not None:
            return name
        if media in ("*/*", "application/*"):
            return default
        if media == "text/*":
            return "ttl"
    raise NotAcceptable(f"this resource comes as {', '.join(OFFERED)}{' or text/html' if html else ''}; "
                        "the request accepts none of them", errors={"accept": accept[:200]})


def alternates(path: str, html_view: str | None = None) -> str:
    """`Link` header value naming every representation of the resource at `path`."""
    links = [f'<{path}?format=json>; rel="alternate"; type="application/json"']
    links += [f'<{path}?format={name}>; rel="alternate"; type="{media}"' for name, (_, media, _) in FORMATS.items()]
    if html_view:
        links.append(f'<{html_view}>; rel="alternate"; type="text/html"')
    return ", ".join(links)


def headers(request: Request, html_view: str | None = None) -> dict[str, str]:
    return {"Vary": "Accept", "Link": alternates(request.url.path, html_view)}


def wanted_rdf(request: Request, default: str = "ttl") -> str:
    """An RDF format for a resource that is RDF only (JSON asks for the default); a 406 says `Vary: Accept`."""
    try:
        fmt = wanted(request, default=default, html=False)
    except NotAcceptable as e:
        e.headers = headers(request)
        raise
    return default if fmt == "json" else fmt


def rdf_response(g: Graph, fmt: str, extra_headers: dict | None = None) -> Response:
    rdflib_format, media, _ = FORMATS[fmt]
    extra = {"context": context()["@context"], "auto_compact": True} if fmt == "jsonld" else {}
    return Response(g.serialize(format=rdflib_format, **extra), media_type=media, headers=extra_headers)


def negotiated(request: Request, body, graph, html_view: str | None = None, default: str = "json") -> Response:
    """The resource as JSON (`body`), RDF (`graph()`, built only when asked for) or a redirect to the
    explorer's view (`html_view`); with Vary and Link headers."""
    head = headers(request, html_view)
    try:
        fmt = wanted(request, default=default, html=html_view is not None)
    except NotAcceptable as e:
        e.headers = head
        raise
    if fmt == "html":
        return RedirectResponse(html_view, status_code=303, headers=head)
    if fmt == "json":
        return JSONResponse(jsonable_encoder(body() if callable(body) else body), headers=head)
    return rdf_response(graph(), fmt, head)


def explorer(kind: str, id: str) -> str:
    return f"/#/{kind}/{quote(id, safe='')}"


def entity_response(request: Request, body: dict, kind: str, id: str, store, settings):
    """The entity as JSON, as RDF on request, or the explorer's page for a browser."""
    terms = request.app.state.services.terms
    view = {"Case": "case", "Recommendation": "recommendation", "Force": "force", "Body": "body",
            "Programme": "programme", "Theme": "theme"}[kind]
    return negotiated(request, body, lambda: entity_graph(kind, id, store, terms), explorer(view, id))


def entity_graph(kind: str, id: str, store, terms) -> Graph:
    """What the export says about an entity: a case or recommendation with its case's records and the
    nodes they name; a shared node with its own links (uses, memberOf)."""
    if kind in ("Case", "Recommendation"):
        case = store.case_record(id) if kind == "Case" else store.recommendation(id)[0]
        g = case_graph(case, terms)
        g += vocabulary_graph(terms, keep=referenced([case]))
        g += new_nodes([case], terms)
        return g
    return node_graph(kind, id, terms, store.get_node(kind, id))


def subject_graph(g: Graph, subject) -> Graph:
    """The triples of `g` about `subject`."""
    out = bind(Graph())
    for t in g.triples((subject, None, None)):
        out.add(t)
    return out
