"""The published ontology is OWL 2 DL and a reasoner classifies it; it declares every term of another
vocabulary that it or the data uses, and carries a version IRI.

HermiT (shipped inside owlready2) runs where Java is installed (a second or two); the structural DL
checks below run everywhere, in pure Python."""

from __future__ import annotations

import shutil

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef

from ontology import publish
from ontology.model import ontology_version_iri

ONTOLOGY = publish.HERE / "iopc.ttl"
BUILTIN = {str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#"}
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual, RDFS.Datatype)
# The OWL 2 datatype map (OWL 2 Structural Specification, 4): a DL reasoner accepts only these.
OWL2_DATATYPES = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in (
    "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short byte "
    "unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token language Name "
    "NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()} | {
    str(RDFS.Literal), str(RDF.PlainLiteral), str(RDF.XMLLiteral), "http://www.w3.org/2002/07/owl#real",
    "http://www.w3.org/2002/07/owl#rational"}


@pytest.fixture(scope="module")
def onto():
    return Graph().parse(ONTOLOGY)


def declared(g: Graph) -> dict[URIRef, set]:
    out: dict = {}
    for kind in KINDS:
        for s in g.subjects(RDF.type, kind):
            if isinstance(s, URIRef):
                out.setdefault(s, set()).add(kind)
    return out


def test_the_ontology_is_versioned(onto):
    o = URIRef(publish.ONTOLOGY_IRI)
    assert (o, RDF.type, OWL.Ontology) in onto
    assert onto.value(o, OWL.versionIRI) == URIRef(ontology_version_iri())
    assert onto.value(o, OWL.versionInfo) is not None


def test_no_iri_is_both_kinds_of_property(onto):
    props = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    for term, kinds in declared(onto).items():
        assert len(kinds & set(props)) <= 1, (term, kinds)


def test_every_term_the_ontology_uses_is_declared(onto):
    decl = declared(onto)
    used = set()
    for s, p, o in onto:
        used.add(p)
        if p in (RDFS.subClassOf, RDFS.domain, OWL.unionOf) or (p == RDF.type and o not in KINDS and o != OWL.Ontology):
            used.add(o)
        if p == RDF.first:
            used.add(o)
    for term in used:
        if isinstance(term, URIRef) and not any(str(term).startswith(b) for b in BUILTIN):
            assert term in decl, f"{term} is used but not declared"


def test_ranges_are_in_the_owl2_datatype_map(onto):
    for p in onto.subjects(RDF.type, OWL.DatatypeProperty):
        for r in onto.objects(p, RDFS.range):
            assert str(r) in OWL2_DATATYPES, (p, r)


def test_every_term_the_data_uses_is_declared(onto, services):
    """Each predicate and class of the whole export (with its dataset description) is an rdf:/rdfs:/owl:
    built-in or declared in the ontology: nothing reaches a user undeclared."""
    from graph.export import whole_graph

    data = whole_graph(services.store, services.terms)
    decl = declared(onto)
    terms = set(data.predicates()) | set(data.objects(None, RDF.type))
    missing = sorted(str(t) for t in terms if t not in decl and not any(str(t).startswith(b) for b in BUILTIN))
    assert not missing


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime (apt-get install default-jre-headless)")
def test_hermit_classifies_the_ontology(tmp_path):
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "iopc.owl"
    Graph().parse(ONTOLOGY).serialize(path, format="xml")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert not list(world.inconsistent_classes())
    force = onto.search_one(iri="https://w3id.org/iopc-kg/ontology#Force")
    assert "Organization" in {c.name for c in force.ancestors()}
