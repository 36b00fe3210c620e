"""The real thing: `iopc-kg ingest` then `iopc-kg serve` as processes, queried over HTTP on loopback."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import SAMPLES, http, served


def test_serve_answers_over_http(tmp_path):
    data = tmp_path / "data"
    assert subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(SAMPLES)], capture_output=True).returncode == 0
    with served(data) as (base, server, cli):
        hits = http.get(f"{base}/search", params={"q": "governance group", "force": "essex"}).json()["hits"]
        assert [h["id"] for h in hits] == ["2022-178839-3"]
        response = http.get(f"{base}/forces/essex")
        assert response.json()["name"] == "Essex Police"
        assert "server" not in response.headers  # no banner naming the server and its version
        assert http.get(f"{base}/openapi.json").json()["info"]["title"] == "iopc-kg"
        # A second writer is refused while the server holds the embedded graph, with a clear message.
        second = subprocess.run([*cli, "ingest", str(SAMPLES)], capture_output=True, text=True)
        assert second.returncode == 1 and "another process" in second.stderr
        port = base.rsplit(":", 1)[1]
    first_line = server.stdout.read().splitlines()[0]
    assert f"http://127.0.0.1:{port}/" in first_line
