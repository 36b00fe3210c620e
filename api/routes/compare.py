"""Side by side: the comparison table of forces, programmes or bodies, sortable, as JSON or a spreadsheet."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.routes.entities import CSV_RESPONSE, Day, Format, as_date, rows_response
from graph.comparison import COLUMNS, TABLES, sorted_by, table
from ontology.exc import InvalidData

router = APIRouter(responses=ERROR_RESPONSES)

Column = Literal[tuple(COLUMNS)]  # type: ignore[valid-type]


@router.get("/patterns/compare", response_model=list[dict[str, Any]], tags=["patterns"], responses=CSV_RESPONSE,
            summary="Forces, programmes or bodies side by side",
            description="One row per force (`by=force`, the default), programme or body: recommendations; the share (per "
                        "cent) accepted, partly accepted, not accepted and awaiting a response; overdue on `on`; the median "
                        "days from recommendation to the first observation of its response (`responses_timed` says how many "
                        "it rests on: one first seen already answered has no date to measure); for forces the top three "
                        "programmes and themes, for programmes and bodies the forces reached and the top three. Sorted by any "
                        "column of the table; `min_recommendations` leaves out rows with fewer. CSV holds one row a line, "
                        "lists `; `-joined.")
def compare(store: StoreDep, settings: SettingsDep,
            by: Annotated[Literal["force", "programme", "body"], Query(title="By", description="What a row is.")] = "force",
            sort: Annotated[Column, Query(title="Sort by", description="The column to sort by (one of the table's).")] = "recommendations",
            order: Annotated[Literal["desc", "asc"], Query(title="Order", description="`desc` (largest first) or `asc`.")] = "desc",
            min_recommendations: Annotated[int, Query(ge=0, le=10_000_000, title="Minimum recommendations", description="Leave out rows with fewer.")] = 0,
            on: Day = None,
            format: Format = "json"):
    if sort not in TABLES[by]:
        raise InvalidData(f"sort: the {by} table has no column {sort!r}; its columns are {', '.join(TABLES[by])}",
                          errors={"sort": f"one of {', '.join(TABLES[by])}"})
    rows = [r for r in table(store, by, on=as_date(on, "on")) if r["recommendations"] >= min_recommendations]
    rows = sorted_by(rows, sort, order == "desc")
    if format != "json":
        return rows_response(rows, format, f"{by}s-compared".replace("bodys", "bodies"), settings, TABLES[by])
    return rows
