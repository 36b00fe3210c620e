"""The SHACL shapes of the export, generated from the ontology's YAML (`python -m ontology.publish`
writes them to shapes.ttl): closed node shapes for every class, every property with its datatype,
language, value list, count and range, and shapes for the statuses, the concept schemes and the
dataset's own DCAT and VoID description."""

from __future__ import annotations

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, XSD

from ontology.model import expand, model
from ontology.types import STATUSES, DateType
from ontology.vocabulary import DCAT, IOPC, LANGS, OGL, PROV, SKOS, VOID, bind, rdf_list


class _Shapes:
    """Builds closed node shapes: every property a node of a kind may carry is listed with its
    constraints, so an unexpected property, a missing one, a wrong datatype, language, value or
    count each fails with its own result (tests/linked/test_shapes.py breaks them one by one)."""

    def __init__(self):
        self.g = bind(Graph())

    def node(self, name: str, *, target_class=None, target_objects_of=None, target_subjects_of=None,
             types: list | None = None, label: str) -> URIRef:
        shape = URIRef(f"{IOPC}{name}Shape")
        g = self.g
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, RDFS.label, Literal(label, lang="en")))
        if target_class is not None:
            g.add((shape, SH.targetClass, target_class))
        if target_objects_of is not None:
            g.add((shape, SH.targetObjectsOf, target_objects_of))
        if target_subjects_of is not None:
            g.add((shape, SH.targetSubjectsOf, target_subjects_of))
        g.add((shape, SH.closed, Literal(True)))
        g.add((shape, SH.ignoredProperties, rdf_list(g, f"{name}_ignored", [RDF.type])))
        for i, cls in enumerate(types or []):
            self.prop(shape, name, f"type{i}", RDF.type, has_value=cls)
        return shape

    def prop(self, shape, kind: str, name: str, path, *, datatype=None, node_kind=None, cls=None, classes=None,
             has_value=None, values=None, min_count=None, max_count=None, min_length=None, min_inclusive=None,
             pattern=None, languages=None, in_scheme=None) -> URIRef:
        g = self.g
        node = URIRef(f"{IOPC}{kind}_{name}")
        g.add((shape, SH.property, node))
        g.add((node, SH.path, path))
        if datatype is not None:
            g.add((node, SH.datatype, datatype))
        if node_kind is not None:
            g.add((node, SH.nodeKind, node_kind))
        if cls is not None:
            g.add((node, SH["class"], cls))
        if classes:
            alts = []
            for c in classes:
                alt = BNode(f"{kind}_{name}_{c.split('#')[-1]}")
                g.add((alt, SH["class"], c))
                alts.append(alt)
            g.add((node, SH["or"], rdf_list(g, f"{kind}_{name}_or", alts)))
        if has_value is not None:
            g.add((node, SH.hasValue, has_value))
        if values is not None:
            g.add((node, SH["in"], rdf_list(g, f"{kind}_{name}_values", values)))
        if languages:
            g.add((node, SH.languageIn, rdf_list(g, f"{kind}_{name}_languages", [Literal(x) for x in languages])))
        for term, value in ((SH.minCount, min_count), (SH.maxCount, max_count), (SH.minLength, min_length),
                            (SH.minInclusive, min_inclusive), (SH.pattern, pattern)):
            if value is not None:
                g.add((node, term, Literal(value)))
        if in_scheme is not None:  # the value is a concept of that scheme
            inner = BNode(f"{kind}_{name}_scheme")
            g.add((node, SH.node, inner))
            g.add((inner, SH.property, (p := BNode(f"{kind}_{name}_scheme_p"))))
            g.add((p, SH.path, SKOS.inScheme))
            g.add((p, SH.hasValue, in_scheme))
        return node

    def label(self, shape, kind: str, path=RDFS.label, name: str = "label", required: bool = True):
        return self.prop(shape, kind, name, path, datatype=RDF.langString, languages=LANGS,
                         min_count=1 if required else None, max_count=1, min_length=1)


