"""Shared fixtures.

- `samples_dir`: the bundled sample corpus (samples/), real seed plus synthetic pages; use it for
  golden tests and for anything that needs a realistic small corpus.
- `sample_cases`: the sample corpus parsed and merged (session-wide; treat as read-only).
- `seed_path`: the real seed page in ../shared/seeds when present, else its copy in samples/.
- `settings`: a Settings pointing at a fresh temporary data directory; build your own for others.
- `services`, `app`, `client`, `api_settings` (module-wide, once per store): the sample corpus ingested
  into a real store (embedded, then Neo4j) and a real Whoosh index in a temporary data directory, the
  app over them (`create_app(settings, services)`) and a TestClient (no server process). Read-only
  tests share them.
- `neo4j_uri` (session): a Neo4j 5 server for the Neo4j leg: `NEO4J_URI` when set (a server of your
  own; point it at a scratch database, the tests clear it), else the test server this session starts
  (tests/neo4j_server.py). Without Java or Maven the Neo4j leg skips and says why, except in CI
  (CI=true), where it must run: the run fails with the reason instead.
- `store_settings(kind, data_dir, request)`: Settings for a store of either kind.

Tiers: `pytest` runs the fast tier (embedded store, no `slow` marker); `pytest --full`, and CI
(CI=true), run everything: the slow tier and the Neo4j leg. In CI Hypothesis is derandomised.
"""

from __future__ import annotations

import contextlib
import functools
import copy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import hypothesis
import pytest
from hypothesis import settings as hypothesis_settings

from ontology.settings import Settings
from ingest.pipeline import parse_paths
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Services
from graph.open import open_store
from ingest.load import ingest_paths
from search.index import SearchIndex
from search.query import Engine
from tests import neo4j_server

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
STORES = ["embedded", "neo4j"]
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests find the same examples on every CI run (a random one found on a newcomer's machine
# and not in CI is a failure CI never sees); explicit @settings keep their example counts.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    hypothesis_settings.load_profile("ci")


# -- the Neo4j leg ------------------------------------------------------------------------------------

_neo4j_server: dict = {}


@pytest.fixture(scope="session")
def neo4j_uri():
    if os.environ.get("NEO4J_URI"):
        _neo4j_server["where"] = f"NEO4J_URI={os.environ['NEO4J_URI']}"
        yield os.environ["NEO4J_URI"]
        return
    try:
        server = neo4j_server.start()
    except neo4j_server.Unavailable as e:
        if IN_CI:
            pytest.fail(f"CI runs the Neo4j leg and its server could not start: {e}", pytrace=False)
        pytest.skip(f"no Neo4j for the Neo4j leg ({e}); set NEO4J_URI to use a server of your own")
    _neo4j_server["where"] = f"Neo4j {server.version} Community started by the tests at {server.uri}"
    try:
        yield server.uri
    finally:
        server.stop()


def store_settings(kind: str, data_dir: Path, request, **extra) -> Settings:
    """Settings for a store of `kind` with its data (for Neo4j: the search index) under `data_dir`."""
    if kind == "neo4j":
        extra = {"store": "neo4j", "NEO4J_URI": request.getfixturevalue("neo4j_uri"),
                 "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
                 "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", ""), **extra}
    return Settings(data_dir=data_dir, _env_file=None, **extra)


def fresh_store(settings: Settings):
    """An open store of the settings' kind, emptied (a Neo4j database is shared by the session)."""
    store = open_store(settings)
    if settings.store == "neo4j":
        store.clear()
    store.ensure_schema()
    return store


def store_env(settings: Settings) -> dict:
    """The environment that points a CLI or server process at the settings' store."""
    if settings.store != "neo4j":
        return {}
    return {"IOPC_KG_STORE": "neo4j", "NEO4J_URI": settings.neo4j_uri, "NEO4J_USER": settings.neo4j_user,
            "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value()}


# -- tiers --------------------------------------------------------------------------------------------
# `pytest` runs the fast tier: every behaviour on the embedded store at small sizes, for running often.
# `pytest --full` (and CI, CI=true) adds the slow tier (`@pytest.mark.slow`: scale, soaks, kills, wide
# property runs) and the Neo4j leg, the same tests on a Neo4j server.

def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="run every tier: the slow tests and the Neo4j leg (CI=true implies it)")


def _full(config) -> bool:
    return IN_CI or config.getoption("--full")


