"""Start-up as a budget: what a read command imports on a data directory no server holds.

Each command runs in a fresh interpreter (a test process has imported everything already), through
the `iopc-kg` entry point's code, and the interpreter then reports the modules it holds. A search
answers from the index alone: no web framework, no RDF, no similarity, no graph driver; a list of
forces opens the graph, and still builds no web app. A heavy library imported at the top of a
module a search touches shows up here, and this test names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# Libraries a read command on a data directory without a server never needs to start.
HEAVY = ("sklearn", "scipy", "rdflib", "fastapi", "starlette", "uvicorn", "pyoxigraph", "networkx", "neo4j", "httpx",
         "anyio", "pyshacl")

PROBE = """
import json, sys
from api.cli import main
try:
    main(sys.argv[1:], prog_name="iopc-kg")
except SystemExit as e:
    code = e.code
else:
    code = 0
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("startup") / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data), "--quiet", "ingest", str(SAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    return data


def modules_of(data: Path, *args: str) -> tuple[str, set[str]]:
    """Run `iopc-kg --data-dir DATA ARGS` in a fresh interpreter: its output and the modules it imported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), "IOPC_KG_STORE": "embedded"}
    done = subprocess.run([sys.executable, "-c", PROBE, "--data-dir", str(data), "--quiet", *args],
                          capture_output=True, text=True, env=env, cwd=data.parent, timeout=300)
    report = json.loads(done.stderr.rsplit("MODULES ", 1)[1])
    assert report["code"] in (0, None), done.stderr
    return done.stdout, set(report["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in modules)


def test_a_search_imports_no_heavy_library(data):
    out, modules = modules_of(data, "search", "athena", "--format", "jsonl")
    hits = [json.loads(line) for line in out.splitlines()]
    assert hits and all("athena" in json.dumps(h).lower() for h in hits)
    assert heavy_in(modules) == [], "a plain search imported heavy libraries"
    assert not any(m.startswith(("api.app", "api.routes", "graph.embedded", "real_ladybug")) for m in modules), \
        "a search built the web app or opened the graph"


def test_a_search_as_a_table_imports_no_heavy_library(data):
    out, modules = modules_of(data, "search", "athena", "--format", "table", "--force", "essex")
    assert "Essex Police" in out
    assert heavy_in(modules) == []


def test_the_list_of_forces_builds_no_web_app(data):
    out, modules = modules_of(data, "forces", "--format", "jsonl")
    forces = {f["id"]: f for f in map(json.loads, out.splitlines())}
    assert forces["essex"]["recommendations"] > 0 and forces["essex"]["links"] == {"self": "/forces/essex"}
    assert heavy_in(modules) == []


def test_the_direct_answers_are_the_apps(data):
    """The command line's own answer and the app's, for the same question, are the same rows."""
    from api.client import LocalClient
    from ontology.settings import Settings

    client = LocalClient(Settings(data_dir=data, store="embedded", _env_file=None))
    try:
        for path, params in [("/search", {"q": "athena", "force": ["essex", "kent"], "page_size": 5}),
                             ("/export/search", {"q": "custody", "format": "jsonl", "highlight": True}),
                             ("/export/search", {"q": "custody", "format": "csv", "limit": 2, "offset": 1}),
                             ("/forces", {"format": "jsonl"}), ("/themes", {"format": "csv"}),
                             ("/programmes", {"format": "jsonl"}), ("/bodies", {"format": "csv"})]:
            direct = client.get(path, params)
            import anyio
            import httpx

            async def via_app():
                transport = httpx.ASGITransport(app=client.app)
                async with httpx.AsyncClient(transport=transport, base_url=client.base) as http:
                    return await http.get(path, params=params)

            routed = anyio.run(via_app)
            assert routed.status_code == 200
            if path == "/search":
                a, b = direct.json(), routed.json()
                a.pop("took_ms"), b.pop("took_ms")
                assert a == b
            else:
                assert direct.text == routed.text, path
                assert direct.headers["X-Total-Count"] == routed.headers["X-Total-Count"]
    finally:
        client.close()
