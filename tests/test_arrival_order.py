"""A case's identity never depends on how its renderings were batched: the IOPC rendering of the Suffolk
sample (no reference) and its mirror rendering (with the reference), ingested by two commands in
either order, leave the one case one command leaves, under the reference's id; the weaker id still
answers (a 301 to the case), and every search answers. Through the real command line, each command
its own process, on the embedded store and a real index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SAMPLES

IOPC = SAMPLES / "suffolk-constabulary-2024-01-iopc.txt"
MIRROR = SAMPLES / "suffolk-constabulary-2024-01-mirror.txt"
WEAK = "x-d7ce4d5cb632"  # the id the IOPC rendering has alone (no reference: force and first text)


def cli(data, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "--quiet", *args],
                          capture_output=True, text=True, timeout=600)


def canonical_export(data) -> list[str]:
    """The graph as sorted N-Triples, without the dataset's own description (it carries today's date)."""
    done = cli(data, "export", "--format", "nt")
    assert done.returncode == 0, done.stderr
    return sorted(line for line in done.stdout.splitlines()
                  if line.strip() and not line.startswith("<https://w3id.org/iopc-kg/dataset"))


@pytest.mark.parametrize("order", [(IOPC, MIRROR), (MIRROR, IOPC)], ids=["iopc-then-mirror", "mirror-then-iopc"])
def test_two_renderings_in_two_commands_leave_one_case_under_the_reference(tmp_path, order):
    data = tmp_path / "data"
    for page in order:
        done = cli(data, "ingest", str(page), "--format", "json")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
    found = cli(data, "search", "stalking", "--format", "json")
    assert found.returncode == 0, found.stderr
    assert {h["case_id"] for h in json.loads(found.stdout)["hits"]} == {"2023-188710"}
    rows = cli(data, "cypher", "MATCH (c:`Case`) RETURN c.id AS id", "--format", "json")
    assert [r["id"] for r in json.loads(rows.stdout)] == ["2023-188710"], rows.stdout + rows.stderr

    together = tmp_path / "together"
    assert cli(together, "ingest", str(IOPC), str(MIRROR)).returncode == 0
    assert canonical_export(data) == canonical_export(together)
    assert any(f"/cases/{WEAK}>" in line and "replaces" in line for line in canonical_export(data))

    for query in ("athena", "supervisor", ""):
        assert cli(data, "search", query).returncode == 0
    again = cli(data, "ingest", str(IOPC), str(MIRROR), "--format", "json")
    assert json.loads(again.stdout)["written"] == 0, again.stdout


def test_the_weaker_id_redirects_to_the_case(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ontology.settings import Settings

    data = tmp_path / "data"
    for page in (IOPC, MIRROR):
        assert cli(data, "ingest", str(page)).returncode == 0
    with TestClient(create_app(Settings(data_dir=data, _env_file=None)), base_url="http://127.0.0.1") as client:
        moved = client.get(f"/cases/{WEAK}", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"].endswith("/cases/2023-188710")
        rec = client.get(f"/recommendations/{WEAK}-1", follow_redirects=False)
        assert rec.status_code == 301 and rec.headers["location"].endswith("/recommendations/2023-188710-1")
        assert client.get(f"/cases/{WEAK}").json()["id"] == "2023-188710"
        assert WEAK in client.get("/cases/2023-188710").json()["replaces"]
