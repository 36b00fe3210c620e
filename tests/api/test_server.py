"""The real thing: `iopc-kg ingest` then `iopc-kg serve` as processes, queried over HTTP on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tests.conftest import SAMPLES, served


def test_serve_answers_over_http(tmp_path):
    data = tmp_path / "data"
    assert subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(SAMPLES)], capture_output=True).returncode == 0
    with served(data) as (base, server, cli):
        hits = httpx.get(f"{base}/search", params={"q": "governance group", "force": "essex"}).json()["hits"]
        assert [h["id"] for h in hits] == ["2022-178839-3"]
        response = httpx.get(f"{base}/forces/essex")
        assert response.json()["name"] == "Essex Police"
        assert "server" not in response.headers  # no banner naming the server and its version
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "iopc-kg"
        # An ingest while the server holds the embedded graph goes through the server (tests/test_cli_served.py).
        second = subprocess.run([*cli, "ingest", str(SAMPLES)], capture_output=True, text=True)
        assert second.returncode == 0 and "through the server" in second.stderr and json.loads(second.stdout)["written"] == 0
        port = base.rsplit(":", 1)[1]
    first_line = server.stdout.read().splitlines()[0]
    assert f"http://127.0.0.1:{port}/" in first_line
