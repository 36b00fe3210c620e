"""Crash consistency: an ingest killed with SIGKILL at random points leaves only whole cases in the
graph and the index, the two agree, and re-running the ingest reaches the state of a clean run.

Each round starts `iopc-kg ingest` on a generated corpus (our JSONL record files), kills it after a
random delay that falls in parsing, graph writes or index writes, then opens what is on disk.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.settings import Settings
from graph.open import open_store
from ingest.generator import generate
from search.index import SearchIndex

ROUNDS = int(os.environ.get("IOPC_KG_CRASH_ROUNDS", "8"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    cases = generate(1500, seed=5)
    for n in range(0, len(cases), 100):  # 15 files of 100 cases
        with (root / f"part-{n // 100:02d}.jsonl").open("w") as f:
            for case in cases[n:n + 100]:
                f.write(json.dumps(case.to_dict()) + "\n")
    return root


def ingest(data: Path, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(corpus)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def state(data: Path) -> tuple[dict[str, str], dict[str, str], dict[str, int]]:
    """Graph case hashes, index case hashes, and (after checking wholeness) node counts."""
    settings = Settings(data_dir=data, _env_file=None)
    with open_store(settings) as store:
        graph = {}
        for row in store._read("MATCH (c:`Case`) OPTIONAL MATCH (c)-[:HAS_RECOMMENDATION]->(r:Recommendation) "
                               "RETURN c.id AS id, c.content_hash AS hash, c.record AS record, count(r) AS recs"):
            record = json.loads(row["record"])
            assert row["recs"] == len(record["recommendations"]), f"case {row['id']} is half-written in the graph"
            graph[row["id"]] = row["hash"]
        orphans = store._read("MATCH (r:Recommendation) WHERE NOT EXISTS { MATCH (:`Case`)-[:HAS_RECOMMENDATION]->(r) } RETURN count(r) AS n")
        assert orphans[0]["n"] == 0, "a recommendation without its case"
        counts = store.counts()
    index = SearchIndex(settings.index_dir) if settings.index_dir.exists() else None
    indexed: dict[str, str] = {}
    if index is not None:
        per_case: dict[str, int] = {}
        for f in index.searcher().all_stored_fields():
            per_case[f["case_id"]] = per_case.get(f["case_id"], 0) + 1
            indexed[f["case_id"]] = f["case_hash"]
        index.close()
        for cid, n in per_case.items():
            assert cid in graph, f"case {cid} is in the index but not the graph"
            assert indexed[cid] == graph[cid], f"case {cid}: index and graph hold different versions"
    return graph, indexed, counts


def test_sigkill_at_random_points_never_leaves_half_cases(tmp_path, corpus):
    clean = tmp_path / "clean"
    assert ingest(clean, corpus).wait(timeout=600) == 0
    expected_graph, expected_index, expected_counts = state(clean)
    assert len(expected_graph) == 1500 and expected_index == expected_graph

    rng = random.Random(int(os.environ.get("IOPC_KG_CRASH_SEED", "1")))
    data = tmp_path / "crashed"
    for _ in range(ROUNDS):
        proc = ingest(data, corpus)
        time.sleep(rng.uniform(0.5, 6.0))  # a clean ingest of this corpus takes about 6 s here
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        stderr = proc.stderr.read().decode()
        assert "Traceback" not in stderr or proc.returncode == -signal.SIGKILL, stderr[-3000:]
        graph, indexed, _ = state(data)  # raises if anything is half-written or disagrees
        assert set(indexed) <= set(graph)
    final = ingest(data, corpus)
    assert final.wait(timeout=600) == 0, final.stderr.read().decode()[-3000:]
    graph, indexed, counts = state(data)
    assert graph == expected_graph and indexed == expected_index and counts == expected_counts
