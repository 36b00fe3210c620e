"""The questions the command line asks most, answered in its own process without the web app.

On a data directory no server holds, `api.client.LocalClient` hands a GET here first: a search, a
search export and the lists of forces, bodies, programmes and themes are answered by the same
functions the routes call (`api.answers`), and the answer is read as the command reads the API's
(`json()`, `text`, `headers`, `iter_bytes()`). Any other request returns None and goes to the app,
built in the process on first need. A command so starts without importing FastAPI, and a search
without opening the graph.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from api import answers
from api.formats import Export
from ontology.exc import InvalidData


class Answer:
    """An answer in the shape the command line reads a response in."""

    status_code = 200

    def __init__(self, pieces: Iterable[str], headers: dict[str, str] | None = None):
        self._pieces = pieces
        self.headers = headers or {}

    @classmethod
    def of_json(cls, value: Any) -> "Answer":
        return cls([json.dumps(value, ensure_ascii=False, default=str)], {"Content-Type": "application/json"})

    @classmethod
    def of_export(cls, export: Export) -> "Answer":
        return cls(export.body, {**export.headers, "Content-Type": export.media_type})

    def iter_bytes(self):
        for piece in self._pieces:
            yield piece.encode("utf-8")

    @property
    def text(self) -> str:
        if not isinstance(self._pieces, list):
            self._pieces = list(self._pieces)
        return "".join(self._pieces)

    def json(self) -> Any:
        return json.loads(self.text)


def _many(params: dict, name: str) -> list:
    value = params.get(name)
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def _flag(params: dict, name: str, default: bool) -> bool:
    value = params.get(name, default)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes", "on")


def _int(params: dict, name: str, default: int | None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidData(f"{name} is not a whole number: {value!r}", errors={name: str(value)}) from None


def _search_request(params: dict, **more):
    from search.query import Search

    filters = answers.search_filters(*(_many(params, f) for f in ("force", "body", "status", "year", "programme", "theme")))
    return Search(q=params.get("q") or "", filters=filters, sort=params.get("sort") or "relevance", **more)


def _search(local, params: dict) -> Answer | None:
    if params.get("format", "json") != "json":
        return None  # the route's own export of every hit: rare from the command line, left to the app
    req = _search_request(params, page=_int(params, "page", 1), page_size=_int(params, "page_size", 20),
                          facets=_flag(params, "facets", True), highlight=_flag(params, "highlight", True))
    return Answer.of_json(answers.search_page(local.engine, local.settings, req))


def _export_search(local, params: dict) -> Answer | None:
    fmt = params.get("format") or "csv"
    req = _search_request(params, highlight=_flag(params, "highlight", False) and fmt == "json")
    return Answer.of_export(answers.search_export(local.engine, local.settings, req, fmt, _int(params, "limit", None),
                                                  _int(params, "offset", 0), local.base))


def _listed(name: str, rows: Callable[[Any], tuple[list[dict], list[str]]]):
    def answer(local, params: dict) -> Answer | None:
        fmt = params.get("format", "json")
        if fmt not in ("csv", "jsonl"):
            return None  # a page of JSON with its links: the app's
        found, columns = rows(local.store)
        return Answer.of_export(answers.rows_export(found, fmt, name, local.settings, columns))

    return answer


ROUTES: dict[str, Callable] = {
    "/search": _search,
    "/export/search": _export_search,
    "/forces": _listed("forces", lambda store: (answers.forces(store), answers.FORCE_COLUMNS)),
    "/bodies": _listed("bodies", lambda store: (answers.bodies(store), answers.BODY_COLUMNS)),
    "/programmes": _listed("programmes", lambda store: answers.reach(store, "programme")),
    "/themes": _listed("themes", lambda store: answers.reach(store, "theme")),
}


def answer(local, method: str, path: str, params: dict | None) -> Answer | None:
    """The answer to a request asked of `local` (an `api.client.LocalClient`), or None when the app must give it."""
    handler = ROUTES.get(path) if method in ("GET", "HEAD") else None
    return handler(local, params or {}) if handler else None
