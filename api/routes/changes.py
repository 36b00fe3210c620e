"""What moved: recommendations first seen, and each change of status or response, since a date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.dates import parse_since
from api.deps import EngineDep, SettingsDep, StoreDep
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


FEED_DAYS = 90  # what a feed holds when no `since` is given


@router.get("/changes.atom", tags=["patterns"], response_class=Response, summary="Changes as an Atom feed",
            responses={200: {"content": {"application/atom+xml": {}}, "description": "An Atom 1.0 feed, newest first."}},
            description="What moved (as `/changes`: recommendations first seen, each change of status or response), as an "
                        "Atom feed for a feed reader, newest first, filtered like a search by force, programme, theme and "
                        f"body (ids or names; values of one filter with OR, filters with AND). Default: the last {FEED_DAYS} days.")
def changes_feed(store: StoreDep, engine: EngineDep, request: Request,
                 since: Annotated[str | None, Query(title="Since", max_length=40, description=f"A date in any usual spelling or a UTC time; default {FEED_DAYS} days ago.")] = None,
                 force: Annotated[list[str], Query(title="Force", description="Force id or name (repeat for several).")] = [],  # noqa: B006
                 programme: Annotated[list[str], Query(title="Programme", description="Programme id or name.")] = [],  # noqa: B006
                 theme: Annotated[list[str], Query(title="Theme", description="Theme id or name.")] = [],  # noqa: B006
                 body: Annotated[list[str], Query(title="Body", description="Body id or name the recommendation is addressed or linked to.")] = [],  # noqa: B006
                 limit: Annotated[int, Query(ge=1, le=10000, title="Limit", description="Most entries.")] = 100):
    from api.feed import atom
    from search.query import Search

    try:
        since = parse_since(since) if since else (date.today() - timedelta(days=FEED_DAYS)).isoformat()
    except ValueError as e:
        raise InvalidData(f"since: {e}", errors={"since": since}) from None
    rows = store.changes(since)
    filters = {k: v for k, v in {"force": force, "programme": programme, "theme": theme, "body": body}.items() if v}
    if filters:  # the search's filters: names resolve, and a value that names nothing is a 422
        _, found = engine.export(Search(q="", filters=filters, highlight=False))
        wanted = {r["id"] for r in found}
        rows = [r for r in rows if r["rec_id"] in wanted]
    rows = sorted(rows, key=lambda r: (r["seen"], r["rec_id"]), reverse=True)[:limit]
    names = {i: n for (_, i), n in store.names_of({("Force", r["force_id"]) for r in rows if r["force_id"]}).items()}
    said = "; ".join(f"{k} {', '.join(v)}" for k, v in filters.items())
    base = str(request.base_url).rstrip("/")
    body_ = atom(rows, base, str(request.url), f"iopc-kg: what moved since {since}" + (f" ({said})" if said else ""), names)
    return Response(body_, media_type="application/atom+xml")
