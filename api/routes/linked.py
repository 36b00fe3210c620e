"""Linked Data: RDF export, the published ontology, shapes and JSON-LD context, the dataset's DCAT and
VoID description at its own IRI (and its class partitions and concept schemes), and SPARQL 1.1 under
the SPARQL 1.1 Protocol with a service description at the endpoint."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from rdflib import RDF, Graph, Literal as RdfLiteral, URIRef

from api import lanes
from api.deps import EngineDep, ServicesDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.negotiate import headers, negotiated, rdf_response, wanted_rdf
from graph.export import case_ids_for, context, data_tally, export as export_rdf
from graph.rdf import FORMATS, SCHEMES, dataset_graph, scheme_graph, version
from graph.results import GRAPH_MEDIA, RESULT_MEDIA, ranked
from ontology.exc import BadRequest, InvalidData, NotAcceptable, NotFound, UnsupportedMediaType
from ontology.model import model
from ontology.vocabulary import FORMATS as FORMAT_TERMS, SD, VOID, bind
from search.limits import Deadline
from search.query import Search

router = APIRouter(tags=["linked data"], responses=ERROR_RESPONSES)
ONTOLOGY = Path(__file__).resolve().parent.parent.parent / "ontology"
RdfFormat = Annotated[Literal["ttl", "nt", "jsonld", "xml"], Query(
    title="Format", description="`ttl` (Turtle), `nt` (N-Triples), `jsonld` (JSON-LD with the published context) or `xml` (RDF/XML).")]
RDF_RESPONSE = {200: {"content": {media: {} for _, media, _ in FORMATS.values()}, "description": "RDF in the chosen format."}}
NEGOTIATED = {200: {"content": {"application/json": {}, **{media: {} for _, media, _ in FORMATS.values()}},
                    "description": "JSON by default; RDF by `Accept` or `format=`; a browser is sent to the explorer (303)."},
              303: {"description": "To the explorer's view, for a browser."}, 406: {"description": "No representation the request accepts."}}


def dump_name(suffix: str, issued: str | None = None, part: str | None = None) -> str:
    """`iopc-kg-0.2.0-2026-11-29.ttl`: dumps name the release that wrote them and their date."""
    return f"iopc-kg-{version()}-{issued or date.today().isoformat()}{f'-{part}' if part else ''}.{suffix}"


@router.get("/export", summary="Export RDF", response_class=Response, responses=RDF_RESPONSE,
                  description="The whole graph, one force's cases, the cases reaching a programme, or the cases of a search's hits, "
                              "as RDF in standard vocabularies (W3C ORG, SKOS, Dublin Core, PROV-O, schema.org). Streamed case by case; "
                              "the whole graph ends with its DCAT and VoID description. The file name says the release and the date.")
async def export(store: StoreDep, services: ServicesDep, engine: EngineDep,
           format: RdfFormat = "ttl",
           force: Annotated[str | None, Query(title="Force", description="Only this force's cases.", min_length=1)] = None,
           programme: Annotated[str | None, Query(title="Programme", description="Only cases whose recommendations reach this programme (when no force is given).", min_length=1)] = None,
           q: Annotated[str | None, Query(title="Search", description="Only the cases of this search's hits, up to the page-size limit (when no force or programme is given).", max_length=1000)] = None):
    deadline = Deadline(services.settings.search_timeout_ms)

    def cases() -> list[str] | None:  # force, else programme, else q: the first given chooses the part
        if force or programme:
            return case_ids_for(store, force=force, programme=programme)
        if q is not None:
            hits = engine.search(Search(q=q, page_size=services.settings.max_page_size, facets=False, highlight=False), deadline).hits
            return [h["case_id"] for h in hits]
        return None

    case_ids = await lanes.run_until(deadline, cases)  # the heavy lane, as the serialisation below (api/lanes.py)
    _, media, suffix = FORMATS[format]
    name = dump_name(suffix, part=force or programme or ("search" if q is not None else None))
    return StreamingResponse(lanes.stream(export_rdf(store, format, services.terms, case_ids)), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/context.jsonld", summary="JSON-LD context", response_class=Response,
                  description="The published JSON-LD context: a short name for every term of the ontology.",
                  responses={200: {"content": {"application/ld+json": {}}}})
def get_context(request: Request):
    accept = request.headers.get("accept", "")
    if accept.strip() and not any(m in ("application/ld+json", "application/json", "application/*", "*/*") for m in ranked(accept)):
        refused = NotAcceptable("the context comes as application/ld+json only; the request accepts none of it",
                                errors={"accept": accept[:200]})
        refused.headers = {"Vary": "Accept"}
        raise refused
    return Response(json.dumps(context(), indent=2), media_type="application/ld+json", headers={"Vary": "Accept"})


@router.get("/ontology", summary="The ontology (OWL)", response_class=Response, responses=RDF_RESPONSE,
                  description="The iopc-kg ontology in OWL 2 DL, generated from the ontology's data files: Turtle by default, "
                              "or N-Triples, JSON-LD or RDF/XML by `Accept` or `format=`. Its terms (`https://w3id.org/iopc-kg/ontology#status`) "
                              "and the response statuses (`…#accepted`) resolve here.")
def get_ontology(request: Request):
    fmt = wanted_rdf(request)
    return rdf_response(Graph().parse(ONTOLOGY / "iopc.ttl"), fmt, headers(request))


@router.get("/ontology/{release}", summary="A release of the ontology", response_class=Response, responses=RDF_RESPONSE,
            description="The ontology at its version IRI (`owl:versionIRI`, `…/ontology/0.2.0`): this release's, as `/ontology` "
                        "serves it; another release is 404.")
def get_ontology_release(request: Request, release: Annotated[str, PathParam(description="A release, such as `0.2.0`.")]):
    if release != version():
        raise NotFound(f"this service publishes release {version()} of the ontology, not {release!r}", errors={"release": release[:50]})
    return get_ontology(request)


@router.get("/shapes", summary="SHACL shapes", response_class=Response,
                  description="SHACL shapes generated from the ontology; every export validates against them. Turtle by default, "
                              "or N-Triples, JSON-LD or RDF/XML by `Accept` or `format=`.",
                  responses=RDF_RESPONSE)
def get_shapes(request: Request):
    fmt = wanted_rdf(request)
    if fmt == "ttl":
        return Response((ONTOLOGY / "shapes.ttl").read_text(), media_type="text/turtle", headers=headers(request))
    return rdf_response(Graph().parse(ONTOLOGY / "shapes.ttl"), fmt, headers(request))


# -- the dataset at its own IRI -------------------------------------------------------------------

_tallies: dict = {}
_tally_lock = threading.Lock()


def _tally(store, terms):
    """Sizes of the data, counted once per state of the store."""
    key = (id(store), store.version, terms.base)
    with _tally_lock:
        if key not in _tallies:
            _tallies.clear()
            _tallies[key] = data_tally(store, terms)
        return _tallies[key]


def _root(request: Request) -> str:
    return str(request.base_url)


def _description(request: Request, store, services) -> Graph:
    return dataset_graph(services.terms, _tally(store, services.terms), _root(request))


def _dataset_json(request: Request, store, services) -> dict:
    tally = _tally(store, services.terms)
    root = _root(request)
    terms = services.terms
    described = _description(request, store, services)  # the sizes as the RDF states them (the dump's own)
    size = {p: int(described.value(terms.dataset, VOID[p])) for p in ("triples", "distinctSubjects", "properties")}
    return {
        "id": str(terms.dataset), "title": "iopc-kg: IOPC learning recommendations and force responses",
        "version": version(), "issued": date.today().isoformat(),
        "license": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "triples": size["triples"], "distinct_subjects": size["distinctSubjects"], "properties": size["properties"],
        "entities": {s.name: tally.classes.get(_cls(s.name), 0) for s in model.schemas.values()},
        "sparql_endpoint": root + "sparql",
        "dumps": [{"url": f"{root}export?format={fmt}", "media_type": media, "name": dump_name(suffix)}
                  for fmt, (_, media, suffix) in FORMATS.items()],
        "links": {"self": "/dataset", "partitions": [f"/dataset/{s.key}" for s in model.schemas.values()],
                  "schemes": [f"/schemes/{name}" for name in SCHEMES.values()], "ontology": "/ontology", "shapes": "/shapes"},
    }


def _cls(kind: str) -> URIRef:
    from ontology.model import expand

    return URIRef(expand(model[kind].rdf))


@router.get("/dataset", summary="The dataset (DCAT, VoID)", response_class=Response, responses=NEGOTIATED,
                  description="The dataset described in DCAT and VoID, at its own IRI: triples, distinct subjects, properties, "
                              "entities per class, vocabularies, licence (the source pages are Open Government Licence v3.0), "
                              "release and date, the SPARQL endpoint and the dated dumps. JSON by default, RDF by conneg.")
def get_dataset(request: Request, store: StoreDep, services: ServicesDep):
    return negotiated(request, lambda: _dataset_json(request, store, services),
                      lambda: _description(request, store, services), "/#/patterns")


@router.get("/void", summary="VoID description", response_class=Response, responses=RDF_RESPONSE,
                  description="The dataset's VoID and DCAT description as RDF (Turtle by default); the same as `/dataset` asked for RDF.")
def get_void(request: Request, store: StoreDep, services: ServicesDep):
    fmt = wanted_rdf(request)
    return rdf_response(_description(request, store, services), fmt, headers(request))


@router.get("/.well-known/void", summary="VoID, where VoID says to look", include_in_schema=False)
def well_known_void():
    return RedirectResponse("/void", status_code=303)


@router.get("/dataset/{kind}", summary="A class partition of the dataset", response_class=Response,
                  responses=NEGOTIATED, description="The entities of one class (`force`, `recommendation` …): how many, and where to list them.")
def get_partition(request: Request, store: StoreDep, services: ServicesDep,
                  kind: Annotated[str, PathParam(description="A node kind, lower case.", examples=["force"])]):
    try:
        schema = model.kind_for_key(kind)
    except KeyError:
        raise NotFound(f"No class partition {kind!r}", errors={"kind": kind}) from None
    terms = services.terms
    part = terms.partition(schema.name)

    def graph():
        g = _description(request, store, services)
        out = bind(Graph())
        for t in g.triples((part, None, None)):
            out.add(t)
        out.add((terms.dataset, URIRef("http://rdfs.org/ns/void#classPartition"), part))
        return out

    count = _tally(store, terms).classes.get(_cls(schema.name), 0)
    body = {"id": str(part), "class": str(_cls(schema.name)), "kind": schema.name, "entities": count,
            "links": {"self": f"/dataset/{schema.key}", "dataset": "/dataset",
                      "list": f"/{schema.collection}" if schema.name in ("Force", "Body", "Programme", "Theme") else None}}
    view = f"/#/{schema.collection}" if schema.name in ("Force", "Body", "Programme", "Theme") else "/#/search"
    return negotiated(request, body, graph, view)


@router.get("/schemes/{name}", summary="A SKOS concept scheme", response_class=Response,
                  responses=NEGOTIATED, description="The concept scheme of programmes or of themes, with its concepts.")
def get_scheme(request: Request, store: StoreDep, services: ServicesDep,
               name: Annotated[str, PathParam(description="`programmes` or `themes`.", examples=["themes"])]):
    kind = next((k for k, v in SCHEMES.items() if v == name), None)
    if kind is None:
        raise NotFound(f"No concept scheme {name!r}", errors={"name": name})
    concepts = store.list_nodes(kind, 0, 100_000)
    terms = services.terms

    def graph():
        g = scheme_graph(terms, kind)
        for c in concepts:  # what the dump says of each concept, and no more
            g.add((terms.node(kind, c["id"]), URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), terms.scheme(kind)))
        return g

    body = {"id": str(terms.scheme(kind)), "name": name, "count": len(concepts),
            "concepts": [{"id": c["id"], "name": c.get("name"), "links": {"self": f"/{name}/{c['id']}"}} for c in concepts],
            "links": {"self": f"/schemes/{name}"}}
    return negotiated(request, body, graph, f"/#/{name}")


# -- SPARQL 1.1 Protocol --------------------------------------------------------------------------

SPARQL_DESCRIPTION = (
    "SPARQL 1.1 query protocol over the RDF view of the graph: `query` by GET, or POST as a form field or an "
    "`application/sparql-query` body; `default-graph-uri` and `named-graph-uri` choose the dataset (the data is the "
    "graph named by the dataset's IRI). SELECT and ASK answer as SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and "
    "DESCRIBE as Turtle (default), N-Triples, RDF/XML or JSON-LD: by the Accept header or by `format`, `output` or "
    "`results` (as SPARQLWrapper sends them). A GET with no parameters answers the service description. Read-only "
    "(Update is refused), with a time limit and a row cap. No `query`, or two, is 400; a body of another media type 415; "
    "a format the request does not accept 406.")
SPARQL_RESPONSES = {200: {"content": {**{m: {} for m in RESULT_MEDIA}, **{m: {} for m in GRAPH_MEDIA}}, "description": "Query results."},
                    406: {"description": "No format the request accepts."}, 415: {"description": "A body that is not a query."}}
_FORMAT_PARAMS = ("format", "output", "results")


def _protocol_params(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    if "update" in out:
        raise BadRequest("this endpoint answers queries only: SPARQL Update (`update`) is refused", errors={"update": "refused"})
    return out


async def _run(request: Request, services, params: dict[str, list[str]], query: str | None = None) -> Response:
    if query is None:
        queries = params.get("query", [])
        if not queries:
            raise BadRequest("no `query` parameter: send one SPARQL query", errors={"query": "missing"})
        if len(queries) > 1:
            raise BadRequest(f"{len(queries)} `query` parameters: send exactly one", errors={"query": "repeated"})
        query = queries[0]
    if not query.strip():
        raise BadRequest("the query is empty", errors={"query": "empty"})
    if len(query) > 20_000:  # as the OpenAPI description publishes
        raise InvalidData("the query is longer than 20,000 characters", errors={"query": "too long"})
    names = [v for p in _FORMAT_PARAMS for v in params.get(p, [])]
    try:
        media, body = await services.sparql.run(query, names, request.headers.get("accept"),
                                                params.get("default-graph-uri"), params.get("named-graph-uri"))
    except NotAcceptable as e:
        e.headers = {"Vary": "Accept"}
        raise
    # CSV and TSV cells are neutralised for spreadsheets where they are written (graph/results.py).
    return Response(body, media_type=media, headers={"Vary": "Accept"})


def service_description(request: Request, services, triples: int | None) -> Graph:
    """The SPARQL 1.1 Service Description of this endpoint."""
    g = bind(Graph())
    g.bind("sd", SD)
    endpoint = URIRef(str(request.url_for("sparql_get")))
    s = URIRef(str(endpoint) + "#service")
    g.add((s, RDF.type, SD.Service))
    g.add((s, SD.endpoint, endpoint))
    g.add((s, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((s, SD.feature, SD.UnionDefaultGraph))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        g.add((s, SD.resultFormat, FORMAT_TERMS[fmt]))
    dataset = services.terms.dataset
    ds = URIRef(str(endpoint) + "#dataset")
    g.add((s, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"), dataset))
    default = URIRef(str(endpoint) + "#default-graph")
    g.add((ds, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    if triples is not None:  # None while the view is being built after a change
        g.add((default, URIRef("http://rdfs.org/ns/void#triples"), RdfLiteral(triples)))
    named = URIRef(str(endpoint) + "#named-graph")
    g.add((ds, SD.namedGraph, named))
    g.add((named, RDF.type, SD.NamedGraph))
    g.add((named, SD.name, dataset))
    return g


@router.get("/sparql", name="sparql_get", summary="SPARQL (GET)", response_class=Response,
                  responses=SPARQL_RESPONSES, description=SPARQL_DESCRIPTION,
                  openapi_extra={"parameters": [
                      {"name": "query", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 20000},
                       "description": "A SPARQL 1.1 query (exactly one).",
                       "example": "SELECT ?force (COUNT(?rec) AS ?n) WHERE { ?case <https://w3id.org/iopc-kg/ontology#concerns> ?force ; <https://w3id.org/iopc-kg/ontology#hasRecommendation> ?rec } GROUP BY ?force"},
                      {"name": "default-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}},
                       "description": "The default graph of the query's dataset (repeatable; replaces the query's FROM). The data is the graph named by the dataset's IRI."},
                      {"name": "named-graph-uri", "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}},
                       "description": "A named graph of the query's dataset (repeatable; replaces the query's FROM NAMED)."},
                      {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
                       "description": "Results format by name or media type (json, xml, csv, tsv, turtle, nt, rdf+xml, json-ld); default by Accept."}]})
async def sparql_get(request: Request, services: ServicesDep):
    pairs = list(request.query_params.multi_items())
    if not pairs:
        fmt = wanted_rdf(request)
        triples = await services.sparql.triples()
        return rdf_response(service_description(request, services, triples), fmt, headers(request))
    return await _run(request, services, _protocol_params(pairs))


@router.post("/sparql", name="sparql_post", summary="SPARQL (POST)", response_class=Response, responses=SPARQL_RESPONSES,
             description=SPARQL_DESCRIPTION,
             openapi_extra={"requestBody": {"content": {
                 "application/sparql-query": {"schema": {"type": "string", "minLength": 1}},
                 "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"query": {"type": "string", "minLength": 1}}, "required": ["query"]}}}}})
async def sparql_post(request: Request, services: ServicesDep):
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > 100_000:
        raise InvalidData("the query is longer than 100,000 bytes", errors={"query": "too long"})
    url_params = _protocol_params(list(request.query_params.multi_items()))
    if kind == "application/sparql-query":  # the query is the body; the rest is in the URL
        if "query" in url_params:
            raise BadRequest("a query in the body and another in the URL: send exactly one", errors={"query": "repeated"})
        return await _run(request, services, url_params, raw.decode("utf-8", "replace"))
    if kind == "application/x-www-form-urlencoded":  # every parameter is in the body
        form = _protocol_params(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        for k, v in url_params.items():
            form.setdefault(k, []).extend(v)
        return await _run(request, services, form)
    raise UnsupportedMediaType("send the query as application/sparql-query, or as the form field `query` "
                               "(application/x-www-form-urlencoded)", errors={"content-type": kind or "none"})
