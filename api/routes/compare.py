"""Forces side by side: the cross-force comparison table, sortable, as JSON or a spreadsheet."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.routes.entities import CSV_RESPONSE, Day, Format, as_date, rows_response
from graph.comparison import COLUMNS, force_table, sorted_by

router = APIRouter(responses=ERROR_RESPONSES)

Column = Literal[tuple(COLUMNS)]  # type: ignore[valid-type]


@router.get("/patterns/compare", response_model=list[dict[str, Any]], tags=["patterns"], responses=CSV_RESPONSE,
            summary="Forces side by side",
            description="One row per force: recommendations; the share (per cent) accepted, partly accepted, not accepted "
                        "and awaiting a response; overdue on `on`; the median days from recommendation to the first "
                        "observation of its response (`responses_timed` says how many it rests on: one first seen already "
                        "answered has no date to measure); the top three programmes and themes. Sorted by any column; "
                        "`min_recommendations` leaves out forces with fewer. CSV holds one force a row, lists `; `-joined.")
def compare(store: StoreDep, settings: SettingsDep,
            sort: Annotated[Column, Query(title="Sort by", description="The column to sort by.")] = "recommendations",
            order: Annotated[Literal["desc", "asc"], Query(title="Order", description="`desc` (largest first) or `asc`.")] = "desc",
            min_recommendations: Annotated[int, Query(ge=0, le=10_000_000, title="Minimum recommendations", description="Leave out forces with fewer.")] = 0,
            on: Day = None,
            format: Format = "json"):
    day = as_date(on, "on")
    rows = [r for r in force_table(store, on=day) if r["recommendations"] >= min_recommendations]
    rows = sorted_by(rows, sort, order == "desc")
    if format != "json":
        return rows_response(rows, format, "forces-compared", settings, COLUMNS)
    return rows
