"""An index in a bad state is repaired, never fatal: between two commands its files are deleted or
damaged, and the next command says so on one line and rebuilds it from the graph (the index is a
projection of the graph). Real command-line processes, the embedded store, a real Whoosh index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SAMPLES

PAGES = [SAMPLES / "essex-police-2025-05.txt", SAMPLES / "kent-police-2024-11.txt"]


def cli(data, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "--quiet", *args],
                          capture_output=True, text=True, timeout=600)


def damage(index, how: str) -> None:
    if how == "segments deleted":
        for seg in index.glob("*.seg"):
            seg.unlink()
    elif how == "table of contents garbled":
        for toc in index.glob("_MAIN_*.toc"):
            toc.write_bytes(b"\x00garbage" * 8)
    elif how == "directory deleted":
        import shutil

        shutil.rmtree(index)
    elif how == "a case missing":
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(str(index))
        with ix.writer() as w:
            w.delete_by_term("case_id", "2023-201455")
        ix.close()


@pytest.mark.parametrize("how", ["segments deleted", "table of contents garbled", "directory deleted", "a case missing"])
def test_a_damaged_index_is_rebuilt_from_the_graph_by_the_next_command(tmp_path, how):
    data = tmp_path / "data"
    assert cli(data, "ingest", *map(str, PAGES)).returncode == 0
    before = json.loads(cli(data, "search", "", "--format", "json").stdout)["total"]
    damage(data / "index", how)
    # The next ingest (of one more page) says so and repairs; then everything answers as before.
    done = cli(data, "ingest", str(SAMPLES / "norfolk-constabulary-2023-03.txt"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if "repairing the search index" in line]
    assert len(said) == 1, done.stderr
    after = json.loads(cli(data, "search", "", "--format", "json").stdout)["total"]
    added = json.loads(done.stdout)["recommendations"]
    assert after == before + added
    found = cli(data, "search", "custody", "--format", "json")
    assert found.returncode == 0, found.stderr


def test_a_server_start_repairs_a_damaged_index(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ontology.settings import Settings

    data = tmp_path / "data"
    assert cli(data, "ingest", *map(str, PAGES)).returncode == 0
    before = json.loads(cli(data, "search", "", "--format", "json").stdout)["total"]
    damage(data / "index", "segments deleted")
    with TestClient(create_app(Settings(data_dir=data, _env_file=None)), base_url="http://127.0.0.1") as client:
        assert client.get("/search", params={"q": ""}).json()["total"] == before


def test_a_read_command_rebuilds_an_index_it_cannot_read(tmp_path):
    data = tmp_path / "data"
    assert cli(data, "ingest", *map(str, PAGES)).returncode == 0
    before = json.loads(cli(data, "search", "", "--format", "json").stdout)["total"]
    damage(data / "index", "table of contents garbled")
    found = cli(data, "search", "", "--format", "json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == before
    assert sum("repairing the search index" in line for line in found.stderr.splitlines()) == 1, found.stderr