def pytest_configure(config):
    if IN_CI:
        # CI means the same on every machine: property and fuzz tests are derandomised (seeded from
        # each test's name); random exploration is for local runs and bench/.
        hypothesis.settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
        hypothesis.settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec and "neo4j" in spec.params.values():
            item.add_marker(pytest.mark.neo4j)
    if _full(config):
        return
    kept, left = [], []
    for item in items:
        (left if item.get_closest_marker("slow") or item.get_closest_marker("neo4j") else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
        _tier["left"] = len(left)


_tier: dict[str, int] = {}


_neo4j_outcomes: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": []}


def pytest_runtest_logreport(report):
    if "neo4j" not in report.keywords:
        return
    if report.when == "call" or report.outcome != "passed":
        if report.when == "teardown" and report.outcome == "passed":
            return
        _neo4j_outcomes[report.outcome].append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _tier.get("left"):
        terminalreporter.write_line(f"Fast tier: {_tier['left']} tests of the slow tier and the Neo4j leg were not run; "
                                    "`pytest --full` (or CI=true) runs every tier.")
    ran = {k: len(v) for k, v in _neo4j_outcomes.items()}
    if not any(ran.values()):
        return
    where = _neo4j_server.get("where", "no server")
    terminalreporter.write_line(f"Neo4j leg ({where}): {ran['passed']} passed, {ran['failed']} failed, "
                                f"{ran['skipped']} skipped; the same tests ran on the embedded store.")
    if IN_CI and ran["skipped"]:
        terminalreporter.write_line("CI requires the Neo4j leg: these skipped:")
        for nodeid in _neo4j_outcomes["skipped"][:20]:
            terminalreporter.write_line(f"  {nodeid}")


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and _neo4j_outcomes["skipped"] and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


@pytest.fixture(scope="module", params=STORES)
def api_settings(request, tmp_path_factory):
    return store_settings(request.param, tmp_path_factory.mktemp("data"), request)


@pytest.fixture(scope="module")
def services(api_settings):
    store = fresh_store(api_settings)
    index = SearchIndex(api_settings.index_dir)
    ingest_paths([SAMPLES], store, index, log_path=api_settings.ingest_log)
    services = Services(api_settings, store, index, Engine(index))
    yield services
    if services.sandbox is not None:  # its query workers hold the store open; one module's die with it
        services.sandbox.close()
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


# Tests wait on conditions, not on clocks: these bounds only stop a hung test, and are far beyond
# what anything takes on a machine whose cores another process keeps busy (a server start there
# took 24 s, against 3 s idle; httpx's default 5 s timeout failed a first search that built its tables).
START_TIMEOUT = 300.0
HTTP_TIMEOUT = 120.0


class http:
    """httpx's get and post with a bound for a loaded machine (a call may still pass its own)."""

    get = staticmethod(functools.partial(httpx.get, timeout=HTTP_TIMEOUT))
    post = staticmethod(functools.partial(httpx.post, timeout=HTTP_TIMEOUT))


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds the listening socket on `port` (and not another process that took
    the port between `free_port()` and the server's bind: eight test runs share this machine)."""
    import psutil

    try:
        return any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in psutil.Process(pid).net_connections("tcp"))
    except psutil.Error:
        return False


@contextlib.contextmanager
def served(data_dir: Path, *extra: str, env: dict | None = None):
    """`iopc-kg serve` on a free loopback port as its own process (with `env` added to the
    environment: `store_env(settings)` points it at a Neo4j store); yields (base URL, process, cli).
    Up means: this process listens on the port and answers /health; a port taken by someone else
    before the server bound it is given up for another."""
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(data_dir)]
    for attempt in range(3):
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, **(env or {})})
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while server.poll() is None and time.monotonic() < deadline:
            try:
                if _listens(server.pid, port) and httpx.get(f"{base}/health", timeout=HTTP_TIMEOUT).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        if server.poll() is None and time.monotonic() < deadline:
            break
        if server.poll() is None:
            server.kill()
            server.wait()
            raise AssertionError(f"the server did not come up within {START_TIMEOUT:.0f} s")
        errors = server.stderr.read()
        assert "address already in use" in errors.lower() and attempt < 2, errors
    try:
        yield base, server, cli
    finally:
        server.terminate()
        try:
            server.wait(timeout=HTTP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
