"""The merge keys (graph/keys.py) never lack a row the graph's cases need: a rendering arriving in a later
ingest meets its case whatever happened to the keys in between (the file beside the embedded graph
deleted, damaged, taken from another graph, or left with rows the graph never committed), and a graph
rebuilt (a schema upgrade) or copied to another store keeps the renderings its cases were merged from.

The Suffolk sample's two renderings are the probe: the IOPC page (no reference) and the mirror page
(the reference), ingested one after the other, are one case under the reference's id."""

from __future__ import annotations

import logging

import pytest

from ontology.settings import Settings
from graph import cypher
from graph.copy import copy_graph
from graph.open import open_store
from ingest.load import write_cases
from ingest.pipeline import parse_file
from tests.conftest import SAMPLES, fresh_store, store_settings

IOPC = SAMPLES / "suffolk-constabulary-2024-01-iopc.txt"
MIRROR = SAMPLES / "suffolk-constabulary-2024-01-mirror.txt"
CASE = "2023-188710"


def _one_case(store) -> None:
    ids = sorted(c.id for c in store.case_records())
    assert ids == [CASE], ids


def _embedded(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    return settings, fresh_store(settings)


def _reopen(settings, store):
    store.close()
    store = open_store(settings)
    store.ensure_schema()
    return store


@pytest.mark.parametrize("damage", ["deleted", "garbage", "another graph's", "rows never committed"])
def test_a_later_rendering_meets_its_case_whatever_befell_the_keys(tmp_path, damage, caplog):
    settings, store = _embedded(tmp_path)
    write_cases(parse_file(IOPC), store)
    keys = store.keys.path
    assert keys.exists() and store.keys.find([f"i:{store.case_records()[0].id}"])
    if damage == "rows never committed":
        # A process that died after adding a batch's keys and before the graph committed it.
        ghost = parse_file(MIRROR)[0]
        ghost.reference = "2099/000001"
        assert ghost.id == "2099-000001"
        store.keys.statements([ghost])
    else:
        store.close()
        if damage == "deleted":
            keys.unlink()
        elif damage == "garbage":
            keys.write_bytes(b"not a database" * 100)
        else:
            _, other = _embedded(tmp_path / "other")
            write_cases(parse_file(SAMPLES / "kent-police-2024-11.txt"), other)
            other.close()
            keys.write_bytes(other.keys.path.read_bytes())
        with caplog.at_level(logging.WARNING, logger="iopc_kg.graph"):
            store = open_store(settings)
            store.ensure_schema()
        assert "rebuilding the merge keys" in caplog.text
    write_cases(parse_file(MIRROR), store)
    _one_case(store)
    assert store.case_replacing("x-d7ce4d5cb632") == CASE
    assert store.case_replacing("2099-000001") is None  # a key left without its case finds nothing
    store.close()


def test_a_graph_rebuilt_by_an_upgrade_keeps_its_renderings(tmp_path, request):
    for kind in ("embedded", "neo4j") if request.config.getoption("--full", False) else ("embedded",):
        settings = store_settings(kind, tmp_path / kind, request)
        store = fresh_store(settings)
        try:
            write_cases(parse_file(IOPC) + parse_file(MIRROR), store)
            before = store.case_records(renderings=True)
            assert len(before[0].renderings) == 2
            store._execute_write([(cypher.SET_FINGERPRINT, {"fingerprint": "an older release"})])
            store.ensure_schema()  # rebuilt from the stored records
            after = store.case_records(renderings=True)
            assert [c.to_dict() for c in after] == [c.to_dict() for c in before]
            assert [len(c.renderings) for c in after] == [2]
            write_cases(parse_file(IOPC), store)  # a rendering given again still meets its case
            _one_case(store)
        finally:
            store.close()


def test_a_copied_graph_merges_later_arrivals_as_its_source_does(tmp_path):
    _, source = _embedded(tmp_path / "a")
    _, target = _embedded(tmp_path / "b")
    write_cases(parse_file(IOPC) + parse_file(MIRROR), source)
    copy_graph(source, target)
    assert [len(c.renderings) for c in target.case_records(renderings=True)] == [2]
    changed = parse_file(IOPC)[0]
    changed.recommendations[0].status = "accepted"
    for store in (source, target):
        write_cases([changed], store)
        _one_case(store)
    assert [c.to_dict() for c in source.case_records()] == [c.to_dict() for c in target.case_records()]
    source.close()
    target.close()
