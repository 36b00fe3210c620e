"""Resources with stable ids, each with the links a client follows to walk the graph."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import IndexDep, SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.answers import BODY_COLUMNS, FORCE_COLUMNS, bodies, check_page_size, data_updated, forces, reach, rows_export  # noqa: F401 - data_updated: the routes' import
from api.formats import streamed
from api.negotiate import entity_response, explorer, negotiated, subject_graph
from api.resolve import resolve
from graph import cypher
from graph.rdf import case_graph, node_graph

from ontology.exc import InvalidData, NotFound
from ontology.model import model
from ontology.records import CaseRecord
from search.similar import similar

router = APIRouter(responses=ERROR_RESPONSES)

SIMILAR_COLUMNS = ["id", "case_id", "reference", "force.id", "force.name", "status", "date_recommended", "text", "score", "links.self"]
CSV_RESPONSE = {200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                       "description": "The list as JSON, or every item as CSV (`format=csv`) or JSON lines (`format=jsonl`), "
                                      "with the total in `X-Total-Count` and the date, version and data date in `X-Generated-At`, "
                                      "`X-IOPC-KG-Version` and `X-Data-Updated`."}}
Format = Annotated[Literal["json", "csv", "jsonl"], Query(
    title="Format", description="`json` (default, a page), or every item as `csv` (a spreadsheet) or `jsonl` (JSON lines).")]
Page = Annotated[int, Query(ge=1, title="Page", description="Page number, from 1.")]
Day = Annotated[str | None, Query(
    title="On", max_length=40, description="A date for overdue checks, in any usual spelling (2026-01-01, 01/01/2026 day "
    "first, 1 January 2026); default today.", examples=["2026-01-01"])]
PageSize = Annotated[int, Query(ge=1, title="Page size", description="Items per page (at most the `max_page_size` setting).")]


class Listing(BaseModel):
    """A page of a list."""

    data: list[dict[str, Any]] = Field(description="The items of this page.")
    count: int = Field(description="Items in the whole list.")
    page: int
    page_size: int
    links: dict[str, str | None] = Field(description="`self`, `next` and `prev` pages.")


class Entity(BaseModel):
    """A node of the graph with its properties, what the graph says about it, and links."""

    model_config = ConfigDict(extra="allow")
    id: str
    links: dict[str, Any] = Field(description="Ids and URLs of related resources.")


def as_date(value: str | None, name: str) -> date | None:
    """A query parameter as a date; not a calendar date is a 422 naming the parameter."""
    from api.dates import parse_day

    if value is None:
        return None
    try:
        return parse_day(value)
    except ValueError as e:
        raise InvalidData(f"{name}: {e}", errors={name: value}) from None


def rows_response(rows: list[dict], fmt: str, name: str, settings, columns: list[str] | None = None, **meta):
    """Every row as CSV or JSON lines, with the figures in headers (`api.answers.rows_export`)."""
    return streamed(rows_export(rows, fmt, name, settings, columns, **meta))


def listing(request: Request, rows: list[dict], page: int, page_size: int, fmt: str, name: str, settings, columns: list[str] | None = None):
    """A page of `rows` as JSON, or every row as CSV or JSON lines (a spreadsheet wants the whole list)."""
    check_page_size(page_size, settings)
    if fmt in ("csv", "jsonl"):
        return rows_response(rows, fmt, name, settings, columns)
    start = (page - 1) * page_size

    def at(p: int) -> str:
        u = request.url.include_query_params(page=p, page_size=page_size)
        return f"{u.path}?{u.query}"

    last = max(1, -(-len(rows) // page_size))
    return Listing(data=rows[start:start + page_size], count=len(rows), page=page, page_size=page_size,
                   links={"self": at(page), "next": at(page + 1) if page < last else None, "prev": at(page - 1) if page > 1 else None})


def node_links(kind: str, id: str) -> dict[str, str]:
    return {"self": f"/{model[kind].collection}/{id}", "neighbourhood": f"/graph/neighbourhood?node={kind.lower()}:{id}"}


def profile_body(kind: str, id: str, profile: dict, **links) -> dict:
    """A profile from the store as a resource: the node's own properties, the profile, and links."""
    node = profile.pop(kind.lower())
    return {**{k: v for k, v in node.items() if k != "label"}, **profile, "links": node_links(kind, id) | links}


def case_links(case: CaseRecord) -> dict:
    return {
        "self": f"/cases/{case.id}",
        "force": f"/forces/{case.force.id}" if case.force else None,
        "recommendations": [f"/recommendations/{case.recommendation_id(r)}" for r in case.recommendations],
        "sources": [s.url for s in case.sources if s.url],
        "neighbourhood": f"/graph/neighbourhood?node=case:{case.id}",
    }


