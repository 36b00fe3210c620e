"""Store fixtures: every contract test runs on each store.

`empty_store` and `store` are parametrised over "embedded" and "neo4j" (the session's Neo4j server,
see `neo4j_uri` in tests/conftest.py; its database is cleared for each test). `store` holds the
sample corpus.
"""

from __future__ import annotations

import pytest

from tests.conftest import STORES, fresh_store, store_settings


def make_store(kind: str, tmp_path, request=None):
    return fresh_store(store_settings(kind, tmp_path, request))


@pytest.fixture(params=STORES)
def empty_store(request, tmp_path):
    store = make_store(request.param, tmp_path, request)
    yield store
    store.close()


@pytest.fixture
def store(empty_store, sample_cases):
    result = empty_store.write_cases(sample_cases)
    assert not result.failed
    return empty_store
