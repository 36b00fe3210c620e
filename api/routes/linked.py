"""Linked Data: RDF export, the published ontology, shapes and JSON-LD context, VoID, and SPARQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import EngineDep, ServicesDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.formats import safe_csv
from graph.export import case_ids_for, context, export as export_rdf
from graph.rdf import FORMATS, void_graph
from graph.sparql import RESULT_TYPES
from ontology.exc import InvalidData
from search.query import Search

router = APIRouter(tags=["linked data"], responses=ERROR_RESPONSES)
ONTOLOGY = Path(__file__).resolve().parent.parent.parent / "ontology"
RdfFormat = Annotated[Literal["ttl", "nt", "jsonld", "xml"], Query(
    title="Format", description="`ttl` (Turtle), `nt` (N-Triples), `jsonld` (JSON-LD with the published context) or `xml` (RDF/XML).")]
RDF_RESPONSE = {200: {"content": {media: {} for _, media, _ in FORMATS.values()}, "description": "RDF in the chosen format."}}


@router.get("/export", summary="Export RDF", response_class=Response, responses=RDF_RESPONSE,
            description="The whole graph, one force's cases, the cases reaching a programme, or the cases of a search's hits, "
                        "as RDF in standard vocabularies (W3C ORG, SKOS, Dublin Core, PROV-O, schema.org). Streamed case by case.")
def export(store: StoreDep, services: ServicesDep, engine: EngineDep,
           format: RdfFormat = "ttl",
           force: Annotated[str | None, Query(title="Force", description="Only this force's cases.", min_length=1)] = None,
           programme: Annotated[str | None, Query(title="Programme", description="Only cases whose recommendations reach this programme (when no force is given).", min_length=1)] = None,
           q: Annotated[str | None, Query(title="Search", description="Only the cases of this search's hits, up to the page-size limit (when no force or programme is given).", max_length=1000)] = None):
    case_ids = None  # force, else programme, else q: the first given chooses the part
    if force or programme:
        case_ids = case_ids_for(store, force=force, programme=programme)
    elif q is not None:
        hits = engine.search(Search(q=q, page_size=services.settings.max_page_size, facets=False, highlight=False)).hits
        case_ids = [h["case_id"] for h in hits]
    _, media, suffix = FORMATS[format]
    name = "iopc-kg" + (f"-{force or programme}" if force or programme else "-search" if q is not None else "")
    return StreamingResponse(export_rdf(store, format, services.terms, case_ids), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


@router.get("/context.jsonld", summary="JSON-LD context", response_class=Response,
            description="The published JSON-LD context: a short name for every term of the ontology.",
            responses={200: {"content": {"application/ld+json": {}}}})
def get_context():
    import json

    return Response(json.dumps(context(), indent=2), media_type="application/ld+json")


@router.get("/ontology", summary="The ontology (OWL)", response_class=Response,
            description="The iopc-kg ontology in OWL, Turtle, generated from the ontology's data files.",
            responses={200: {"content": {"text/turtle": {}}}})
def get_ontology():
    return Response((ONTOLOGY / "iopc.ttl").read_text(), media_type="text/turtle")


@router.get("/shapes", summary="SHACL shapes", response_class=Response,
            description="SHACL shapes generated from the ontology; every export validates against them.",
            responses={200: {"content": {"text/turtle": {}}}})
def get_shapes():
    return Response((ONTOLOGY / "shapes.ttl").read_text(), media_type="text/turtle")


@router.get("/void", summary="VoID description", response_class=Response,
            description="The dataset described in VoID: entities per class, vocabularies used, licence (the source pages "
                        "are Open Government Licence v3.0), the SPARQL endpoint and the dump.",
            responses={200: {"content": {"text/turtle": {}}}})
def get_void(request: Request, store: StoreDep, services: ServicesDep):
    g = void_graph(services.terms, store.counts(), endpoint=str(request.url_for("sparql_get")))
    from rdflib import URIRef
    from rdflib.namespace import VOID

    g.add((services.terms.dataset, VOID.dataDump, URIRef(str(request.url_for("export")) + "?format=nt")))
    return Response(g.serialize(format="turtle"), media_type="text/turtle")


SPARQL_DESCRIPTION = (
    "SPARQL 1.1 query protocol over the RDF view of the graph: `query` by GET, or POST as a form field or an "
    "`application/sparql-query` body. SELECT and ASK answer as SPARQL JSON (default), CSV or XML (`format`, or the "
    "Accept header); CONSTRUCT and DESCRIBE as Turtle. Read-only (Update is refused), with a time limit and a row cap.")
SPARQL_RESPONSES = {200: {"content": {**{m: {} for m in RESULT_TYPES.values()}, "text/turtle": {}}, "description": "Query results."}}
ResultFormat = Annotated[Literal["json", "csv", "xml", "ttl", "jsonld"] | None, Query(
    title="Format", description="Results format; default from the Accept header, else SPARQL JSON.")]


def _result_format(request: Request, fmt: str | None) -> str:
    if fmt:
        return fmt
    accept = request.headers.get("accept", "")
    for name, media in [("csv", "text/csv"), ("xml", "application/sparql-results+xml"), ("ttl", "text/turtle"),
                        ("jsonld", "application/ld+json")]:
        if media in accept:
            return name
    return "json"


@router.get("/sparql", name="sparql_get", summary="SPARQL (GET)", response_class=Response, responses=SPARQL_RESPONSES,
            description=SPARQL_DESCRIPTION)
async def sparql_get(request: Request, services: ServicesDep,
                     query: Annotated[str, Query(title="Query", description="A SPARQL 1.1 query.", min_length=1, max_length=20_000,
                                                 examples=["SELECT ?force (COUNT(?rec) AS ?n) WHERE { ?case <https://w3id.org/iopc-kg/ontology#concerns> ?force ; <https://w3id.org/iopc-kg/ontology#hasRecommendation> ?rec } GROUP BY ?force"])],
                     format: ResultFormat = None):
    media, body = await services.sparql.run(query, _result_format(request, format))
    return Response(safe_csv(body) if media.startswith("text/csv") else body, media_type=media)


@router.post("/sparql", name="sparql_post", summary="SPARQL (POST)", response_class=Response, responses=SPARQL_RESPONSES,
             description=SPARQL_DESCRIPTION,
             openapi_extra={"requestBody": {"content": {
                 "application/sparql-query": {"schema": {"type": "string", "minLength": 1}},
                 "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string", "minLength": 1}}, "required": ["query"]}}}}})
async def sparql_post(request: Request, services: ServicesDep, format: ResultFormat = None):
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    raw = await request.body()
    if len(raw) > 100_000:
        raise InvalidData("the query is longer than 100,000 bytes", errors={"query": "too long"})
    if kind == "application/sparql-query":
        text = raw.decode("utf-8", "replace")
    elif kind == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qs

        text = (parse_qs(raw.decode("utf-8", "replace")).get("query") or [""])[0]
    else:
        raise InvalidData("send the query as application/sparql-query or as a form field `query`", errors={"content-type": kind or "none"})
    if not text.strip():
        raise InvalidData("the query is empty", errors={"query": "empty"})
    media, body = await services.sparql.run(text, _result_format(request, format))
    return Response(safe_csv(body) if media.startswith("text/csv") else body, media_type=media)