# -- cases and recommendations -------------------------------------------------------------------

@router.get("/cases/{case_id}", response_model=Entity, tags=["resources"], summary="A case",
            description="A case (one IOPC reference) with every recommendation, its response and the source pages. "
                        "Also as RDF: `Accept: text/turtle` or `application/ld+json`.")
def get_case(request: Request, store: StoreDep, settings: SettingsDep, case_id: Annotated[str, Path(description='Case id: the IOPC reference with / as -.', examples=['2022-178839'])]):
    try:
        case = store.case_record(case_id)
    except NotFound:
        # An id a rendering of a case had alone (a page without the reference): the case it merged into.
        moved = store.case_replacing(case_id)
        if moved is None:
            raise
        return _moved(request, f"/cases/{moved}")
    body = case.to_dict() | {"links": case_links(case)}
    for rec, out in zip(case.recommendations, body["recommendations"]):
        out["id"] = case.recommendation_id(rec)
    return entity_response(request, body, "Case", case_id, store, settings)


@router.get("/recommendations/{rec_id}", response_model=Entity, tags=["resources"], summary="A recommendation",
            description="The recommendation's text, response, status and dates; whether the response is overdue on "
                        "`on` (default today); the programmes, themes and bodies it names, with links; and its `history`: "
                        "the status and response each crawl of its pages found, first seen, each change, last seen.")
def get_recommendation(request: Request, store: StoreDep, settings: SettingsDep, rec_id: Annotated[str, Path(description="Recommendation id: the case id and the recommendation's number.", examples=['2022-178839-3'])],
                       on: Day = None):
    try:
        case, rec = store.recommendation(rec_id)
    except NotFound:
        moved = _replaced_recommendation(store, rec_id)
        if moved is None:
            raise
        return _moved(request, f"/recommendations/{moved}")
    day = (as_date(on, "on") or date.today()).isoformat()
    overdue = bool(case.response_due) and case.response_due < day and (not rec.response or rec.status == "awaiting_response")
    data = case.to_dict()
    rec_dict = data["recommendations"][case.recommendations.index(rec)]
    body = {
        "id": rec_id, "case_id": case.id, "reference": case.reference, "title": case.title, "force": data["force"],
        "date_recommended": case.date_recommended, "response_due": case.response_due,
        "response_due_derived": case.response_due_derived, "overdue": overdue,
        "days_overdue": (date.fromisoformat(day) - date.fromisoformat(case.response_due)).days if overdue else 0,
        # A header-only case has no recommendations; a recommendation's case can still have been
        # merged from renderings, and what the parser noticed about it (a label its response
        # disagrees with, a garbled addressee) is shown with it.
        "case_incomplete": case.incomplete,
        "warnings": [w for w in case.warnings if w.startswith(f"recommendation {_label(rec)}:")],
        **{k: rec_dict[k] for k in ("numbers", "text", "status", "status_label", "response", "addressed_to",
                                    "linked_bodies", "programmes", "themes", "defers_to", "mentions")},
        "sources": data["sources"],
        "history": history(rec),
        "links": {
            "self": f"/recommendations/{rec_id}", "case": f"/cases/{case.id}",
            "force": f"/forces/{case.force.id}" if case.force else None,
            "similar": f"/recommendations/{rec_id}/similar",
            "programmes": [f"/programmes/{p.id}" for p in rec.programmes],
            "themes": [f"/themes/{t}" for t in rec.themes],
            "bodies": [f"/bodies/{b.id}" for b in rec.addressed_to + rec.linked_bodies if b.kind == "Body"],
            "neighbourhood": f"/graph/neighbourhood?node=recommendation:{rec_id}",
        },
    }
    return entity_response(request, body, "Recommendation", rec_id, store, settings)


def _moved(request: Request, path: str):
    """301 to where a merged case's resource now is, keeping the query (a format, a date)."""
    from fastapi.responses import RedirectResponse

    query = request.url.query
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=301)


def _replaced_recommendation(store, rec_id: str) -> str | None:
    """A recommendation id under a case id that was merged into another case (`{case id}-{number}`, or
    `-{number}-p{position}`): the same recommendation's id under the case, when it has one so numbered."""
    parts = rec_id.split("-")
    for cut in (1, 2):
        old, tail = "-".join(parts[:-cut]), "-".join(parts[-cut:])
        moved = store.case_replacing(old) if old else None
        if moved is None:
            continue
        new = f"{moved}-{tail}"
        try:
            store.get_node("Recommendation", new)
        except NotFound:
            return None
        return new
    return None


