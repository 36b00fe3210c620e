"""The answers the API and the command line share: one function per question, free of the web
framework. A route calls one and wraps what it returns in a response; the command line, on a data
directory no server holds, calls the same function in its own process (`api.direct`) and so starts
without importing or building the web app.
"""

from __future__ import annotations

from typing import Iterator

from api.formats import Export, export_parts, figures
from ingest import journal
from ontology.exc import InvalidData
from search.limits import Deadline
from search.query import Engine, Search

# The columns of a search export, in order: a spreadsheet's columns do not depend on the hits.
SEARCH_COLUMNS = ["id", "case_id", "reference", "number", "title", "force.id", "force.name", "status", "date_recommended",
                  "response_due", "year", "programmes", "themes", "bodies", "text", "response", "source_url", "url", "score"]
FORCE_COLUMNS = ["id", "name", "kind", "country", "police_uk_id", "recommendations", "links.self"]
BODY_COLUMNS = ["id", "name", "kind", "links.self"]


def check_page_size(page_size: int, settings) -> None:
    if page_size > settings.max_page_size:
        raise InvalidData(f"page_size may be at most {settings.max_page_size}", errors={"page_size": f"at most {settings.max_page_size}"})


def data_updated(settings) -> str | None:
    """When the data last changed (ingest/journal.py)."""
    return journal.data_updated(settings.ingest_log)


def rows_export(rows: list[dict], fmt: str, name: str, settings, columns: list[str] | None = None, **meta) -> Export:
    """Every row as CSV or JSON lines, with the figures (`api.formats.figures`) for the headers."""
    total = meta.pop("total", len(rows))
    return export_parts(rows, fmt, name, figures(total, data_updated=data_updated(settings), **meta), empty=columns)


# -- search --------------------------------------------------------------------------------------

def search_filters(force=(), body=(), status=(), year=(), programme=(), theme=()) -> dict[str, list[str]]:
    """The filters of a search request, as `Search.filters` takes them (only those given)."""
    filters = {"force": list(force), "body": list(body), "status": list(status), "year": [str(y) for y in year],
               "programme": list(programme), "theme": list(theme)}
    return {k: v for k, v in filters.items() if v}


def search_page(engine: Engine, settings, req: Search, deadline: Deadline | None = None) -> dict:
    """A page of hits with facets and snippets: what `GET /search` answers (by `deadline` or a QueryTimeout)."""
    check_page_size(req.page_size, settings)
    result = engine.search(req, deadline)
    for hit in result.hits:
        hit["links"] = {"self": f"/recommendations/{hit['id']}", "case": f"/cases/{hit['case_id']}",
                        "similar": f"/recommendations/{hit['id']}/similar"}
    return result.as_dict()


def search_export(engine: Engine, settings, req: Search, fmt: str, limit: int | None, offset: int, base: str,
                  deadline: Deadline | None = None) -> Export:
    """Every hit of a search (no page cap) as CSV, JSON lines or one JSON document: what
    `GET /export/search` answers; `base` is the service's URL the rows link to."""
    header, rows = engine.export(req, limit=limit, offset=offset, deadline=deadline)  # the ranking, by the deadline

    def shaped() -> Iterator[dict]:
        for row in rows:
            row["url"] = f"{base}/recommendations/{row['id']}"
            if fmt == "csv":
                row.pop("snippets", None)
            yield row

    meta = figures(header.total, header.query, data_updated(settings), filters=req.filters, sort=req.sort,
                   **({"overdue_on": req.overdue_on} if req.overdue_on else {}), notice=header.notice, did_you_mean=header.did_you_mean, returned=header.page_size)
    return export_parts(shaped(), fmt, "search", meta, columns=SEARCH_COLUMNS if fmt == "csv" else None, key="hits")


# -- lists ---------------------------------------------------------------------------------------

def forces(store) -> list[dict]:
    """Every force with its number of recommendations: what `GET /forces` lists."""
    totals = {r["force"]: r["total"] for r in store.acceptance("force")}
    return [{"id": f["id"], "name": f.get("name"), "kind": f.get("kind"), "country": f.get("country"),
             "police_uk_id": f.get("police_uk_id"), "recommendations": totals.get(f["id"], 0),
             "links": {"self": f"/forces/{f['id']}"}} for f in store.list_nodes("Force", 0, 10_000)]


def bodies(store) -> list[dict]:
    """Every body: what `GET /bodies` lists."""
    return [{"id": b["id"], "name": b.get("name"), "kind": b.get("kind"), "links": {"self": f"/bodies/{b['id']}"}}
            for b in store.list_nodes("Body", 0, 10_000)]


def reach(store, kind: str) -> tuple[list[dict], list[str]]:
    """Programmes or themes ranked by the forces they reach, and the columns of their list: what
    `GET /programmes` and `GET /themes` list."""
    spread = {r["id"]: r for r in store.spread(kind, min_forces=1, limit=100_000)}
    rows = []
    for n in store.list_nodes(kind.capitalize(), 0, 100_000):
        s = spread.get(n["id"], {})
        rows.append({"id": n["id"], "name": n.get("name"), "kind": n.get("kind") if kind == "programme" else None,
                     "forces": s.get("forces", 0), "recommendations": s.get("recommendations", 0),
                     "links": {"self": f"/{kind}s/{n['id']}"}})
    if kind == "theme":
        for r in rows:
            r.pop("kind")
    rows.sort(key=lambda r: (-r["forces"], -r["recommendations"], r["id"]))
    return rows, ["id", "name", *(["kind"] if kind == "programme" else []), "forces", "recommendations", "links.self"]