def _value_facets(prop) -> dict:
    """The SHACL constraints on one property's values, from its type and the YAML's facets."""
    t = prop.type.name
    if prop.lang:
        facets = {"datatype": RDF.langString, "languages": (prop.lang,), "min_length": 1}
    elif t == "url":  # written as IRIs (types.UrlType.rdf), not literals
        facets = {"node_kind": SH.IRI}
    elif t == "case_id":  # another case's IRI (graph/rdf.py), one that is no longer a node of its own
        facets = {"node_kind": SH.IRI}
    elif t == "status":
        facets = {"node_kind": SH.IRI, "values": [URIRef(IOPC + s) for s in STATUSES]}
    elif t in ("layout", "programme_kind"):
        facets = {"datatype": XSD.string, "values": [Literal(v) for v in prop.type.values]}
    elif t == "reference":
        facets = {"datatype": XSD.string, "pattern": r"^\d{4}/\d{5,7}$"}
    elif t == "text":
        facets = {"datatype": XSD.string, "min_length": 1}
    elif t == "date":  # a day, as the dateTime of its start (types.DateType)
        facets = {"datatype": XSD.dateTime, "pattern": DateType.DAY_PATTERN}
    else:
        facets = {"datatype": prop.type.xsd}
    if prop.min is not None:
        facets["min_inclusive"] = prop.min
    facets["min_count"] = 1 if prop.required else None
    facets["max_count"] = None if prop.many else 1
    return facets


