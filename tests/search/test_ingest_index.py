"""The index and the graph stay consistent: one ingest step writes both, re-runs converge, and
`reindex` rebuilds the index from the graph alone."""

from __future__ import annotations

import json
import subprocess
import sys

from graph.open import open_store
from ingest.load import ingest_paths, reindex
from search.index import SearchIndex


def test_ingest_writes_graph_and_index_together(settings, samples_dir):
    with open_store(settings) as store:
        index = SearchIndex(settings.index_dir)
        summary = ingest_paths([samples_dir], store, index)
        # The index holds recommendations; header-only (incomplete) cases have none to index.
        graph_cases = {c.id: c.content_hash() for c in store.case_records() if not c.incomplete}
        assert index.case_hashes() == graph_cases
        assert index.doc_count() == summary.recommendations == store.counts()["Recommendation"]
        again = ingest_paths([samples_dir], store, index)
        assert again.written == 0 and again.indexed == 0
        assert index.doc_count() == summary.recommendations
        index.close()


def test_a_case_written_to_the_graph_but_not_the_index_is_indexed_on_the_next_run(settings, samples_dir, sample_cases):
    with open_store(settings) as store:
        store.ensure_schema()
        store.write_cases(sample_cases)  # as if the ingest died between the graph and the index
        index = SearchIndex(settings.index_dir)
        assert index.doc_count() == 0
        summary = ingest_paths([samples_dir], store, index)
        assert summary.written == 0 and summary.unchanged == len(sample_cases)
        # The graph and the index disagreed before the ingest began: the repair that every ingest starts
        # with indexed them (the summary counts only what the ingest's own sync wrote).
        assert index.doc_count() == sum(len(c.recommendations) for c in sample_cases)
        assert set(index.case_hashes()) == {c.id for c in sample_cases if not c.incomplete}
        index.close()


def test_reindex_rebuilds_the_same_index_from_the_graph(settings, samples_dir):
    with open_store(settings) as store:
        index = SearchIndex(settings.index_dir)
        ingest_paths([samples_dir], store, index)
        before = {f["id"]: f for f in index.searcher().all_stored_fields()}
        n = reindex(store, index)
        after = {f["id"]: f for f in index.searcher().all_stored_fields()}
        assert n == len(before) and after == before
        index.close()


def run(*args):
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True)


def test_cli_search_prints_ranked_json_lines(tmp_path, samples_dir):
    data = str(tmp_path / "data")
    assert run("--data-dir", data, "ingest", str(samples_dir)).returncode == 0
    proc = run("--data-dir", data, "search", "athena", "--force", "essex", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    hits = [json.loads(line) for line in proc.stdout.splitlines()]
    assert hits and all(h["force"]["id"] == "essex" for h in hits)
    assert {"id", "reference", "force", "score", "status", "text", "response", "source_url"} <= set(hits[0])
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    text = run("--data-dir", data, "search", "soteira", "--format", "table")
    assert "Did you mean: soteria" in text.stderr and "Did you mean" not in text.stdout  # a note, on stderr in every format
    assert "Did you mean: soteria" in run("--data-dir", data, "search", "soteira").stderr  # a pipe gets JSON lines
    missing = run("--data-dir", str(tmp_path / "nothing"), "search", "athena")
    assert missing.returncode == 1 and "iopc-kg ingest" in missing.stderr
