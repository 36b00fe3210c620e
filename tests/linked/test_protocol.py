"""Against a real server process (tests/conftest.py `served()`), over the sample corpus:

- SPARQLWrapper gets every format it asks for, by GET, by POST form and by POST body, for SELECT, ASK,
  CONSTRUCT and DESCRIBE; the endpoint keeps the SPARQL 1.1 Protocol's rules (400, 406, 415, dataset
  parameters, GRAPH and FROM NAMED, HEAD, Vary) and describes itself at its URL;
- every kind of IRI in the export dereferences once the public base is mapped to the server (what the
  w3id redirect in docs/w3id does): JSON by default, RDF by Accept, a redirect to the explorer for a
  browser, 406 for what it cannot give, HEAD, `Vary: Accept` and `Link: rel=alternate`.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from tests.conftest import served

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
from SPARQLWrapper import (ASK, CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML,  # noqa: E402
                           SPARQLWrapper as Wrapper)

SAMPLES = Path(__file__).resolve().parent.parent.parent / "samples"
BASE = "https://w3id.org/iopc-kg/"
IOPC = "https://w3id.org/iopc-kg/ontology#"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SELECT_Q = f"PREFIX iopc: <{IOPC}> SELECT ?case ?ref WHERE {{ ?case a iopc:Case ; <http://purl.org/dc/terms/identifier> ?ref }} ORDER BY ?case LIMIT 5"
ASK_Q = f"PREFIX iopc: <{IOPC}> ASK {{ ?c a iopc:Case }}"
CONSTRUCT_Q = f"PREFIX iopc: <{IOPC}> CONSTRUCT {{ ?f a iopc:Force ; iopc:uses ?p }} WHERE {{ ?f a iopc:Force ; iopc:uses ?p }}"
DESCRIBE_Q = f"DESCRIBE <{BASE}forces/essex>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("linked-data")
    done = subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(SAMPLES)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with served(data) as (url, _, _):
        yield url


def wrapper(server, query, fmt, method, request_method=URLENCODED):
    w = Wrapper(f"{server}/sparql")
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method)
    w.setRequestMethod(request_method)
    return w.query()


WAYS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.mark.parametrize("method,request_method", WAYS, ids=["get", "post-form", "post-body"])
@pytest.mark.parametrize("fmt,media", [(JSON, "application/sparql-results+json"), (XML, "application/sparql-results+xml"),
                                       (CSV, "text/csv"), (TSV, "text/tab-separated-values")])
def test_sparqlwrapper_gets_select_and_ask_in_every_format(server, method, request_method, fmt, media):
    for query in (SELECT_Q, ASK_Q):
        result = wrapper(server, query, fmt, method, request_method)
        assert result.response.headers["Content-Type"].startswith(media), (query, fmt)
        assert "Accept" in result.response.headers["Vary"]
        body = result.convert()
        if query is ASK_Q:
            if fmt == JSON:
                assert body["boolean"] is True
            elif fmt == XML:
                assert "true" in body.toxml()
            else:
                assert body.decode().split()[-1] == "true"
            continue
        if fmt == JSON:
            rows = [b["ref"]["value"] for b in body["results"]["bindings"]]
        elif fmt == XML:
            rows = [n.firstChild.firstChild.data for n in body.getElementsByTagName("binding") if n.getAttribute("name") == "ref"]
        elif fmt == CSV:
            rows = [r["ref"] for r in csv.DictReader(io.StringIO(body.decode()))]
        else:
            lines = body.decode().splitlines()
            assert lines[0] == "?case\t?ref"
            rows = [line.split("\t")[1].strip('"') for line in lines[1:]]
        assert len(rows) == 5 and all("/" in r for r in rows)


@pytest.mark.parametrize("method,request_method", WAYS, ids=["get", "post-form", "post-body"])
@pytest.mark.parametrize("fmt,media,parse_as", [(TURTLE, "text/turtle", "turtle"), (N3, "text/turtle", "turtle"),
                                                (RDFXML, "application/rdf+xml", "xml"), (XML, "application/rdf+xml", "xml"),
                                                (JSONLD, "application/ld+json", "json-ld")])
def test_sparqlwrapper_gets_construct_and_describe_in_every_format(server, method, request_method, fmt, media, parse_as):
    for query in (CONSTRUCT_Q, DESCRIBE_Q):
        result = wrapper(server, query, fmt, method, request_method)
        assert result.response.headers["Content-Type"].startswith(media), (query, fmt)
        g = Graph().parse(data=result.response.read(), format=parse_as)
        assert (URIRef(f"{BASE}forces/essex"), RDF.type, URIRef(IOPC + "Force")) in g


def test_construct_as_n_triples(server):
    r = httpx.get(f"{server}/sparql", params={"query": CONSTRUCT_Q}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=r.text, format="nt")) == len(r.text.strip().splitlines())


def error(r, status, code):
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


def test_protocol_errors(server):
    url = f"{server}/sparql"
    error(httpx.get(url, params={"format": "json"}), 400, "bad_request")  # parameters but no query
    error(httpx.get(url, params=[("query", ASK_Q), ("query", SELECT_Q)]), 400, "bad_request")
    error(httpx.post(url, data={"format": "json"}), 400, "bad_request")
    error(httpx.post(url, content=ASK_Q, headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    error(httpx.post(url, content=ASK_Q), 415, "unsupported_media_type")
    error(httpx.post(url, data={"update": "CLEAR ALL"}), 400, "bad_request")
    error(httpx.get(url, params={"query": SELECT_Q}, headers={"Accept": "image/png"}), 406, "not_acceptable")
    error(httpx.get(url, params={"query": "SELECT WHERE"}), 400, "query_refused")


def test_dataset_parameters_graph_and_from_named(server):
    url = f"{server}/sparql"
    count = f"PREFIX iopc: <{IOPC}> SELECT (COUNT(?c) AS ?n) WHERE {{ ?c a iopc:Case }}"

    def n(r):
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    everything = n(httpx.get(url, params={"query": count}))
    assert everything > 10
    assert n(httpx.get(url, params={"query": count, "default-graph-uri": f"{BASE}dataset"})) == everything
    assert n(httpx.get(url, params={"query": count, "default-graph-uri": "urn:x-no-such-graph"})) == 0
    in_graph = f"PREFIX iopc: <{IOPC}> SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH <{BASE}dataset> {{ ?c a iopc:Case }} }}"
    assert n(httpx.get(url, params={"query": in_graph})) == everything
    from_named = f"PREFIX iopc: <{IOPC}> SELECT (COUNT(?c) AS ?n) FROM NAMED <{BASE}dataset> WHERE {{ GRAPH ?g {{ ?c a iopc:Case }} }}"
    assert n(httpx.get(url, params={"query": from_named})) == everything
    assert n(httpx.get(url, params={"query": in_graph, "named-graph-uri": "urn:x-other"})) == 0


def test_head_vary_and_the_service_description(server):
    url = f"{server}/sparql"
    head = httpx.head(url, params={"query": ASK_Q})
    assert head.status_code == 200 and head.content == b"" and "Accept" in head.headers["vary"]
    sd = httpx.get(url, headers={"Accept": "text/turtle"})
    assert sd.status_code == 200 and sd.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=sd.text, format="turtle")
    service = next(g.subjects(RDF.type, SD.Service))
    assert g.value(service, SD.endpoint) == URIRef(url)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_TSV")) in g


# -- every kind of IRI dereferences ---------------------------------------------------------------

@pytest.fixture(scope="module")
def iris(server):
    """One IRI of every kind the export holds, by its first path segment (dataset/<class> apart)."""
    g = Graph().parse(data=httpx.get(f"{server}/export", params={"format": "nt"}, timeout=60).text, format="nt")
    kinds: dict[str, str] = {}
    for term in sorted(set(g.subjects()) | set(g.objects())):
        text = str(term)
        if isinstance(term, URIRef) and text.startswith(BASE) and not text.startswith(BASE + "ontology"):
            rest = text[len(BASE):]
            kind = "dataset/<class>" if rest.startswith("dataset/") else rest.split("/", 1)[0].split("?", 1)[0]
            kinds.setdefault(kind, text)
    return kinds


def test_the_export_has_every_kind_of_iri(iris):
    assert set(iris) >= {"forces", "bodies", "programmes", "themes", "cases", "recommendations", "responses", "sources",
                         "schemes", "dataset", "dataset/<class>", "export", "sparql"}


def on_server(server, iri: str) -> str:
    return server + "/" + iri[len(BASE):]


@pytest.mark.parametrize("kind", ["forces", "bodies", "programmes", "themes", "cases", "recommendations", "responses",
                                  "sources", "schemes", "dataset", "dataset/<class>"])
def test_every_kind_of_iri_dereferences(server, iris, kind):
    iri = iris[kind]
    url = on_server(server, iri)
    plain = httpx.get(url)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json"), plain.text
    assert "Accept" in plain.headers["vary"] and 'rel="alternate"' in plain.headers["link"]
    assert plain.json()["id"] in (iri, iri.rsplit("/", 1)[-1])
    for accept, fmt in [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt"),
                        ("application/rdf+xml", "xml")]:
        r = httpx.get(url, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept), (accept, r.text)
        assert "Accept" in r.headers["vary"]
        g = Graph().parse(data=r.text, format=fmt)
        assert any(g.triples((URIRef(iri), None, None))), (kind, accept)
    browser = httpx.get(url, headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert browser.status_code == 303 and browser.headers["location"].startswith("/#/") and "Accept" in browser.headers["vary"]
    assert httpx.get(server + browser.headers["location"].split("#")[0]).status_code == 200
    refused = httpx.get(url, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable" and "Accept" in refused.headers["vary"]
    head = httpx.head(url, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"].startswith("text/turtle")


def test_ontology_terms_and_statuses_resolve_to_the_ontology(server):
    for accept, fmt in [("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")]:
        r = httpx.get(f"{server}/ontology", headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept) and "Accept" in r.headers["vary"]
        g = Graph().parse(data=r.text, format=fmt)
        assert (URIRef(IOPC + "accepted"), RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in g
    assert httpx.get(f"{server}/ontology", headers={"Accept": "image/png"}).status_code == 406
    assert httpx.head(f"{server}/ontology").status_code == 200


def test_void_lives_at_the_dataset_iri_and_says_where_to_query(server):
    r = httpx.get(f"{server}/dataset", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    void = Namespace("http://rdfs.org/ns/void#")
    d = URIRef(f"{BASE}dataset")
    assert g.value(d, void.sparqlEndpoint) == URIRef(f"{server}/sparql")
    assert int(g.value(d, void.triples)) > 1000
    dumps = set(g.objects(d, void.dataDump))
    assert URIRef(f"{server}/export?format=nt") in dumps
    assert httpx.get(f"{server}/.well-known/void", follow_redirects=True).status_code == 200
    data = httpx.get(f"{server}/dataset").json()
    assert data["triples"] == int(g.value(d, void.triples)) and data["sparql_endpoint"] == f"{server}/sparql"
    disposition = httpx.head(f"{server}/export", params={"format": "nt"}).headers["content-disposition"]
    assert f"iopc-kg-{data['version']}-{data['issued']}.nt" in disposition
