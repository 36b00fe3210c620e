"""What moved: recommendations first seen, and each change of status or response, since a date."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.dates import parse_since
from api.deps import SettingsDep, StoreDep
from api.errors import ERROR_RESPONSES
from api.routes.entities import CSV_RESPONSE, Format, rows_response
from ontology.exc import InvalidData

router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/changes", response_model=list[dict[str, Any]], tags=["patterns"], responses=CSV_RESPONSE,
            summary="Changes since a date",
            description="Every observation made on or after `since` by a crawl (`iopc-kg crawl` / `update`): a recommendation "
                        "seen for the first time (`change: new`) or whose status or response changed, with the state before "
                        "and the archived record that shows it. Oldest first.")
def changes(store: StoreDep, settings: SettingsDep,
            since: Annotated[str, Query(title="Since", max_length=40,
                                        description="A date in any usual spelling (2026-01-01, 01/01/2026 day first, "
                                                    "1 January 2026) or a UTC time (YYYY-MM-DDTHH:MM:SSZ).",
                                        examples=["2026-01-01"])],
            limit: Annotated[int, Query(ge=1, le=10000, title="Limit", description="Most rows to return.")] = 1000,
            format: Format = "json"):
    try:
        since = parse_since(since)
    except ValueError as e:
        raise InvalidData(f"since: {e}", errors={"since": since}) from None
    rows = store.changes(since, limit=limit)
    for r in rows:
        r["links"] = {"self": f"/recommendations/{r['rec_id']}", "case": f"/cases/{r['case_id']}"}
    if format != "json":
        return rows_response([{k: v for k, v in r.items() if k != "links"} for r in rows], format, "changes", settings,
                             ["rec_id", "case_id", "reference", "force_id", "seen", "change", "status", "response",
                              "previous_status", "previous_response", "archive"], since=since)
    return rows
