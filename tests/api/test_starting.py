"""A server listens at once (`api.starting`): it says it is starting until the app has opened the
store and the index, then the app answers; an app that fails to start stops the server and says why.

uvicorn runs in a thread of this process, over a real app on the sample corpus; the app is held
back by an event the test sets, so the starting answers are seen whatever the machine's speed.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from api.app import create_app
from api.cli import main
from ontology.settings import Settings
from api.starting import Starting
from tests.conftest import SAMPLES, START_TIMEOUT, free_port


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("starting") / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "--quiet", "ingest", str(SAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    return data


class Running:
    def __init__(self, app):
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        self.until(lambda: self.server.started)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(START_TIMEOUT)

    @staticmethod
    def until(condition):
        deadline = time.monotonic() + START_TIMEOUT
        while not condition():
            assert time.monotonic() < deadline, "the condition never held"
            time.sleep(0.02)


def test_health_says_starting_until_the_app_has_started(data):
    release = threading.Event()
    settings = Settings(data_dir=data, store="embedded", _env_file=None)

    def build():
        release.wait(START_TIMEOUT)
        return create_app(settings)

    starting = Starting(build)
    with Running(starting) as running:
        health = httpx.get(f"{running.base}/health", timeout=30)
        assert health.status_code == 503 and health.json()["status"] == "starting"
        search = httpx.get(f"{running.base}/search", params={"q": "athena"}, timeout=30)
        assert search.status_code == 503 and search.json()["code"] == "starting" and search.headers["retry-after"]
        release.set()
        running.until(lambda: httpx.get(f"{running.base}/health", timeout=30).status_code == 200)
        body = httpx.get(f"{running.base}/health", timeout=30).json()
        assert body["status"] == "ok" and body["store"] == body["index"] == "ok"
        ready = httpx.get(f"{running.base}/health/ready", timeout=30)
        running.until(lambda: httpx.get(f"{running.base}/health/ready", timeout=30).status_code == 200)
        assert httpx.get(f"{running.base}/health", timeout=30).json()["ready"] is True
        assert ready.status_code in (200, 503)
        hits = httpx.get(f"{running.base}/search", params={"q": "athena"}, timeout=30).json()
        assert hits["total"] > 0 and all("athena" in str(h).lower() for h in hits["hits"])
    assert starting.failed is None


def test_an_app_that_fails_to_start_stops_the_server_and_says_why(tmp_path):
    stopped = threading.Event()

    def build():
        raise RuntimeError("no graph here")

    starting = Starting(build, stop=stopped.set)
    with Running(starting):
        Running.until(stopped.is_set)
    assert "no graph here" in str(starting.failed)