def _label(rec) -> str:
    """How parser warnings name a recommendation: its numbers ("1&2"), else its position ("#2")."""
    return "&".join(map(str, rec.numbers)) if rec.numbers else f"#{rec.position}"


@router.get("/responses/{response_id}", response_model=Entity, tags=["resources"], summary="A response",
            description="The published answer to a recommendation: its text and status, with links. Also as RDF.")
def get_response(request: Request, store: StoreDep, response_id: Annotated[str, Path(description="Response id: the recommendation's id and `-response`.", examples=['2022-178839-3-response'])]):
    rec_id = response_id.removesuffix("-response")
    if rec_id == response_id:
        raise NotFound(f"No Response with id {response_id!r}", errors={"id": response_id})
    case, rec = store.recommendation(rec_id)
    if not rec.response:
        raise NotFound(f"No Response with id {response_id!r}: the recommendation has no published response", errors={"id": response_id})
    body = {"id": response_id, "text": rec.response, "status": rec.status, "recommendation": rec_id, "case_id": case.id,
            "defers_to": [{"kind": d.kind, "id": d.id, "name": d.name} for d in rec.defers_to],
            "links": {"self": f"/responses/{response_id}", "recommendation": f"/recommendations/{rec_id}", "case": f"/cases/{case.id}"}}
    terms = request.app.state.services.terms
    return negotiated(request, body, lambda: subject_graph(case_graph(case, terms), terms.node("Response", response_id)),
                      explorer("recommendation", rec_id))


@router.get("/sources/{source_id}", response_model=Entity, tags=["resources"], summary="A source page",
            description="A page the records were read from: its URL, layout, when it was fetched, and the cases derived from it. Also as RDF.")
def get_source(request: Request, store: StoreDep, source_id: Annotated[str, Path(description="Source id: `s-` and 16 hex digits.", examples=['s-0123456789abcdef'])]):
    node = store.get_node("Source", source_id)
    services = request.app.state.services
    terms = services.terms
    iri = terms.node("Source", source_id)
    cases = [r["id"] for r in store._read(cypher.CASES_OF_SOURCE, {"id": source_id})]
    body = {**{k: node.get(k) for k in ("id", "url", "path", "layout", "retrieved")}, "cases": cases,
            "links": {"self": f"/sources/{source_id}", "cases": [f"/cases/{c}" for c in cases], "page": node.get("url")}}
    return negotiated(request, body, lambda: subject_graph(case_graph(store.case_record(cases[0]), terms), iri) if cases else node_graph("Source", source_id, terms, node),
                      explorer("case", cases[0]) if cases else "/#/")


def history(rec) -> list[dict]:
    """The recommendation's observations over time (empty unless its pages were crawled), each saying what moved."""
    from dataclasses import asdict

    from graph.rows import change

    out, previous = [], None
    for o in rec.history:
        out.append(asdict(o) | {"change": change(previous, o)})
        previous = o
    return out


@router.get("/recommendations/{rec_id}/similar", response_model=dict[str, Any], tags=["search"], summary="Similar recommendations",
            description="The recommendations most like this one (TF-IDF cosine over their texts), by default only those "
                        "made to other forces: is this learning recurring?", responses=CSV_RESPONSE)
def get_similar(index: IndexDep, settings: SettingsDep, rec_id: Annotated[str, Path(description="Recommendation id: the case id and the recommendation's number.", examples=['2022-178839-3'])],
                limit: Annotated[int, Query(ge=1, le=100, title="Limit", description="How many to return.")] = 10,
                same_force: Annotated[bool, Query(title="Same force", description="Include the recommending force's own.")] = False,
                format: Format = "json"):
    answer = similar(index, rec_id, limit=limit, other_forces=not same_force)
    for hit in answer["similar"]:
        hit["links"] = {"self": f"/recommendations/{hit['id']}"}
    if format != "json":
        return rows_response(answer["similar"], format, f"similar-{rec_id}", settings, SIMILAR_COLUMNS)
    return answer


# -- forces, bodies, programmes, themes ----------------------------------------------------------

@router.get("/forces", response_model=Listing, tags=["resources"], summary="Forces", responses=CSV_RESPONSE,
            description="Every police force of England and Wales (and BTP, MDP, CNC), with its number of recommendations.")
