"""Every search route over HTTP keeps the search's bounds: past the deadline 504 in the one error
shape; past a cap the answer with its notice (the `notice` field, or X-Query-Notice on an export);
and the routes run their work on the heavy lane (api/lanes.py), not the event loop."""

from __future__ import annotations

import gc
import itertools
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from api import lanes
from api.app import create_app
from api.deps import Services
from search import limits
from search.limits import Caps
from search.query import Engine

SEARCHES = [("/search", {"q": "custody"}), ("/search", {"q": "custody", "format": "csv"}),
            ("/export/search", {"q": "*a*", "format": "jsonl"}), ("/export", {"q": "custody"})]


@pytest.mark.parametrize("path, params", SEARCHES)
def test_a_search_past_its_deadline_answers_504_in_the_error_shape(client, services, monkeypatch, path, params):
    services.engine.forget()
    ticks = itertools.count(0, 3600)  # every look at the clock is an hour later: each deadline passes at once
    monkeypatch.setattr(limits, "monotonic", lambda: next(ticks))
    response = client.get(path, params=params)
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["status"] == 504 and body["code"] == "query_timeout"
    assert "search" in body["message"] and str(services.settings.search_timeout_ms) in body["message"]
    assert body["details"]["timeout_ms"] == services.settings.search_timeout_ms
    monkeypatch.undo()
    assert client.get(path, params=params).status_code == 200  # the same request in time answers


@pytest.fixture(scope="module")
def capped(api_settings, services):
    """The sample corpus behind an app whose searches reach 2 words a wildcard and spell out 1."""
    settings = api_settings.model_copy(update={"search_max_expansions": 2, "search_suggest_words": 1})
    engine = Engine(services.index, Caps.of(settings))
    with TestClient(create_app(settings, Services(settings, services.store, services.index, engine)),
                    base_url="http://127.0.0.1") as c:
        yield c


def test_caps_come_from_the_settings(api_settings):
    settings = api_settings.model_copy(update={"search_max_expansions": 7, "search_suggest_words": 3})
    assert Caps.of(settings) == Caps(expansions=7, suggest_words=3)


def test_a_capped_search_answers_with_a_notice(capped, client):
    small, full = capped.get("/search", params={"q": "re*"}).json(), client.get("/search", params={"q": "re*"}).json()
    assert small["total"] < full["total"] and full["notice"] is None
    assert "re*" in small["notice"] and "search_max_expansions" in small["notice"]
    export = capped.get("/export/search", params={"q": "re*", "format": "csv"})
    assert export.status_code == 200
    assert "search_max_expansions" in unquote(export.headers["x-query-notice"])
    assert int(export.headers["x-total-count"]) == small["total"]
    spelt = capped.get("/search", params={"q": "custdy polise reveiw"}).json()
    assert len(spelt["suggestions"]) <= 1 and "search_suggest_words" in spelt["notice"]


def test_search_work_runs_on_the_heavy_lane(client, monkeypatch):
    ran = []
    real = lanes.run

    async def watched(fn, *args, **kwargs):
        ran.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(lanes, "run", watched)
    assert client.get("/search", params={"q": "custody"}).status_code == 200
    assert client.get("/export/search", params={"q": "custody"}).status_code == 200
    assert client.get("/export", params={"force": "essex"}).status_code == 200
    assert client.get("/clusters", params={"threshold": 0.9, "min_forces": 1}).status_code == 200
    assert {"search_page", "search_export", "cases", "clusters"} <= set(ran)  # the ranking, the export's, /export's part, clusters
    assert ran.count("batch") >= 2  # the bodies of both exports were read on the heavy lane
    assert gc.isenabled()  # paused while a batch is made, and given back
