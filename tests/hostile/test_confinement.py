"""The worker's OS confinement alone (written for iopc-kg): a worker is started directly, without the
gate's text check or the engine's classification, and after it locks itself in it may read the
graph's files and nothing else of the data directory (no key, no uploads, no WARCs, no index), write
nothing and connect nowhere, even through the engine (`LOAD FROM`, `COPY TO`)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from ontology.settings import Settings
from graph.open import open_store
from graph.sandbox import _worker_settings
from ingest.pipeline import parse_paths
from tests.conftest import SAMPLES

SECRET = "canary-1b2c3d-not-for-queries"
PROBE = r"""
import json, socket, sys
from graph.sandbox.jail import Worker

config = json.loads(sys.stdin.readline())
worker = Worker(config)
out = {"hello": worker.start()}
for path in config["secrets"]:
    try:
        out[path] = open(path).read()
    except OSError as e:
        out[path] = type(e).__name__
try:
    open(config["write"], "w").write("x")
    out["write"] = "written"
except OSError as e:
    out["write"] = type(e).__name__
try:
    socket.create_connection(("127.0.0.1", config["port"]), timeout=2).close()
    out["connect"] = "connected"
except OSError as e:
    out["connect"] = type(e).__name__
for query in config["queries"]:  # the engine itself, with no check before it
    try:
        out[query] = worker.store._read_only(query, {}, 10, 5000)
    except Exception as e:
        out[query] = type(e).__name__
        out["why " + query] = str(e)[:300]
worker.open(1)  # a reopen (the store's version moved on) still reads the graph
out["forces"] = worker.store._read_only("MATCH (f:Force) RETURN count(f) AS n", {}, 1, 5000)[0]["n"]
print(json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("confined")
    settings = Settings(data_dir=data, _env_file=None)
    store = open_store(settings)
    store.ensure_schema()
    store.write_cases(parse_paths([SAMPLES / "essex-police-2025-05.txt"]).cases)
    store.close()
    for name in ("server.key", "uploads/case.txt", "warc/crawl.warc", "index/secret.seg", "last-ingest.json.bak"):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(SECRET)
    return data, settings


def test_a_cypher_worker_reads_the_graph_and_nothing_else_of_the_data_directory(data):
    data, settings = data
    store = open_store(settings, read_only=True)
    try:
        config = {"settings": _worker_settings(store, settings), "memory_mb": settings.query_memory_mb, "endpoints": []}
    finally:
        store.close()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    secrets = [str(data / n) for n in ("server.key", "uploads/case.txt", "warc/crawl.warc", "index/secret.seg")]
    config |= {"secrets": secrets, "write": str(data / "written.csv"), "port": listener.getsockname()[1],
               "queries": [f'LOAD FROM "{data / "server.key"}" (file_format="csv", header=false) RETURN *',
                           f'COPY (MATCH (f:Force) RETURN f.id) TO "{data / "copied.csv"}"']}
    try:
        run = subprocess.run([sys.executable, "-c", PROBE], input=json.dumps(config) + "\n", capture_output=True, text=True,
                             timeout=180, cwd=str(SAMPLES.parent))
    finally:
        listener.close()
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    if "landlock unavailable" in out["hello"]:
        pytest.skip(out["hello"])
    assert SECRET not in run.stdout
    for path in secrets:
        assert out[path] == "PermissionError", (path, out[path])
    assert out["write"] in ("PermissionError", "OSError"), out["write"]
    if "no TCP" in out["hello"]:
        assert out["connect"] == "PermissionError", out["connect"]
    for query in config["queries"]:
        assert out[query] == "QueryRefused", (query, out[query])
    assert not (data / "written.csv").exists() and not (data / "copied.csv").exists(), json.dumps({k: v for k, v in out.items() if k != "hello"})
    assert out["forces"] >= 1
