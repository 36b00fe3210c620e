"""Shared fixtures.

- `samples_dir`: the bundled sample corpus (samples/), real seed plus synthetic pages; use it for
  golden tests and for anything that needs a realistic small corpus.
- `sample_cases`: the sample corpus parsed and merged (session-wide; treat as read-only).
- `seed_path`: the real seed page in ../shared/seeds when present, else its copy in samples/.
- `settings`: a Settings pointing at a fresh temporary data directory; build your own for others.
- `services`, `app`, `client`, `api_settings` (module-wide): the sample corpus ingested into a real
  embedded store and a real Whoosh index in a temporary data directory, the app over them
  (`create_app(settings, services)`) and a TestClient (no server process). Read-only tests share them.
"""

from __future__ import annotations

import contextlib
import copy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import pytest

from api.settings import Settings
from ingest.pipeline import parse_paths
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from graph.open import open_store
from ingest.load import ingest_paths
from search.index import SearchIndex
from search.query import Engine

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seed_path() -> Path:
    shared = ROOT.parent / "shared" / "seeds" / "essex-police-2025-05.txt"
    return shared if shared.exists() else SAMPLES / "essex-police-2025-05.txt"


@pytest.fixture(scope="session")
def _parsed_samples():
    return parse_paths([SAMPLES])


@pytest.fixture
def sample_cases(_parsed_samples):
    return copy.deepcopy(_parsed_samples.cases)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


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
    with TestClient(app, base_url="http://127.0.0.1") as c:  # a trusted host (settings.trusted_hosts)
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(data_dir: Path, *extra: str, env: dict | None = None):
    """`iopc-kg serve` on a free loopback port as its own process (with `env` added to the
    environment); yields (base URL, process, cli)."""
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir)]
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "the server did not come up within 60 s"
            time.sleep(0.3)
        yield base, server, cli
    finally:
        server.terminate()
        server.wait(timeout=30)
