"""Store fixtures: every contract test runs on each store.

`store` is parametrised over "embedded" (always) and "neo4j" (when NEO4J_URI is set; the database
is cleared first, so point it at a scratch database). Both are loaded with the sample corpus.
"""

from __future__ import annotations

import os

import pytest

from api.settings import Settings
from graph.open import open_store


def make_store(kind: str, tmp_path):
    if kind == "neo4j":
        if not os.environ.get("NEO4J_URI"):
            pytest.skip("NEO4J_URI is not set: the Neo4j leg of the contract needs a Neo4j 5 server")
        settings = Settings(store="neo4j", data_dir=tmp_path, _env_file=None)
        store = open_store(settings)
        store.clear()
    else:
        store = open_store(Settings(data_dir=tmp_path, _env_file=None))
    store.ensure_schema()
    return store


@pytest.fixture(params=["embedded", "neo4j"])
def empty_store(request, tmp_path):
    store = make_store(request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def store(empty_store, sample_cases):
    result = empty_store.write_cases(sample_cases)
    assert not result.failed
    return empty_store
