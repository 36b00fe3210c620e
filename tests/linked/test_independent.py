"""Independent implementations agree with rdflib on every export: Oxigraph (Rust) parses each format
to the same triples rdflib finds, the N-Triples export repeats no triple (rapper counted 4 twice),
PyLD expands the JSON-LD with the published context to the same graph, and rapper (Raptor, C; installed
in CI by tests/system.py) counts the triples rdflib counts."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from graph.export import export
from graph.rdf import FORMATS
from tests import system

pyoxigraph = pytest.importorskip("pyoxigraph")
OXI = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES, "xml": pyoxigraph.RdfFormat.RDF_XML,
       "jsonld": pyoxigraph.RdfFormat.JSON_LD}


@pytest.fixture(scope="module")
def exported(services):
    return {fmt: "".join(export(services.store, fmt, services.terms, issued="2026-01-01")) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_oxigraph_reads_the_same_triples_as_rdflib(exported, fmt):
    reference = Graph().parse(data=exported["nt"], format="nt")
    quads = list(pyoxigraph.parse(exported[fmt].encode(), format=OXI[fmt]))
    assert len({(q.subject, q.predicate, q.object) for q in quads}) == len(reference)
    as_rdflib = Graph().parse(data="\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads), format="nt")
    assert isomorphic(as_rdflib, reference), fmt


def test_the_n_triples_export_repeats_no_triple(exported):
    lines = [line for line in exported["nt"].splitlines() if line.strip()]
    assert len(lines) == len(set(lines)) == len(Graph().parse(data=exported["nt"], format="nt"))


def test_pyld_expands_the_json_ld_to_the_same_graph(exported):
    pyld = pytest.importorskip("pyld")
    doc = json.loads(exported["jsonld"])
    nquads = pyld.jsonld.to_rdf(doc, {"format": "application/n-quads"})
    g = Graph().parse(data=nquads, format="nquads")
    assert isomorphic(Graph() + g, Graph().parse(data=exported["nt"], format="nt"))


@pytest.mark.parametrize("fmt,syntax", [("nt", "ntriples"), ("ttl", "turtle"), ("xml", "rdfxml")])
def test_rapper_counts_what_rdflib_counts(exported, tmp_path, fmt, syntax):
    path = tmp_path / f"export.{fmt}"
    path.write_text(exported[fmt])
    done = subprocess.run([system.require("rapper"), "-i", syntax, "-c", str(path)], capture_output=True, text=True)
    counted = int(re.search(r"returned (\d+) triples", done.stderr + done.stdout).group(1))
    assert counted == len(Graph().parse(data=exported["nt"], format="nt"))
