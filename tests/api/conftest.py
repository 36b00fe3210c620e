"""API fixtures.

- `services`: the sample corpus ingested into a real embedded store and a real Whoosh index in a
  temporary data directory (module-wide; read-only tests share it).
- `client`: a TestClient over `create_app(settings, services)`; no server process.
- `api_settings`: the Settings of that data directory (no API key).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from api.settings import Settings
from graph.open import open_store
from ingest.load import ingest_paths
from search.index import SearchIndex
from search.query import Engine
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory):
    return Settings(data_dir=tmp_path_factory.mktemp("data"), _env_file=None)


@pytest.fixture(scope="module")
def services(api_settings):
    store = open_store(api_settings)
    index = SearchIndex(api_settings.index_dir)
    ingest_paths([SAMPLES], store, index, log_path=api_settings.ingest_log)
    yield Services(api_settings, store, index, Engine(index))
    index.close()
    store.close()


@pytest.fixture(scope="module")
def app(api_settings, services):
    return create_app(api_settings, services)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c
