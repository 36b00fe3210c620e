"""Exports for a spreadsheet: every hit and every list item, streamed past the page cap, whole texts,
no HTML, the figures in headers; and the search wording issue 19 found wrong."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services


@pytest.fixture(scope="module")
def capped(api_settings, services):
    """The sample corpus behind an app whose page cap (5) is far below its 40 recommendations."""
    settings = api_settings.model_copy(update={"max_page_size": 5})
    with TestClient(create_app(settings, Services(settings, services.store, services.index, services.engine)),
                    base_url="http://127.0.0.1") as c:
        yield c


def test_search_csv_holds_every_hit_past_the_page_cap(capped, services):
    recommendations = services.store.counts()["Recommendation"]
    assert capped.get("/search", params={"page_size": recommendations}).status_code == 422
    response = capped.get("/search", params={"format": "csv", "page_size": 5})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == recommendations == int(response.headers["x-total-count"])
    assert response.headers["x-iopc-kg-version"] and response.headers["x-generated-at"] and response.headers["x-data-updated"]
    assert not response.text.startswith("#")  # no comment lines: figures live in the headers
    assert "<mark" not in response.text and "&lt;" not in response.text


def test_search_export_rows_hold_the_whole_texts_and_urls(client):
    response = client.get("/export/search", params={"q": "governance group", "force": "Essex Police", "format": "jsonl"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["x-query"] == "governance group" and response.headers["x-total-count"] == "1"
    (row,) = [json.loads(line) for line in response.text.splitlines()]
    assert row["id"] == "2022-178839-3" and row["number"] == 3 and row["force"]["id"] == "essex"
    assert row["response"].endswith("substantial cost implications.") and "snippets" not in row
    assert row["url"].endswith("/recommendations/2022-178839-3")
    document = client.get("/export/search", params={"q": "athena", "format": "json", "highlight": True, "limit": 2, "offset": 1}).json()
    assert document["total"] == 6 and document["query"] == "athena" and len(document["hits"]) == 2
    assert any("<mark" in s for h in document["hits"] for s in h["snippets"].values())  # only the JSON snippet field


def test_a_query_in_any_script_is_sent_in_a_header(client):
    response = client.get("/export/search", params={"q": "Ærø “custody”", "format": "csv"})
    assert response.status_code == 200 and response.headers["x-query"] == "%C3%86r%C3%B8 %E2%80%9Ccustody%E2%80%9D"


def test_lists_and_patterns_come_as_json_lines(client):
    forces = [json.loads(line) for line in client.get("/forces", params={"format": "jsonl"}).text.splitlines()]
    assert len(forces) == 46 and {"id", "name", "recommendations"} <= set(forces[0])
    overdue = client.get("/patterns/deadlines", params={"on": "2026-01-01", "format": "csv"})
    assert int(overdue.headers["x-total-count"]) == len(list(csv.DictReader(io.StringIO(overdue.text)))) > 0


@pytest.mark.parametrize("params, error", [
    ({"q": "athena", "force": "nowhere"}, "Unknown force 'nowhere'"),
    ({"q": "athena", "programme": "Athina"}, "did you mean 'Athena'"),
    ({"q": "athena", "status": "yes"}, "status"),
])
def test_a_filter_that_names_nothing_is_a_422(client, params, error):
    response = client.get("/search", params=params)
    assert response.status_code == 422 and error in response.json()["message"]
    assert client.get("/export/search", params=params).status_code == 422


def test_names_resolve_and_near_misses_are_suggested(client):
    assert client.get("/forces/Essex Police").json()["id"] == "essex"
    assert client.get("/programmes/Operation Soteria").json()["id"] == "op-soteria"
    missing = client.get("/forces/esex").json()
    assert missing["status"] == 404 and "did you mean 'essex' (Essex Police)" in missing["message"]


def test_search_wording(client):
    fuzzy = client.get("/search", params={"q": "custdy~"}).json()
    assert fuzzy["total"] > 0 and fuzzy["did_you_mean"] is None  # a fuzzy word already asks for near words
    unread = client.get("/search", params={"q": "foo:bar"}).json()
    assert unread["notice"] and unread["did_you_mean"] is None  # not "for:part"
    assert client.get("/search", params={"q": "soteira"}).json()["did_you_mean"] == "soteria"
    hits = client.get("/search", params={"q": "", "page_size": 50}).json()["hits"]
    assert all("\n" not in s for h in hits for s in h["snippets"].values())
    assert all(isinstance(h["number"], int) for h in hits)
