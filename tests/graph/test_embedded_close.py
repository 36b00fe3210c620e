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
