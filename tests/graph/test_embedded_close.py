"""Closing the embedded store: LadybugDB asks that every connection be closed before its database.
Threads come and go in a server (anyio ends idle workers), each reading through its own connection."""

from __future__ import annotations

import gc
import threading

import pytest

from graph.embedded import EmbeddedStore
from ontology.exc import StoreUnavailable


def test_threads_come_and_go_then_the_store_closes_cleanly(tmp_path):
    store = EmbeddedStore(tmp_path / "graph.lbug")
    store.ensure_schema()
    answers = []
    for _ in range(20):  # one after another, each thread reads once and ends
        t = threading.Thread(target=lambda: answers.append(store.counts()["Force"]))
        t.start()
        t.join()
    gc.collect()
    assert len(answers) == 20
    assert len(store._conns) <= 1  # the ended threads' connections went with them
    store.close()
    gc.collect()  # nothing left to touch the freed database (a crash here was a segfault)
    with pytest.raises(StoreUnavailable, match="closed"):
        store.counts()


def test_a_store_dropped_unclosed_closes_itself(tmp_path):
    store = EmbeddedStore(tmp_path / "graph.lbug")
    store.ensure_schema()
    threading.Thread(target=store.counts).start()
    del store
    gc.collect()
    again = EmbeddedStore(tmp_path / "graph.lbug")  # the file lock was released
    assert again.counts()["Force"] == 46  # the gazetteer's forces, written by ensure_schema
    again.close()


@pytest.mark.slow  # fills a small buffer pool with ~3,500 cases
def test_a_write_committed_without_its_checkpoint_counts_as_written(tmp_path, caplog):
    # A 100k ingest with a 1 GiB buffer pool met "Transaction committed successfully, but the
    # post-commit checkpoint failed ... the buffer pool is full" at 75k cases. The batch was taken
    # for failed and retried case by case: the retries found the cases already there ("duplicated
    # primary key"), were reported as failures, stayed out of the index, and LadybugDB segfaulted.
    # A 128 MiB pool meets the same at about 3,500 cases.
    import logging

    from ingest.generator import generate
    from ingest.load import write_cases
    from search.index import SearchIndex

    cases = generate(4000, seed=3)
    store = EmbeddedStore(tmp_path / "graph.lbug", buffer_pool_mb=128)
    index = SearchIndex(tmp_path / "index")
    try:
        with caplog.at_level(logging.WARNING, logger="iopc_kg.graph"):
            summary = write_cases(cases, store, index, batch_size=250)
        assert "could not checkpoint" in caplog.text  # the path under test was taken
        assert not summary.failures and summary.written == 4000
        assert store.counts()["Case"] == 4000
        assert index.doc_count() == store.counts()["Recommendation"] == sum(len(c.recommendations) for c in cases)
    finally:
        index.close()
        store.close()
    store = EmbeddedStore(tmp_path / "graph.lbug", buffer_pool_mb=128)
    try:
        assert store.counts()["Case"] == 4000
    finally:
        store.close()
