"""Keyword search with filters, facets, highlights, sorting, pagination and suggestions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api import lanes
from api.deps import EngineDep, IndexDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.answers import SEARCH_COLUMNS, search_export, search_filters as _filters, search_page  # noqa: F401 - SEARCH_COLUMNS: the routes' import
from api.formats import header_value, streamed
from api.routes.entities import CSV_RESPONSE, Day, Format, Page, PageSize, as_date, rows_response
from ontology.exc import InvalidData
from search.limits import Deadline
from search.query import Search
from search.similar import clusters

router = APIRouter(tags=["search"], responses=ERROR_RESPONSES)

Multi = Annotated[list[str], Query()]
Overdue = Annotated[bool, Query(title="Overdue", description=(
    "Only recommendations whose response is overdue on `on` (default today): no response, or still awaited, and the "
    "56-day due date passed, as `/patterns/deadlines` counts them. Combines with every filter and every facet's count."))]
ExportFormat = Annotated[Literal["csv", "jsonl", "json"], Query(
    title="Format", description="`csv` (a spreadsheet), `jsonl` (JSON lines) or `json` (one document with the figures and every hit).")]
EXPORT_RESPONSE = {200: {"content": {"text/csv": {}, "application/x-ndjson": {}, "application/json": {}},
                         "description": "Every hit, streamed. Headers: `X-Total-Count` (hits), `X-Query`, `X-Generated-At`, "
                                        "`X-IOPC-KG-Version`, `X-Data-Updated` (the last ingest), and `X-Query-Notice` / "
                                        "`X-Did-You-Mean` when set. A JSON document holds the same figures beside `hits`."}}


class FacetValue(BaseModel):
    value: str
    label: str
    count: int = Field(description="Hits with this value, counting every filter but this facet's own.")
    selected: bool


class SearchResponse(BaseModel):
    query: str
    parsed: str = Field(description="The query as the engine read it.")
    notice: str | None = Field(description="Set when the query could not be read as written (how it was read instead), when a "
                                            "wildcard, prefix or fuzzy term reached more words than the search_max_expansions setting "
                                            "(the first ones were searched), or when more unknown words than search_suggest_words "
                                            "were left without suggestions; also in `X-Query-Notice`.")
    total: int
    page: int
    page_size: int
    pages: int
    sort: str
    hits: list[dict[str, Any]]
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = Field(description="The query with misspelt words corrected, if any were.")
    suggestions: dict[str, list[str]]
    took_ms: float
    overdue_on: str | None = Field(None, description="With `overdue`: the day the responses are overdue on.")


@router.get(
    "/search", response_model=SearchResponse, summary="Search recommendations and responses", responses=CSV_RESPONSE,
    description=(
        "Every word of every recommendation and response. The query language: words (stemmed, so *reminder* finds "
        "*reminders*; accents folded), `\"phrases\"`, `AND` / `OR` / `NOT`, field queries (`response:\"governance group\"`, "
        "`force:essex`, `programme:athena`, `status:accepted`), prefixes (`supervis*`), fuzzy terms (`soteria~`), ranges "
        "(`date:[2023-01-01 TO 2023-12-31]`, `year:[2020 TO 2022]`). A query that does not parse is searched as plain words "
        "and `notice` says so. Filters combine: values of one facet with OR, facets with AND. Each facet is counted "
        "for the current query with every filter but its own. Snippets mark matched terms with `<mark>`. "
        "`format=csv` or `format=jsonl` streams every hit (no page cap) as `/export/search` does. A search has a time "
        "limit (the search_timeout_ms setting): past it the answer is 504 `query_timeout`. A wildcard, prefix or fuzzy term "
        "searches at most search_max_expansions words per field and spelling suggestions cover at most search_suggest_words "
        "words: past either, the answer is still given, and `notice` says what was left out."),
)
async def search(
    engine: EngineDep, settings: SettingsDep, request: Request, response: Response,
    q: Annotated[str, Query(title="Query", description="The query; empty for everything.", max_length=1000, examples=["automated reminders"])] = "",
    force: Annotated[list[str], Query(title="Force", description="Force id or name (repeat for several).", examples=[["essex"]])] = [],  # noqa: B006
    body: Annotated[list[str], Query(title="Body", description="Body id or name the recommendation is addressed or linked to.")] = [],  # noqa: B006
    status: Annotated[list[Literal["accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"]], Query(title="Status", description="Response status (repeat for several).")] = [],  # noqa: B006
    year: Annotated[list[int], Query(title="Year", description="Year the recommendation was made.")] = [],  # noqa: B006
    programme: Annotated[list[str], Query(title="Programme", description="Programme id or name, e.g. athena, Operation Soteria.")] = [],  # noqa: B006
    theme: Annotated[list[str], Query(title="Theme", description="Theme id, e.g. custody, mental-health.")] = [],  # noqa: B006
    sort: Annotated[Literal["relevance", "newest", "oldest"], Query(title="Sort", description="`relevance` (default), `newest` or `oldest` first.")] = "relevance",
    page: Page = 1,
    page_size: PageSize = 20,
    highlight: Annotated[bool, Query(title="Highlight", description="Add snippets with matched terms marked.")] = True,
    facets: Annotated[bool, Query(title="Facets", description="Count force, body, status, year, programme and theme values.")] = True,
    overdue: Overdue = False,
    on: Day = None,
    format: Format = "json",
):
    deadline = Deadline(settings.search_timeout_ms)  # from now: waiting for a thread counts
    filters = _filters(force, body, status, year, programme, theme)
    late = overdue_on(overdue, on)
    if format != "json":  # a spreadsheet wants every hit, not a page
        return await _export(engine, settings, request, Search(q=q, filters=filters, sort=sort, highlight=False, overdue_on=late),
                             format, None, 0, deadline)
    answer = await lanes.run_until(deadline, search_page, engine, settings, Search(
        q=q, filters=filters, sort=sort, page=page, page_size=page_size, facets=facets, highlight=highlight, overdue_on=late), deadline)
    if answer.get("notice"):  # how the query was read, for a client that reads headers only (as the exports say it)
        response.headers["X-Query-Notice"] = header_value(answer["notice"])
    return answer


async def _export(engine, settings, request: Request, req: Search, fmt: str, limit: int | None, offset: int, deadline: Deadline):
    """The ranking on the heavy lane to the deadline, then the rows streamed from it (api/lanes.py)."""
    base = str(request.base_url).rstrip("/")
    return streamed(await lanes.run_until(deadline, search_export, engine, settings, req, fmt, limit, offset, base, deadline))


@router.get(
    "/export/search", summary="Export every hit of a search", response_class=Response, responses=EXPORT_RESPONSE,
    description=(
        "Every hit of a search (the query and filters of `/search`), with no page cap, streamed as CSV, JSON lines or "
        "one JSON document: the whole recommendation and response text, the source page's URL and this service's URL "
        "of the recommendation, in relevance or date order. No HTML: a CSV or JSON lines row holds plain text; JSON "
        "hits add `snippets` with matched terms in `<mark>` when `highlight` is set. The figures (total, query, date, "
        "version, data date) are in headers, and in the JSON document. The search's time limit and caps are `/search`'s; "
        "the rows, once ranked, are not timed."),
)
async def export_search(
    engine: EngineDep, settings: SettingsDep, request: Request,
    q: Annotated[str, Query(title="Query", description="The query (as `/search`); empty for everything.", max_length=1000)] = "",
    force: Annotated[list[str], Query(title="Force", description="Force id or name (repeat for several).")] = [],  # noqa: B006
    body: Annotated[list[str], Query(title="Body", description="Body id or name.")] = [],  # noqa: B006
    status: Annotated[list[Literal["accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"]], Query(title="Status", description="Response status (repeat for several).")] = [],  # noqa: B006
    year: Annotated[list[int], Query(title="Year", description="Year the recommendation was made.")] = [],  # noqa: B006
    programme: Annotated[list[str], Query(title="Programme", description="Programme id or name.")] = [],  # noqa: B006
    theme: Annotated[list[str], Query(title="Theme", description="Theme id or name.")] = [],  # noqa: B006
    sort: Annotated[Literal["relevance", "newest", "oldest"], Query(title="Sort", description="`relevance`, `newest` or `oldest` first.")] = "relevance",
    format: ExportFormat = "csv",
    limit: Annotated[int | None, Query(ge=0, title="Limit", description="At most this many hits (default: every one).")] = None,
    offset: Annotated[int, Query(ge=0, title="Offset", description="Skip this many hits first.")] = 0,
    highlight: Annotated[bool, Query(title="Highlight", description="JSON only: add `snippets` with matched terms in `<mark>`.")] = False,
    overdue: Overdue = False,
    on: Day = None,
):
    deadline = Deadline(settings.search_timeout_ms)
    req = Search(q=q, filters=_filters(force, body, status, year, programme, theme), sort=sort, highlight=highlight and format == "json",
                 overdue_on=overdue_on(overdue, on))
    return await _export(engine, settings, request, req, format, limit, offset, deadline)


@router.get("/clusters", response_model=list[dict[str, Any]], summary="Recurring learning", responses=CSV_RESPONSE,
            description="Groups of near-identical recommendations made to several forces (TF-IDF cosine at least "
                        "`threshold`, linked transitively), ranked by the number of forces.")
async def get_clusters(
    index: IndexDep, settings: SettingsDep,
    threshold: Annotated[float, Query(gt=0, le=1, title="Threshold", description="Cosine similarity that links two recommendations.")] = 0.5,
    min_forces: Annotated[int, Query(ge=1, le=50, title="Minimum forces", description="Keep clusters that span at least this many forces.")] = 3,
    limit: Annotated[int, Query(ge=1, le=500, title="Limit", description="Most clusters to return.")] = 50,
    format: Format = "json",
):
    # Seconds of CPU for a threshold not asked before: on the heavy lane, never on /health's threads.
    found = await lanes.run(clusters, index, threshold=threshold, min_forces=min_forces, limit=limit)
    if format != "json":
        return rows_response([{k: v for k, v in c.items() if k != "members"} | {"members": [m["id"] for m in c["members"]]} for c in found] if format == "csv" else found,
                             format, "clusters", settings, ["id", "size", "forces", "terms", "members"])
    return found


def overdue_on(overdue: bool, on: str | None) -> str | None:
    """The day an overdue search is for (ISO), or None; `on` without `overdue` is a mistake to name."""
    if on is not None and not overdue:
        raise InvalidData("on: a date for overdue=true; without it the search is not about deadlines",
                          errors={"on": "used with overdue=true"})
    if not overdue:
        return None
    return (as_date(on, "on") or date.today()).isoformat()
