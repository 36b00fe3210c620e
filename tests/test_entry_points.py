"""The four entry points of an ingest (`iopc-kg ingest`, `iopc-kg update`, `POST /ingest`, `POST
/ingest/paths`) reach the one write path (ingest/load.py `_ingest`) with the same options: the same
batch size, a graph store and a search index, nothing else to choose a way of writing by. Each runs
for real (embedded store, Whoosh index); the write path is wrapped only to record how it was called."""

from __future__ import annotations

import json

from click.testing import CliRunner
from fastapi.testclient import TestClient

import ingest.load
from api.app import create_app
from api.cli import main
from ontology.settings import Settings
from tests.conftest import SAMPLES
from tests.crawl.site import FixtureSite, build

PAGE = SAMPLES / "kent-police-2024-11.txt"


def test_every_entry_point_calls_the_one_write_path_with_the_same_options(tmp_path, monkeypatch):
    calls: dict[str, dict] = {}
    real = ingest.load._ingest
    current = {"name": None}

    def recorded(groups, store, index, summary, progress, batch_size):
        calls[current["name"]] = {"batch_size": batch_size, "store": type(store).__name__, "index": type(index).__name__}
        return real(groups, store, index, summary, progress, batch_size)

    monkeypatch.setattr(ingest.load, "_ingest", recorded)
    runner = CliRunner()

    current["name"] = "cli ingest"
    done = runner.invoke(main, ["--data-dir", str(tmp_path / "cli"), "ingest", str(PAGE)])
    assert done.exit_code == 0, done.output

    with FixtureSite() as site:
        build(site)
        site.sources_file(tmp_path)
        for k, v in {"IOPC_KG_SOURCES_FILE": str(tmp_path / "sources.yaml"), "IOPC_KG_CRAWL_DELAY": "0.01",
                     "IOPC_KG_CRAWL_TIMEOUT": "1.0", "IOPC_KG_CRAWL_BACKOFF": "0.05", "IOPC_KG_CRAWL_MAX_BYTES": "200000",
                     "IOPC_KG_CRAWL_CONTACT": "tests@example.org"}.items():
            monkeypatch.setenv(k, v)
        current["name"] = "cli update"
        updated = runner.invoke(main, ["--data-dir", str(tmp_path / "update"), "update", "--json"])
        assert json.loads(updated.stdout.strip().splitlines()[-1])["ingest"]["cases"] > 0, updated.output

    settings = Settings(data_dir=tmp_path / "http", api_key="k", _env_file=None)
    with TestClient(create_app(settings, local_key="local"), base_url="http://127.0.0.1") as client:
        current["name"] = "POST /ingest"
        up = client.post("/ingest", files=[("files", (PAGE.name, PAGE.read_bytes(), "text/plain"))], headers={"X-API-Key": "k"})
        assert up.status_code == 200, up.text
        current["name"] = "POST /ingest/paths"
        paths = client.post("/ingest/paths", json={"paths": [str(PAGE)]}, headers={"X-API-Key": "local"})
        assert paths.status_code == 200, paths.text

    assert set(calls) == {"cli ingest", "cli update", "POST /ingest", "POST /ingest/paths"}
    assert len({json.dumps(c, sort_keys=True) for c in calls.values()}) == 1, calls


def test_a_command_line_ingest_is_alone_when_it_writes_the_index(tmp_path):
    """A fresh `iopc-kg ingest` runs no other thread when it brings the index to the graph, so it gives
    the graph's write memory back and writes the index with worker processes (ingest/cores.py). A
    progress bar's monitor thread, started even by a disabled bar, made it look threaded: one process,
    and the write memory kept."""
    import subprocess
    import sys

    code = ("import sys, threading, ingest.load as load\n"
            "seen = []\n"
            "real = load.sync\n"
            "def spy(*a, **k):\n"
            "    seen.append((load.alone(), load.procs(), [t.name for t in threading.enumerate()]))\n"
            "    return real(*a, **k)\n"
            "load.sync = spy\n"
            "from api.cli import main\n"
            f"sys.argv = ['iopc-kg', '--data-dir', {str(tmp_path / 'data')!r}, 'ingest', {str(SAMPLES)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(seen)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    seen = done.stdout.strip().splitlines()[-1]
    assert seen.startswith("[(True, ") and "'MainThread']" in seen, (seen, done.stderr[-2000:])
