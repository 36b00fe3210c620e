"""The vocabularies the ontology, its shapes, the RDF export and the Linked Data routes speak: one home
for every namespace (the ontology's own, `iopc:`, from ontology/model.py's prefixes) and for what
binds their prefixes in a graph."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib.namespace import SH

from ontology.model import PREFIXES

IOPC = Namespace(PREFIXES["iopc"])
SKOS = Namespace(PREFIXES["skos"])
PROV = Namespace(PREFIXES["prov"])
SCHEMA = Namespace(PREFIXES["schema"])
ORG = Namespace(PREFIXES["org"])
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
OGL = URIRef("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
LANGS = ("en",)  # the languages of the ontology's labels
# The prefixes a serialised graph declares (Turtle and RDF/XML exports write them all at the top).
DATA_PREFIXES = {**PREFIXES, "rdf": str(RDF), "void": str(VOID), "dcat": str(DCAT)}


def bind(g: Graph) -> Graph:
    """`g` with the project's prefixes bound (and RDF's, SHACL's, VoID's, DCAT's)."""
    for prefix, iri in DATA_PREFIXES.items():
        g.bind(prefix, Namespace(iri), override=True)
    g.bind("sh", SH)
    return g


def rdf_list(g: Graph, name: str, items: list) -> BNode:
    """An RDF list with blank nodes named after `name`, so a published file is the same every time."""
    head = BNode(f"{name}_0")
    for i, item in enumerate(items):
        node = BNode(f"{name}_{i}")
        g.add((node, RDF.first, item))
        g.add((node, RDF.rest, BNode(f"{name}_{i + 1}") if i + 1 < len(items) else RDF.nil))
    return head
