"""The SPARQL view on disk (graph/view.py), on each store: what it holds, when it is built, when it goes."""

from __future__ import annotations

import json
import os
import signal
import time

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from graph.export import export
from graph.rdf import Terms
from graph.sandbox import Sandbox
from graph.view import DIRECTORY, build, load
from ontology.exc import QueryRefused, StoreUnavailable
from tests.conftest import fresh_store, store_settings
from tests.graph.conftest import empty_store, store  # noqa: F401 - the store fixtures, over both stores
from tests.hostile.test_hostile import sandbox_settings, started


def _as_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        from rdflib import BNode

        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value) if datatype == "http://www.w3.org/2001/XMLSchema#string" else Literal(term.value, datatype=URIRef(datatype))


def _triples(path, graph_name) -> Graph:
    got = Graph()
    for quad in ox.Store.read_only(str(path)):
        assert quad.graph_name == ox.NamedNode(graph_name)
        got.add((_as_rdflib(quad.subject), _as_rdflib(quad.predicate), _as_rdflib(quad.object)))
    return got


def test_the_view_on_disk_is_the_export_even_loaded_in_many_slices(store, tmp_path):
    terms = Terms()
    lines = build(store, terms, tmp_path / "view", slice_bytes=4096)  # hundreds of bulk loads
    got = _triples(tmp_path / "view", str(terms.dataset))
    want = Graph().parse(data="".join(export(store, "nt", terms)), format="nt")
    assert len(got) == len(want) == lines
    assert isomorphic(got, want)


def test_a_blank_node_named_in_two_slices_stays_one_node(tmp_path):
    # Oxigraph names blank nodes afresh in each load: pieces that hold one are loaded together.
    pieces = ["_:b <urn:p> <urn:o1> .\n", "<urn:s> <urn:p> <urn:o> .\n" * 40, "_:b <urn:q> _:c .\n",
              "<urn:t> <urn:p> <urn:o> .\n" * 40, "_:c <urn:p> \"x\" .\n"]
    assert load(pieces, "urn:g", tmp_path / "view", slice_bytes=64) == 83
    got = _triples(tmp_path / "view", "urn:g")
    want = Graph().parse(data="".join(pieces), format="nt")
    assert len(got) == len(want) == 5 and isomorphic(got, want)


def _views(root):
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def _count(sandbox, text):
    _, body = sandbox.sparql(text, timeout_ms=60_000)
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_a_view_is_built_once_per_store_version_and_removed_when_no_worker_reads_it(store, sample_cases, tmp_path, request):
    settings = sandbox_settings(store, tmp_path, request)
    root = settings.data_dir / DIRECTORY
    root.mkdir(parents=True, exist_ok=True)
    (root / "999999999-4").mkdir()  # left by a server that was killed (no such process can run)
    (root / f"{os.getpid()}-77.partial").mkdir()  # an earlier build of this very process id
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?r a <https://w3id.org/iopc-kg/ontology#Recommendation> }"
    with started(Sandbox(store, settings), sparql=True) as sandbox:
        first = _views(root)
        assert first == [f"{os.getpid()}-{store.version}"]
        before = _count(sandbox, count)
        assert before == store.counts()["Recommendation"]
        case = sample_cases[0]
        store.delete_cases([case.id])
        assert _views(root) == first  # built on demand: a write alone builds nothing
        after = _count(sandbox, count)
        assert after == before - len(case.recommendations) == store.counts()["Recommendation"]
        deadline = time.monotonic() + 10
        while _views(root) != [f"{os.getpid()}-{store.version}"]:  # the older view goes, in the background
            assert time.monotonic() < deadline, _views(root)
            time.sleep(0.05)
        _count(sandbox, count)
        assert _views(root) == [f"{os.getpid()}-{store.version}"] != first  # built once per version
    assert _views(root) == []  # and the server's own views go with it


def test_a_killed_sparql_worker_reopens_the_view_without_building_it_again(store, tmp_path, request):
    settings = sandbox_settings(store, tmp_path, request)
    root = settings.data_dir / DIRECTORY
    with started(Sandbox(store, settings), sparql=True) as sandbox:
        [view] = list(root.iterdir())
        inode = view.stat().st_ino
        pool = sandbox._pool("sparql")
        [worker] = pool._idle
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
        start = time.monotonic()
        answered = None
        while answered is None:  # the first query after the kill may find the dead worker
            try:
                _, answered = sandbox.sparql("ASK { ?s ?p ?o }", timeout_ms=60_000)
            except (StoreUnavailable, QueryRefused) as e:
                assert "worker" in e.message and str(tmp_path) not in e.message
                assert time.monotonic() - start < 60
                time.sleep(0.2)
        assert b"true" in answered
        assert [p.stat().st_ino for p in root.iterdir()] == [inode]


def test_a_failed_build_is_a_503_that_names_no_file_and_is_tried_again(sample_cases, tmp_path, request, monkeypatch):
    import graph.view

    store = fresh_store(store_settings("embedded", tmp_path, request))
    assert not store.write_cases(sample_cases).failed
    settings = sandbox_settings(store, tmp_path, request)
    with Sandbox(store, settings) as sandbox:
        views = sandbox._pool("sparql").views
        with pytest.raises(StoreUnavailable, match="being built"):
            views.acquire(store.version, time.monotonic() + 0.05)
        proc = None
        while proc is None and views._building is not None:
            proc = views._proc
            time.sleep(0.01)
        assert proc is not None, "the build ended before it could be killed"
        proc.kill()  # as the kernel's out-of-memory killer would
        while views._building is not None:
            time.sleep(0.05)
        with pytest.raises(StoreUnavailable, match="could not be built") as refused:
            sandbox.sparql("ASK { ?s ?p ?o }", timeout_ms=60_000)
        assert str(tmp_path) not in refused.value.message and "/" not in refused.value.message
        assert _views(settings.data_dir / DIRECTORY) == []  # the partial view is gone
        monkeypatch.setattr(graph.view, "RETRY_AFTER", 0)
        _, body = sandbox.sparql("ASK { ?s ?p ?o }", timeout_ms=60_000)
        assert b"true" in body
    store.close()


def test_versions_only_go_forward_and_a_view_goes_when_nobody_holds_it(store, sample_cases, tmp_path, request):
    # A query asked at an older version than a view built since reads the newer view: the older is
    # never built again. A view is removed once no query or worker holds it, unless it is the newest.
    settings = sandbox_settings(store, tmp_path, request)
    with Sandbox(store, settings) as sandbox:
        views = sandbox._pool("sparql").views
        old = store.version
        first, old_path = views.acquire(old, time.monotonic() + 120)
        assert first == old and old_path.exists()
        store.delete_cases([sample_cases[0].id])
        newer, new_path = views.acquire(store.version, time.monotonic() + 120)
        assert newer == store.version > old and old_path.exists()  # still held by the first
        again, path = views.acquire(old, time.monotonic() + 0.01)  # no build: the newer view answers
        assert (again, path) == (newer, new_path) and views._building is None
        views.release(first)
        deadline = time.monotonic() + 10
        while old_path.exists():  # removed in the background
            assert time.monotonic() < deadline
            time.sleep(0.05)
        views.release(newer)
        views.release(newer)
        assert new_path.exists()  # the newest stays, held or not
