"""The `overdue` search filter finds exactly the recommendations the graph's deadlines list on the same day
(no response or still awaited, due date passed), and combines with every other filter, the query and
every facet's count. The hand check is the graph's own question (`GraphStore.deadlines`) over the
same corpus, on days before, between and after the due dates it holds."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import date, timedelta

import pytest

from ingest.generator import generate
from ingest.load import write_cases
from search.index import SearchIndex
from search.query import Engine, Search
from tests.conftest import fresh_store, store_settings


@pytest.fixture(scope="module")
def both(request, tmp_path_factory, _parsed_samples):
    settings = store_settings("embedded", tmp_path_factory.mktemp("overdue"), request)
    store = fresh_store(settings)
    index = SearchIndex(settings.index_dir)
    write_cases(copy.deepcopy(_parsed_samples.cases) + generate(60, seed=23), store, index)
    yield store, Engine(index)
    index.close()
    store.close()


def _days(store) -> list[date]:
    dues = sorted({date.fromisoformat(r["due"]) for r in store.deadlines(on=date(2100, 1, 1))["overdue"]})
    picks = [dues[0] - timedelta(days=1), dues[0], dues[0] + timedelta(days=1), dues[len(dues) // 2], dues[-1],
             dues[-1] + timedelta(days=1), date(2100, 1, 1)]
    return sorted(set(picks))


def _ids(engine, **search) -> set[str]:
    result = engine.search(Search(page_size=10_000, **search))
    assert result.total == len(result.hits)
    return {h["id"] for h in result.hits}


def test_overdue_search_finds_what_the_graph_counts_overdue_on_every_day(both):
    store, engine = both
    for day in _days(store):
        want = {r["rec_id"] for r in store.deadlines(on=day)["overdue"]}
        assert _ids(engine, overdue_on=day.isoformat()) == want, day


def test_overdue_combines_with_filters_the_query_and_the_facet_counts(both):
    store, engine = both
    day = _days(store)[-1]
    per_force = store.deadlines(on=day)["per_force"]
    force = per_force[0]["id"]
    want = {r["rec_id"] for r in store.deadlines(on=day, force_id=force)["overdue"]}
    assert want and _ids(engine, overdue_on=day.isoformat(), filters={"force": [force]}) == want
    result = engine.search(Search(overdue_on=day.isoformat(), page_size=1))
    counted = {row["value"]: row["count"] for row in result.facets["force"]}
    assert counted == {f["id"]: f["overdue"] for f in per_force}
    words = _ids(engine, q="training")
    assert _ids(engine, q="training", overdue_on=day.isoformat()) == words & {r["rec_id"] for r in store.deadlines(on=day)["overdue"]}


def test_the_api_and_the_command_line_take_overdue_and_refuse_a_lone_on(client, services, tmp_path):
    every = client.get("/search", params={"overdue": "true", "on": "1 January 2100", "page_size": 100}).json()
    assert every["overdue_on"] == "2100-01-01" and every["total"] > 0
    assert {h["id"] for h in every["hits"]} == {r["rec_id"] for r in services.store.deadlines(on=date(2100, 1, 1))["overdue"]}
    none = client.get("/search", params={"overdue": "true", "on": "1990-01-01"}).json()
    assert none["total"] == 0
    refused = client.get("/search", params={"on": "2024-01-01"})
    assert refused.status_code == 422 and "overdue" in refused.text
    csv = client.get("/export/search", params={"overdue": "true", "on": "2100-01-01", "format": "csv"})
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == every["total"] + 1
    done = subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(tmp_path), "search", "--on", "2024-01-01"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--overdue" in done.stderr

