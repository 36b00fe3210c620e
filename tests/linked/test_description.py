"""The dataset's description says what its dump holds, and every negotiated IRI negotiates alike.

Uses the API fixtures (tests/conftest.py): the sample corpus in a real store and index, the app over it.
Each test names the defect an outside Linked Data check found (issue 32): VoID sizes that disagreed with
the dump, distributions without an access URL, a concept scheme stating triples the dump lacks, 406s
without `Vary`, Accept ignored, a version IRI that did not resolve, `ns1:` in CONSTRUCT answers, and an
unknown `format=` answered as JSON.
"""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from graph.rdf import version

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DATASET = URIRef("https://w3id.org/iopc-kg/dataset")


@pytest.fixture(scope="module")
def dump(client) -> Graph:
    r = client.get("/export", params={"format": "nt"})
    assert r.status_code == 200
    return Graph().parse(data=r.text, format="nt")


def test_void_sizes_are_the_dumps_own(client, dump):
    described = Graph().parse(data=client.get("/void").text, format="turtle")
    assert int(described.value(DATASET, VOID.triples)) == len(dump)
    assert int(described.value(DATASET, VOID.distinctSubjects)) == len(set(dump.subjects()))
    assert int(described.value(DATASET, VOID.properties)) == len(set(dump.predicates()))
    assert int(described.value(DATASET, VOID.classes)) == len(set(dump.objects(None, RDF.type)))
    # the dump ends with the same description, sizes and all
    assert int(dump.value(DATASET, VOID.triples)) == len(dump)
    as_json = client.get("/dataset").json()
    assert (as_json["triples"], as_json["properties"]) == (len(dump), len(set(dump.predicates())))


def test_every_distribution_has_an_access_url(dump):
    distributions = set(dump.subjects(RDF.type, DCAT.Distribution))
    assert distributions
    assert all(dump.value(d, DCAT.accessURL) is not None and dump.value(d, DCAT.downloadURL) is not None for d in distributions)


@pytest.mark.parametrize("name", ["programmes", "themes"])
def test_a_concept_scheme_states_only_what_the_dump_states(client, dump, name):
    scheme = Graph().parse(data=client.get(f"/schemes/{name}", headers={"Accept": "application/n-triples"}).text, format="nt")
    assert len(scheme) > 0
    assert set(scheme) - set(dump) == set()


@pytest.mark.parametrize("path", ["/ontology", "/void", "/shapes", "/context.jsonld", "/dataset", "/forces/essex"])
def test_a_406_says_vary_accept(client, path):
    r = client.get(path, headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.json()["code"] == "not_acceptable"
    assert r.headers["vary"] == "Accept"


@pytest.mark.parametrize("path", ["/ontology", "/void", "/shapes", "/dataset", "/forces/essex"])
def test_a_format_we_lack_is_refused_by_name(client, path):
    r = client.get(path, params={"format": "bogus"})
    assert r.status_code == 406 and r.json()["details"] == {"format": "bogus"}


def test_shapes_negotiate_like_every_rdf_resource(client):
    turtle = client.get("/shapes")
    ntriples = client.get("/shapes", headers={"Accept": "application/n-triples"})
    assert turtle.headers["content-type"].startswith("text/turtle") and turtle.headers["vary"] == "Accept"
    assert ntriples.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=turtle.text, format="turtle")) == len(Graph().parse(data=ntriples.text, format="nt")) > 0


def test_the_ontology_version_iri_resolves(client):
    ontology = Graph().parse(data=client.get("/ontology").text, format="turtle")
    version_iri = next(ontology.objects(None, URIRef("http://www.w3.org/2002/07/owl#versionIRI")))
    assert str(version_iri).endswith(f"/ontology/{version()}")
    r = client.get(f"/ontology/{version()}")
    assert r.status_code == 200 and len(Graph().parse(data=r.text, format="turtle")) == len(ontology)
    assert client.get("/ontology/0.0.1").status_code == 404


def test_construct_answers_use_the_ontology_prefix(client):
    q = "CONSTRUCT { ?f a ?t } WHERE { ?f a ?t } LIMIT 5"
    r = client.get("/sparql", params={"query": q}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert "ns1:" not in r.text and "@prefix iopc:" in r.text
