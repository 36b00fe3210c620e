"""Side by side: `iopc-kg serve` holds the data directory while the command line reads from it and
ingests into it; the server's answers then include what was ingested, with no restart.

The server is its own process (`served`); the commands run in the test's process (CliRunner),
which is another process, as a person's shell would be.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from types import SimpleNamespace

import httpx
from click.testing import CliRunner

from api.cli import main
from tests.conftest import SAMPLES, served


def cli(data, *args):
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data)])
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def test_read_commands_and_ingest_while_serving(tmp_path):
    data = tmp_path / "data"
    assert cli(data, "ingest", str(SAMPLES), "--quiet").returncode == 0
    with served(data) as (base, server, _):
        state = json.loads((data / "server.json").read_text())
        assert state["url"] == base and state["pid"] == server.pid
        assert oct((data / "server.key").stat().st_mode & 0o777) == "0o600"

        profile = cli(data, "patterns", "force", "Essex Police", "--format", "json")
        assert profile.returncode == 0, profile.stderr
        assert json.loads(profile.stdout) == httpx.get(f"{base}/forces/essex").json()
        rows = cli(data, "cypher", "MATCH (f:Force {id: $id}) RETURN f.name AS name", "-p", "id=kent")
        assert rows.returncode == 0 and json.loads(rows.stdout) == {"name": "Kent Police"}
        rdf = cli(data, "export", "--force", "essex", "--format", "nt")
        assert rdf.returncode == 0 and "<https://w3id.org/iopc-kg/forces/essex>" in rdf.stdout
        hits = cli(data, "search", "athena", "--format", "csv")
        assert hits.returncode == 0
        assert len(list(csv.DictReader(io.StringIO(hits.stdout)))) == httpx.get(f"{base}/search", params={"q": "athena"}).json()["total"]

        pages = tmp_path / "new"
        pages.mkdir(exist_ok=True)
        made = cli(data, "generate", "4", "--seed", "11", "-o", str(pages / "synthetic.jsonl"))
        assert made.returncode == 0, made.stderr
        before = httpx.get(f"{base}/stats").json()["counts"]["Case"]
        ingested = cli(data, "ingest", str(pages), "--format", "json")
        assert ingested.returncode == 0, ingested.stderr
        assert "through the server" in ingested.stderr and json.loads(ingested.stdout)["written"] == 4
        # The server answers with the new cases, and so does the command line (through it).
        assert httpx.get(f"{base}/stats").json()["counts"]["Case"] == before + 4
        assert httpx.get(f"{base}/search", params={"q": "synthetic"}).json()["total"] > 0
        assert json.loads(cli(data, "cypher", "MATCH (c:`Case`) RETURN count(c) AS n").stdout)["n"] == before + 4

        changes = cli(data, "changes", "--since", "2000-01-01", "--format", "json")  # the crawler's command, through the server
        assert changes.returncode == 0 and json.loads(changes.stdout) == []

        refused = cli(data, "reindex")
        assert refused.returncode == 1 and f"kill {server.pid}" in refused.stderr
    assert not (data / "server.json").exists() and not (data / "server.key").exists()  # withdrawn on stop


def test_a_state_file_left_by_a_killed_server_is_ignored(tmp_path):
    data = tmp_path / "data"
    assert cli(data, "ingest", str(SAMPLES / "essex-police-2025-05.txt"), "--quiet").returncode == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (data / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": int(dead.stdout), "store": "embedded"}))
    found = cli(data, "forces", "--format", "csv")
    assert found.returncode == 0 and "essex" in found.stdout
    assert not (data / "server.json").exists()


def test_the_local_key_lets_only_its_holder_ingest_paths(tmp_path):
    data = tmp_path / "data"
    assert cli(data, "ingest", str(SAMPLES / "essex-police-2025-05.txt"), "--quiet").returncode == 0
    with served(data) as (base, _, _):
        body = {"paths": [str(SAMPLES / "essex-police-2025-05.txt")]}
        assert httpx.post(f"{base}/ingest/paths", json=body).status_code == 403
        assert httpx.post(f"{base}/ingest/paths", json=body, headers={"X-API-Key": "guess"}).status_code == 403
        key = (data / "server.key").read_text()
        assert httpx.post(f"{base}/ingest/paths", json=body, headers={"X-API-Key": key}, timeout=60).json()["unchanged"] == 1
        # Uploads (POST /ingest) take it too; with no IOPC_KG_API_KEY they are otherwise refused.
        files = {"files": ("page.txt", (SAMPLES / "essex-police-2025-05.txt").read_bytes())}
        assert httpx.post(f"{base}/ingest", files=files).status_code == 403
        assert httpx.post(f"{base}/ingest", files=files, headers={"X-API-Key": key}, timeout=60).status_code == 200
