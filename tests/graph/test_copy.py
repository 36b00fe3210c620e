"""graph-copy moves a whole graph into another store with the same answers."""

from __future__ import annotations

import subprocess
import sys

from ontology.settings import Settings
from graph.copy import copy_graph
from graph.open import open_store
from tests.graph.conftest import make_store


def test_copy_gives_the_same_graph_and_answers(store, tmp_path, request):
    # Embedded -> Neo4j and Neo4j -> embedded: the target is always the other store.
    target = make_store("embedded" if store.name == "neo4j" else "neo4j", tmp_path / "target", request)
    try:
        result = copy_graph(store, target)
        assert not result.failed and len(result.written) == store.counts()["Case"]
        assert target.counts() == store.counts()
        assert target.spread("programme") == store.spread("programme")
        assert target.force_profile("essex") == store.force_profile("essex")
        assert target.shared_dependencies() == store.shared_dependencies()
        again = copy_graph(store, target)
        assert again.written == [] and len(again.unchanged) == store.counts()["Case"]
    finally:
        target.close()


def test_graph_copy_command(tmp_path, samples_dir):
    cli = [sys.executable, "-m", "api.cli", "--data-dir", str(tmp_path / "a")]
    assert subprocess.run([*cli, "ingest", str(samples_dir)], capture_output=True).returncode == 0
    proc = subprocess.run([*cli, "graph-copy", "--to", "embedded", "--to-data-dir", str(tmp_path / "b")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Copied 23 cases" in proc.stdout
    with open_store(Settings(data_dir=tmp_path / "b", _env_file=None)) as copy:
        assert copy.counts()["Recommendation"] == 40
    same = subprocess.run([*cli, "graph-copy", "--to", "embedded"], capture_output=True, text=True)
    assert same.returncode == 2 and "target is the source" in same.stderr
