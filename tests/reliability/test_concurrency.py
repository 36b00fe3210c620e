"""Readers during an ingest never see a half-written case; a second writer is refused, never corrupts."""

from __future__ import annotations

import json
import threading
import time

from ontology.settings import Settings
from graph.open import open_store
from ingest.generator import generate
from ingest.load import write_cases
from ontology.exc import StoreUnavailable
from search.index import SearchIndex
from search.query import Engine, Search

WHOLE = ("MATCH (c:`Case`) OPTIONAL MATCH (c)-[:HAS_RECOMMENDATION]->(r:Recommendation) "
         "RETURN c.id AS id, c.record AS record, count(r) AS recs")


def test_readers_during_an_ingest_see_only_whole_cases(tmp_path):
    settings = Settings(data_dir=tmp_path, _env_file=None)
    store = open_store(settings)
    store.ensure_schema()
    index = SearchIndex(settings.index_dir)
    cases = generate(2000, seed=9)
    done = threading.Event()
    problems: list[str] = []
    reads = {"graph": 0, "search": 0}

    def graph_reader():
        while not done.is_set():
            for row in store._read(WHOLE):
                if row["recs"] != len(json.loads(row["record"])["recommendations"]):
                    problems.append(f"graph: case {row['id']} seen with {row['recs']} recommendations")
            store.spread("programme", 1)
            reads["graph"] += 1

    def search_reader():
        engine = Engine(index)
        while not done.is_set():
            engine.search(Search(q="supervisors", filters={"status": ["accepted"]}, page_size=5))
            snapshot = index.searcher()  # one commit's view: every case in it must be whole
            per_case: dict[str, int] = {}
            for f in snapshot.all_stored_fields():
                per_case[f["case_id"]] = per_case.get(f["case_id"], 0) + 1
            by_id = {c.id: len(c.recommendations) for c in cases}
            for cid, n in per_case.items():
                if n != by_id[cid]:
                    problems.append(f"index: case {cid} seen with {n} of {by_id[cid]} documents")
            reads["search"] += 1

    def guarded(fn):
        def run():
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - a reader that fails is a finding, not a crash
                problems.append(f"{fn.__name__}: {type(e).__name__}: {e}")
        return run

    readers = [threading.Thread(target=guarded(graph_reader)), threading.Thread(target=guarded(search_reader))]
    for t in readers:
        t.start()
    def readers_caught_up(since: dict) -> None:
        """Wait until each reader has finished a read begun after `since` (a condition, not a time:
        on a loaded machine a fixed-length ingest could end before the readers read at all)."""
        deadline = time.monotonic() + 300
        while any(reads[k] < since[k] + 2 for k in reads) and not problems:
            assert time.monotonic() < deadline, f"the readers made no progress: {reads}"
            time.sleep(0.01)

    try:
        # Small batches and commits, and the readers at work between chunks of them.
        for start in range(0, len(cases), 400):
            since = dict(reads)
            write_cases(cases[start:start + 400], store, index, batch_size=100)
            readers_caught_up(since)
        with index.bulk(commit_every=300) as bulk:
            bulk.replace(cases[:900])
    finally:
        done.set()
        for t in readers:
            t.join()
    assert not problems, problems[:5]
    assert reads["graph"] > 3 and reads["search"] > 3
    assert store.counts()["Case"] == 2000 and index.doc_count() == sum(len(c.recommendations) for c in cases)
    index.close()
    store.close()


def test_a_second_writer_process_is_refused_with_a_clear_message(tmp_path):
    settings = Settings(data_dir=tmp_path, _env_file=None)
    with open_store(settings) as store:
        store.ensure_schema()
        import subprocess
        import sys

        code = ("from ontology.settings import Settings; from graph.open import open_store; from pathlib import Path;"
                f"open_store(Settings(data_dir=Path({str(tmp_path)!r}), _env_file=None))")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode != 0 and "another process" in proc.stderr
        assert store.counts()["Force"] == 46  # the first writer is untouched


def test_a_second_index_writer_gets_a_clear_error(tmp_path):
    index = SearchIndex(tmp_path, write_timeout=0.5)
    other = SearchIndex(tmp_path, write_timeout=0.5)
    with index.bulk() as bulk:
        bulk.replace(generate(3, seed=1))
        try:
            other.update(generate(3, seed=2))
            raise AssertionError("a second writer was let in")
        except StoreUnavailable as e:
            assert "being written by another process" in e.message
    assert index.doc_count() == sum(len(c.recommendations) for c in generate(3, seed=1))