def shapes() -> Graph:
    """SHACL shapes for every class and property the export uses, generated from the YAML."""
    b = _Shapes()
    for schema in model.schemas.values():
        cls = URIRef(expand(schema.rdf))
        shape = b.node(schema.name, target_class=cls, types=[URIRef(expand(x)) for x in schema.broader],
                       label=f"{schema.label} shape")
        b.label(shape, schema.name)
        for name, prop in schema.properties.items():
            if prop.rdf:
                b.prop(shape, schema.name, name, URIRef(expand(prop.rdf)), **_value_facets(prop))
        for edge in model.edges.values():
            if schema.name not in edge.source:
                continue
            targets = [URIRef(expand(model[t].rdf)) for t in edge.target]
            # A header-only case (`incomplete`) has no recommendation yet, and a case whose page says
            # it made none (`no_recommendations`) has none: the edge is required of the others only,
            # a node-level sh:or below.
            conditional = edge.required and "incomplete" in schema.properties and list(edge.target) == ["Recommendation"]
            b.prop(shape, schema.name, edge.name, URIRef(expand(edge.rdf)), node_kind=SH.IRI,
                   cls=targets[0] if len(targets) == 1 else None, classes=targets if len(targets) > 1 else None,
                   min_count=1 if edge.required and not conditional else None, max_count=1 if edge.single else None)
            if conditional:
                g = b.g
                has, flagged = BNode(f"{schema.name}_{edge.name}_present"), BNode(f"{schema.name}_{edge.name}_incomplete")
                alternatives = [(has, URIRef(expand(edge.rdf)), SH.minCount, Literal(1)),
                                (flagged, URIRef(expand(schema.properties["incomplete"].rdf)), SH.hasValue, Literal(True))]
                if "no_recommendations" in schema.properties:
                    alternatives.append((BNode(f"{schema.name}_{edge.name}_none"),
                                         URIRef(expand(schema.properties["no_recommendations"].rdf)), SH.minCount, Literal(1)))
                for alt, prop_path, facet, value in alternatives:
                    inner = BNode(f"{alt}_p")
                    g.add((alt, SH.property, inner))
                    g.add((inner, SH.path, prop_path))
                    g.add((inner, facet, value))
                g.add((shape, SH["or"], rdf_list(g, f"{schema.name}_{edge.name}_or", [a[0] for a in alternatives])))
        if schema.name in ("Programme", "Theme"):
            b.prop(shape, schema.name, "in_scheme", SKOS.inScheme, cls=SKOS.ConceptScheme, min_count=1, max_count=1)
        if schema.name in ("Recommendation", "Response"):  # graph/rdf.py: from the case's pages
            b.prop(shape, schema.name, "derived_from", PROV.wasDerivedFrom, cls=URIRef(IOPC + "Source"), min_count=1)
        if schema.name == "Force":
            b.prop(shape, "Force", "see_also", RDFS.seeAlso, node_kind=SH.IRI, pattern=r"^https://data\.police\.uk/api/forces/")
            b.prop(shape, "Force", "ons_pfa", URIRef(IOPC + "onsPoliceForceArea"), datatype=XSD.string,
                   pattern=r"^[EW]\d{8}$", max_count=1)
    # Statuses, concept schemes and the dataset's own description.
    status = b.node("Status", target_subjects_of=SKOS.topConceptOf, types=[SKOS.Concept], label="Status shape")
    b.label(status, "Status")
    b.label(status, "Status", SKOS.prefLabel, "pref_label")
    b.prop(status, "Status", "notation", SKOS.notation, datatype=XSD.string, values=[Literal(s) for s in STATUSES],
           min_count=1, max_count=1)
    for i, path in enumerate((SKOS.inScheme, SKOS.topConceptOf)):
        b.prop(status, "Status", f"scheme{i}", path, has_value=URIRef(IOPC + "statuses"), min_count=1, max_count=1)
    scheme = b.node("ConceptScheme", target_class=SKOS.ConceptScheme, label="Concept scheme shape")
    b.label(scheme, "ConceptScheme")
    b.label(scheme, "ConceptScheme", SKOS.prefLabel, "pref_label")
    b.prop(scheme, "ConceptScheme", "top", SKOS.hasTopConcept, cls=SKOS.Concept)
    d = b.node("Dataset", target_class=DCAT.Dataset, types=[VOID.Dataset, PROV.Entity], label="Dataset shape")
    b.label(d, "Dataset")
    b.label(d, "Dataset", DCTERMS.title, "title")
    b.label(d, "Dataset", DCTERMS.description, "description")
    b.label(d, "Dataset", DCTERMS.rights, "rights")
    b.prop(d, "Dataset", "license", DCTERMS.license, has_value=OGL, min_count=1, max_count=1)
    b.prop(d, "Dataset", "issued", DCTERMS.issued, datatype=XSD.dateTime, pattern=DateType.DAY_PATTERN, min_count=1, max_count=1)
    b.prop(d, "Dataset", "version", DCAT.version, datatype=XSD.string, min_count=1, max_count=1)
    b.prop(d, "Dataset", "conforms_to", DCTERMS.conformsTo, node_kind=SH.IRI, min_count=1, max_count=1)
    b.prop(d, "Dataset", "uri_space", VOID.uriSpace, datatype=XSD.string, min_count=1, max_count=1)
    b.prop(d, "Dataset", "vocabulary", VOID.vocabulary, node_kind=SH.IRI, min_count=1)
    for name in ("triples", "distinctSubjects", "properties", "classes", "entities"):
        b.prop(d, "Dataset", name, VOID[name], datatype=XSD.integer, min_inclusive=0, min_count=1, max_count=1)
    b.prop(d, "Dataset", "partition", VOID.classPartition, node_kind=SH.IRI, min_count=1)
    b.prop(d, "Dataset", "sparql", VOID.sparqlEndpoint, node_kind=SH.IRI, min_count=1, max_count=1)
    b.prop(d, "Dataset", "dump", VOID.dataDump, node_kind=SH.IRI, min_count=1)
    b.prop(d, "Dataset", "distribution", DCAT.distribution, cls=DCAT.Distribution, min_count=1)
    part = b.node("Partition", target_subjects_of=VOID["class"], types=[VOID.Dataset], label="Class partition shape")
    b.label(part, "Partition")
    b.prop(part, "Partition", "class", VOID["class"], node_kind=SH.IRI, min_count=1, max_count=1)
    b.prop(part, "Partition", "entities", VOID.entities, datatype=XSD.integer, min_inclusive=0, min_count=1, max_count=1)
    dist = b.node("Distribution", target_class=DCAT.Distribution, label="Distribution shape")
    b.label(dist, "Distribution", DCTERMS.title, "title")
    b.prop(dist, "Distribution", "access", DCAT.accessURL, node_kind=SH.IRI, min_count=1)  # DCAT-AP 3: mandatory
    b.prop(dist, "Distribution", "download", DCAT.downloadURL, node_kind=SH.IRI, min_count=1, max_count=1)
    b.prop(dist, "Distribution", "media_type", DCAT.mediaType, node_kind=SH.IRI, pattern=r"^https://www\.iana\.org/assignments/media-types/",
           min_count=1, max_count=1)
    b.prop(dist, "Distribution", "issued", DCTERMS.issued, datatype=XSD.dateTime, pattern=DateType.DAY_PATTERN, min_count=1, max_count=1)
    b.prop(dist, "Distribution", "license", DCTERMS.license, has_value=OGL, min_count=1, max_count=1)
    return b.g
