"""The real thing: `iopc-kg ingest` then `iopc-kg serve` as processes, queried over HTTP on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import SAMPLES, STORES, fresh_store, http, served, store_env, store_settings


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
        # An ingest while the server holds the embedded graph goes through the server (tests/test_cli_served.py).
        second = subprocess.run([*cli, "ingest", str(SAMPLES)], capture_output=True, text=True)
        assert second.returncode == 0 and "through the server" in second.stderr and json.loads(second.stdout)["written"] == 0
        # A store the server does not serve is refused with the reason, not silently replaced by the server's.
        for args in (["search", "athena"], ["ingest", str(SAMPLES)], ["patterns", "force", "essex"]):
            other = subprocess.run([*cli, "--store", "neo4j", *args], capture_output=True, text=True)
            assert other.returncode == 1 and not other.stdout, (args, other.stdout)
            assert "from the embedded store" in other.stderr and "neo4j store asked for" in other.stderr and str(server.pid) in other.stderr
        port = base.rsplit(":", 1)[1]
    banner = next(line for line in server.stderr.read().splitlines() if line.startswith("Serving"))  # a note: stderr
    assert f"http://127.0.0.1:{port}/" in banner and not server.stdout.read()


@pytest.mark.parametrize("kind", STORES)
def test_cli_end_to_end_on_each_store(kind, tmp_path, request):
    """`iopc-kg --store KIND ingest / patterns / export / serve`, as processes; the index beside the data dir."""
    settings = store_settings(kind, tmp_path / "data", request)
    if kind == "neo4j":
        fresh_store(settings).close()  # the session's Neo4j database is shared: start from empty
    env = {**os.environ, **store_env(settings)}
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(settings.data_dir), "--store", kind]
    run = lambda *args: subprocess.run([*cli, *args], capture_output=True, text=True, env=env)  # noqa: E731
    ingest = run("ingest", str(SAMPLES), "--format", "table")  # in a pipe the default is JSON lines
    assert ingest.returncode == 0, ingest.stderr
    assert "23 cases" in ingest.stdout
    assert json.loads(run("ingest", str(SAMPLES)).stdout)["written"] == 0  # re-running changes nothing
    assert (settings.data_dir / "index").is_dir()
    profile = run("patterns", "force", "essex")
    assert profile.returncode == 0, profile.stderr
    assert json.loads(profile.stdout)["name"] == "Essex Police"  # the API's /forces/essex
    ttl = run("export", "--format", "nt")
    assert ttl.returncode == 0, ttl.stderr
    assert "<https://w3id.org/iopc-kg/forces/essex>" in ttl.stdout
    with served(settings.data_dir, env=store_env(settings)) as (base, server, _):
        stats = http.get(f"{base}/stats").json()
        assert stats["store"] == kind and stats["counts"]["Case"] == 23
        assert [h["id"] for h in http.get(f"{base}/search", params={"q": "governance group", "force": "essex"}).json()["hits"]] == ["2022-178839-3"]
        assert http.get(f"{base}/patterns/dependencies").json()[0]["id"] == "athena-governance-group"
