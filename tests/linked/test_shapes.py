"""The SHACL shapes constrain every class and property the export uses, and each broken graph below
fails for its own reason: the validation report names exactly the focus node, path and constraint
that was broken, and nothing else."""

from __future__ import annotations

import pytest
from pyshacl import validate
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SH, SKOS

from graph.export import whole_graph
from ontology import publish

IOPC = Namespace("https://w3id.org/iopc-kg/ontology#")
SCHEMA = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
VOID = Namespace("http://rdfs.org/ns/void#")
SHAPES = Graph().parse(publish.HERE / "shapes.ttl")


@pytest.fixture(scope="module")
def good(services):
    g = whole_graph(services.store, services.terms)
    conforms, _, report = validate(g, shacl_graph=SHAPES, inference="none")
    assert conforms, report
    return g


def one(g: Graph, cls) -> URIRef:
    return sorted(g.subjects(RDF.type, cls))[0]


def failures(g: Graph, focus, whole: bool = False) -> set[tuple]:
    """What fails at the broken node. Validating only there keeps the suite to seconds; pyshacl's
    focus mode also filters the value nodes of nested shapes (sh:or), so those validate `whole`."""
    conforms, report, _ = validate(g, shacl_graph=SHAPES, inference="none", focus_nodes=None if whole else [focus])
    out = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        component = str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        out.add((report.value(r, SH.focusNode), report.value(r, SH.resultPath), component))
    assert not conforms or not out
    return out


def test_every_class_and_property_of_the_export_has_a_shape(good):
    paths = set(SHAPES.objects(None, SH.path))
    targets = set(SHAPES.objects(None, SH.targetClass)) | set(SHAPES.objects(None, SH.hasValue))
    assert set(good.predicates()) - {RDF.type} <= paths, set(good.predicates()) - paths
    for cls in set(good.objects(None, RDF.type)):
        assert cls in targets, cls


def _rec(g):
    return one(g, IOPC.Recommendation)


def _resp(g):
    return one(g, IOPC.Response)


def _case(g):
    return one(g, IOPC.Case)


def _force(g):
    return URIRef("https://w3id.org/iopc-kg/forces/essex")


def _set(g, s, p, o):
    g.remove((s, p, None))
    if o is not None:
        g.add((s, p, o))