def list_forces(request: Request, store: StoreDep, settings: SettingsDep, page: Page = 1, page_size: PageSize = 50, format: Format = "json"):
    return listing(request, forces(store), page, page_size, format, "forces", settings, FORCE_COLUMNS)


@router.get("/forces/{force_id}", response_model=Entity, tags=["resources"], summary="A force's profile",
            description="Cases and recommendations by year and status, programmes and themes with counts, bodies it shares "
                        "recommendations with, overdue responses on `on`, and the forces most like it.")
def get_force(request: Request, store: StoreDep, settings: SettingsDep, force_id: Annotated[str, Path(description="Force id (data.police.uk's) or name.", examples=['essex'])],
              on: Day = None):
    force_id = resolve(store, "Force", force_id)
    profile = store.force_profile(force_id, on=as_date(on, "on"))
    profile["similar_forces"] = store.similar_forces(force_id, limit=10)
    body = profile_body("Force", force_id, profile, search=f"/search?force={force_id}",
                        deadlines=f"/patterns/deadlines?force={force_id}",
                        programmes=[f"/programmes/{p['id']}" for p in profile["programmes"]],
                        overdue=[f"/recommendations/{r}" for r in profile["overdue"]])
    return entity_response(request, body, "Force", force_id, store, settings)


@router.get("/bodies", response_model=Listing, tags=["resources"], summary="Bodies", responses=CSV_RESPONSE,
            description="National bodies, local policing bodies and shared governance groups.")
def list_bodies(request: Request, store: StoreDep, settings: SettingsDep, page: Page = 1, page_size: PageSize = 50, format: Format = "json"):
    return listing(request, bodies(store), page, page_size, format, "bodies", settings, BODY_COLUMNS)


@router.get("/bodies/{body_id}", response_model=Entity, tags=["resources"], summary="A body's profile",
            description="What the body (e.g. the College of Policing) was addressed or linked to, across which forces; its members.")
def get_body(request: Request, store: StoreDep, settings: SettingsDep, body_id: Annotated[str, Path(description='Body id or name.', examples=['college-of-policing'])]):
    body_id = resolve(store, "Body", body_id)
    body = profile_body("Body", body_id, store.body_profile(body_id), search=f"/search?body={body_id}")
    return entity_response(request, body, "Body", body_id, store, settings)


def _reach_listing(request, store, settings, kind: str, page, page_size, fmt):
    rows, columns = reach(store, kind)
    return listing(request, rows, page, page_size, fmt, f"{kind}s", settings, columns)


@router.get("/programmes", response_model=Listing, tags=["resources"], summary="Programmes", responses=CSV_RESPONSE,
            description="Systems, operations, training and programmes named by recommendations and responses, ranked by "
                        "the number of forces they reach.")
def list_programmes(request: Request, store: StoreDep, settings: SettingsDep, page: Page = 1, page_size: PageSize = 50, format: Format = "json"):
    return _reach_listing(request, store, settings, "programme", page, page_size, format)


@router.get("/programmes/{programme_id}", response_model=Entity, tags=["resources"], summary="A programme's reach",
            description="Every force and body linked to the programme through recommendations and responses, with counts, "
                        "first and last year, statuses and the forces that run it.")
def get_programme(request: Request, store: StoreDep, settings: SettingsDep, programme_id: Annotated[str, Path(description='Programme id or name.', examples=['athena'])]):
    programme_id = resolve(store, "Programme", programme_id)
    body = profile_body("Programme", programme_id, store.programme_profile(programme_id), search=f"/search?programme={programme_id}")
    return entity_response(request, body, "Programme", programme_id, store, settings)


@router.get("/themes", response_model=Listing, tags=["resources"], summary="Themes", responses=CSV_RESPONSE,
            description="The themes of the taxonomy, ranked by the number of forces whose recommendations are about them.")
def list_themes(request: Request, store: StoreDep, settings: SettingsDep, page: Page = 1, page_size: PageSize = 50, format: Format = "json"):
    return _reach_listing(request, store, settings, "theme", page, page_size, format)


@router.get("/themes/{theme_id}", response_model=Entity, tags=["resources"], summary="A theme's reach",
            description="Every force and body whose recommendations or responses are about the theme.")
def get_theme(request: Request, store: StoreDep, settings: SettingsDep, theme_id: Annotated[str, Path(description='Theme id or name.', examples=['custody'])]):
    theme_id = resolve(store, "Theme", theme_id)
    body = profile_body("Theme", theme_id, store.theme_profile(theme_id), search=f"/search?theme={theme_id}")
    return entity_response(request, body, "Theme", theme_id, store, settings)