# (name, which node, how to break it, the path and constraint that must fail)
BREAKS = [
    ("status not in the list", _resp, lambda g, s: _set(g, s, IOPC.status, IOPC.bogus), IOPC.status, "InConstraintComponent"),
    ("status as a string", _rec, lambda g, s: _set(g, s, IOPC.status, Literal("accepted")), IOPC.status, "NodeKindConstraintComponent"),
    ("response with no text", _resp, lambda g, s: _set(g, s, SCHEMA.text, None), SCHEMA.text, "MinCountConstraintComponent"),
    ("response answering nothing", _resp, lambda g, s: _set(g, s, IOPC.respondsTo, None), IOPC.respondsTo, "MinCountConstraintComponent"),
    # Required of complete cases only (a header-only case is flagged `incomplete`): a node-level sh:or.
    ("case with no recommendation", _case, lambda g, s: _set(g, s, IOPC.hasRecommendation, None), None, "OrConstraintComponent"),
    ("case concerning two forces", _case, lambda g, s: g.add((s, IOPC.concerns, URIRef("https://w3id.org/iopc-kg/forces/kent"))), IOPC.concerns, "MaxCountConstraintComponent"),
    ("case from no page", _case, lambda g, s: _set(g, s, PROV.wasDerivedFrom, None), PROV.wasDerivedFrom, "MinCountConstraintComponent"),
    ("empty recommendation text", _rec, lambda g, s: _set(g, s, SCHEMA.text, Literal("", lang="en")), SCHEMA.text, "MinLengthConstraintComponent"),
    ("text without a language", _rec, lambda g, s: _set(g, s, SCHEMA.text, Literal("Do better.")), SCHEMA.text, "DatatypeConstraintComponent"),
    ("text in another language", _rec, lambda g, s: _set(g, s, SCHEMA.text, Literal("Faites mieux.", lang="fr")), SCHEMA.text, "LanguageInConstraintComponent"),
    ("number -5", _rec, lambda g, s: _set(g, s, IOPC.number, Literal(-5)), IOPC.number, "MinInclusiveConstraintComponent"),
    ("number as a string", _rec, lambda g, s: _set(g, s, IOPC.number, Literal("3")), IOPC.number, "DatatypeConstraintComponent"),
    ("two positions", _rec, lambda g, s: g.add((s, IOPC.position, Literal(99))), IOPC.position, "MaxCountConstraintComponent"),
    ("due date not a date", _rec, lambda g, s: _set(g, s, IOPC.responseDue, Literal("next week")), IOPC.responseDue, "DatatypeConstraintComponent"),
    ("addressed to a programme", _rec, lambda g, s: g.add((s, IOPC.addressedTo, URIRef("https://w3id.org/iopc-kg/programmes/athena"))), IOPC.addressedTo, "OrConstraintComponent"),
    ("recommendation from no page", _rec, lambda g, s: _set(g, s, PROV.wasDerivedFrom, None), PROV.wasDerivedFrom, "MinCountConstraintComponent"),
    ("a property no shape allows", _rec, lambda g, s: g.add((s, URIRef("http://example.org/colour"), Literal("red"))), URIRef("http://example.org/colour"), "ClosedConstraintComponent"),
    ("not typed prov:Entity", _rec, lambda g, s: g.remove((s, RDF.type, PROV.Entity)), RDF.type, "HasValueConstraintComponent"),
    ("force not an org:Organization", _force, lambda g, s: g.remove((s, RDF.type, URIRef("http://www.w3.org/ns/org#Organization"))), RDF.type, "HasValueConstraintComponent"),
    ("force with two names", _force, lambda g, s: g.add((s, SKOS.prefLabel, Literal("Essex Constabulary", lang="en"))), SKOS.prefLabel, "MaxCountConstraintComponent"),
    ("force with no name", _force, lambda g, s: _set(g, s, SKOS.prefLabel, None), SKOS.prefLabel, "MinCountConstraintComponent"),
    ("label without a language", _force, lambda g, s: _set(g, s, RDFS.label, Literal("Essex Police")), RDFS.label, "DatatypeConstraintComponent"),
    ("bad ONS code", _force, lambda g, s: _set(g, s, IOPC.onsPoliceForceArea, Literal("E2300028")), IOPC.onsPoliceForceArea, "PatternConstraintComponent"),
    ("layout outside the list", lambda g: one(g, IOPC.Source), lambda g, s: _set(g, s, IOPC.layout, Literal("PDF")), IOPC.layout, "InConstraintComponent"),
    ("fetch time as a string", lambda g: one(g, IOPC.Source), lambda g, s: _set(g, s, PROV.generatedAtTime, Literal("yesterday")), PROV.generatedAtTime, "DatatypeConstraintComponent"),
    ("programme outside a scheme", lambda g: one(g, IOPC.Programme), lambda g, s: _set(g, s, SKOS.inScheme, None), SKOS.inScheme, "MinCountConstraintComponent"),
    ("programme kind unknown", lambda g: one(g, IOPC.Programme), lambda g, s: _set(g, s, IOPC.programmeKind, Literal("gadget")), IOPC.programmeKind, "InConstraintComponent"),
    ("reference malformed", _case, lambda g, s: _set(g, s, DCTERMS.identifier, Literal("2022-178839")), DCTERMS.identifier, "PatternConstraintComponent"),
    ("dataset without a size", lambda g: URIRef("https://w3id.org/iopc-kg/dataset"), lambda g, s: _set(g, s, VOID.triples, None), VOID.triples, "MinCountConstraintComponent"),
    ("dataset without an endpoint", lambda g: URIRef("https://w3id.org/iopc-kg/dataset"), lambda g, s: _set(g, s, VOID.sparqlEndpoint, None), VOID.sparqlEndpoint, "MinCountConstraintComponent"),
    ("dataset dated as text", lambda g: URIRef("https://w3id.org/iopc-kg/dataset"), lambda g, s: _set(g, s, DCTERMS.issued, Literal("today")), DCTERMS.issued, "DatatypeConstraintComponent"),
    ("status concept outside its scheme", lambda g: IOPC.accepted, lambda g, s: _set(g, s, SKOS.inScheme, URIRef("https://w3id.org/iopc-kg/schemes/themes")), SKOS.inScheme, "HasValueConstraintComponent"),
]


@pytest.mark.parametrize("name,node,breaking,path,component", BREAKS, ids=[b[0] for b in BREAKS])
def test_a_broken_graph_fails_for_its_own_reason(good, name, node, breaking, path, component):
    g = Graph()
    g += good
    focus = node(g)
    breaking(g, focus)
    found = {f for f in failures(g, focus, whole=component == "OrConstraintComponent")}
    # Only the broken property of the broken node fails (a value of the wrong datatype may break its
    # language or range constraint too), and by the constraint the break was aimed at.
    assert {(f, p) for f, p, _ in found} == {(focus, path)}, found
    assert component in {c for _, _, c in found}, found
