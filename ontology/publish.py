"""Publish the ontology from its data files: OWL (iopc.ttl), SHACL shapes (shapes.ttl), the JSON-LD
context (context.jsonld) and a closed rdflib namespace (namespace.py).

    python -m ontology.publish        # rewrite the four files
    python -m ontology.publish --check  # exit 1 if any file differs from what the YAML gives

Terms of other vocabularies (dcterms:title, skos:prefLabel, org:memberOf ...) are used, never
redefined: the OWL file defines only iopc: terms, and declares each external term it reuses (with the
kind its vocabulary gives it, so the file is OWL 2 DL) and says it reuses it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

from ontology.model import PREFIXES, expand, model, ontology_version_iri, release
from ontology.types import STATUS_LABELS, STATUSES
from ontology.vocabulary import DCAT, IOPC, ORG, PROV, SCHEMA, SKOS, VOID, bind, rdf_list

HERE = Path(__file__).parent
ONTOLOGY_IRI = URIRef(PREFIXES["iopc"].rstrip("#"))

# Every term of another vocabulary the ontology or the data (graph/rdf.py) uses, declared with the
# kind its own vocabulary gives it where it gives one (SKOS's labels and documentation are annotation
# properties, skos:inScheme an object property), so the ontology is OWL 2 DL: a DL reasoner needs
# every IRI declared, and a property used on the ontology itself must be an annotation property.
# tests/linked/test_ontology_dl.py checks that the data uses nothing missing from this list.
REUSED = {
    OWL.Class: [ORG.Organization, SKOS.Concept, SKOS.ConceptScheme, PROV.Entity, VOID.Dataset, DCAT.Dataset,
                DCAT.Distribution],
    OWL.ObjectProperty: [DCTERMS.subject, PROV.wasDerivedFrom, ORG.memberOf, SKOS.inScheme, SKOS.topConceptOf,
                         SKOS.hasTopConcept],
    OWL.DatatypeProperty: [DCTERMS.identifier, DCTERMS.issued, SCHEMA.datePublished, SCHEMA.text, PROV.generatedAtTime,
                           SKOS.notation],
    OWL.AnnotationProperty: [SKOS.prefLabel, SKOS.altLabel, SKOS.definition, DCTERMS.title, DCTERMS.abstract,
                             DCTERMS.description, DCTERMS.license, DCTERMS.rights, DCTERMS.conformsTo, SCHEMA.url,
                             DCAT.version, DCAT.distribution, DCAT.accessURL, DCAT.downloadURL, DCAT.mediaType, VOID.classPartition,
                             VOID["class"], VOID.entities, VOID.triples, VOID.distinctSubjects, VOID.properties,
                             VOID.classes, VOID.sparqlEndpoint, VOID.dataDump, VOID.uriSpace, VOID.vocabulary],
}


def _own(term: str | None) -> bool:
    return bool(term) and term.startswith("iopc:")


def owl() -> Graph:
    g = bind(Graph())
    g.add((ONTOLOGY_IRI, RDF.type, OWL.Ontology))
    g.add((ONTOLOGY_IRI, OWL.versionIRI, URIRef(ontology_version_iri())))
    g.add((ONTOLOGY_IRI, OWL.versionInfo, Literal(release())))
    g.add((ONTOLOGY_IRI, RDFS.label, Literal("iopc-kg ontology", lang="en")))
    g.add((ONTOLOGY_IRI, RDFS.comment, Literal(
        "Learning recommendations of the Independent Office for Police Conduct, the responses of forces and bodies, "
        "and the programmes, themes and organisations they name. Generated from ontology/schema/*.yaml.", lang="en")))
    g.add((ONTOLOGY_IRI, DCTERMS.license, URIRef("https://opensource.org/licenses/MIT")))
    reused: set[URIRef] = set()
    domains: dict[URIRef, list[str]] = {}
    for schema in model.schemas.values():
        cls = URIRef(expand(schema.rdf))
        if _own(schema.rdf):
            g.add((cls, RDF.type, OWL.Class))
            g.add((cls, RDFS.label, Literal(schema.label, lang="en")))
            g.add((cls, RDFS.comment, Literal(schema.description, lang="en")))
            g.add((cls, RDFS.isDefinedBy, ONTOLOGY_IRI))
            for broader in schema.broader:
                g.add((cls, RDFS.subClassOf, URIRef(expand(broader))))
                reused.add(URIRef(expand(broader)))
        for name, prop in schema.properties.items():
            if not prop.rdf:
                continue
            kind = OWL.ObjectProperty if prop.type.name in ("status", "case_id") else OWL.DatatypeProperty
            p = _declare(g, prop.rdf, kind, prop.label,
                         prop.description or f"{prop.label} of a {schema.label.lower()}.", reused)
            if p is not None:
                if prop.type.name == "status":
                    g.add((p, RDFS.range, SKOS.Concept))
                elif prop.type.name == "case_id":
                    g.add((p, RDFS.range, cls))
                elif prop.lang:
                    g.add((p, RDFS.range, RDF.PlainLiteral))
                else:  # every value type's xsd is in the OWL 2 datatype map (a date is a dateTime)
                    g.add((p, RDFS.range, prop.type.xsd))
                domains.setdefault(p, []).append(schema.name)
    for p, kinds in domains.items():  # a property several kinds use has their union as its domain
        _domain(g, p, kinds)
        if len(kinds) > 1:
            g.remove((p, RDFS.comment, None))
            g.add((p, RDFS.comment, Literal(f"Of a {', '.join(model[k].label.lower() for k in kinds)}.", lang="en")))
    for edge in model.edges.values():
        p = _declare(g, edge.rdf, OWL.ObjectProperty, edge.label, edge.description, reused)
        if p is None:
            continue
        _domain(g, p, edge.source)
        _range(g, p, edge.target)
    # Written by graph/rdf.py from the gazetteer rather than declared in the YAML.
    ons = URIRef(IOPC + "onsPoliceForceArea")
    _declare(g, "iopc:onsPoliceForceArea", OWL.DatatypeProperty, "ONS police force area code",
             "The ONS (GSS) code of the force's police force area (E23000028 for Essex); where each code was found "
             "is cited in ontology/gazetteers/forces.yaml.", reused)
    g.add((ons, RDFS.domain, URIRef(expand(model["Force"].rdf))))
    g.add((ons, RDFS.range, XSD.string))
    _statuses(g)
    for kind, terms in REUSED.items():
        for term in terms:
            g.add((term, RDF.type, kind))
            g.add((term, RDFS.isDefinedBy, _vocabulary(term)))
            reused.add(term)
    for term in sorted(reused):
        g.add((ONTOLOGY_IRI, URIRef(IOPC + "reuses"), term))
    g.add((URIRef(IOPC + "reuses"), RDF.type, OWL.AnnotationProperty))
    g.add((URIRef(IOPC + "reuses"), RDFS.label, Literal("reuses", lang="en")))
    g.add((URIRef(IOPC + "reuses"), RDFS.comment, Literal("A term of another vocabulary this ontology uses as published.", lang="en")))
    return g


def _vocabulary(term: URIRef) -> URIRef:
    text = str(term)
    return URIRef(text[: max(text.rfind("#"), text.rfind("/")) + 1])


def _statuses(g: Graph) -> None:
    """The closed list of statuses as SKOS concepts of the scheme `iopc:statuses`."""
    scheme = URIRef(IOPC + "statuses")
    g.add((scheme, RDF.type, OWL.NamedIndividual))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDFS.label, Literal("Response statuses", lang="en")))
    g.add((scheme, SKOS.prefLabel, Literal("Response statuses", lang="en")))
    g.add((scheme, RDFS.isDefinedBy, ONTOLOGY_IRI))
    for value, label in STATUS_LABELS.items():
        c = URIRef(IOPC + value)
        g.add((c, RDF.type, OWL.NamedIndividual))
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, RDFS.label, Literal(label, lang="en")))
        g.add((c, SKOS.prefLabel, Literal(label, lang="en")))
        g.add((c, SKOS.notation, Literal(value)))
        g.add((c, SKOS.inScheme, scheme))
        g.add((c, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, c))
        g.add((c, RDFS.isDefinedBy, ONTOLOGY_IRI))


def _declare(g: Graph, term: str, rdf_type, label: str, comment: str, reused: set) -> URIRef | None:
    """Declare an iopc: property; a term of another vocabulary is declared with the kind its use
    here implies (unless REUSED says otherwise) and noted as reused (None)."""
    p = URIRef(expand(term))
    if not _own(term):
        reused.add(p)
        if not any(p in terms for terms in REUSED.values()):
            g.add((p, RDF.type, rdf_type))
            g.add((p, RDFS.isDefinedBy, _vocabulary(p)))
        return None
    g.add((p, RDF.type, rdf_type))
    g.add((p, RDFS.label, Literal(label, lang="en")))
    g.add((p, RDFS.comment, Literal(comment, lang="en")))
    g.add((p, RDFS.isDefinedBy, ONTOLOGY_IRI))
    return p


def _classes(g: Graph, kinds: list[str]):
    kinds = sorted(set(kinds))
    classes = [URIRef(expand(model[k].rdf)) for k in kinds]
    if len(classes) == 1:
        return classes[0]
    node = BNode("union_" + "_".join(kinds))
    if (node, RDF.type, OWL.Class) not in g:
        g.add((node, RDF.type, OWL.Class))
        g.add((node, OWL.unionOf, rdf_list(g, f"union_{'_'.join(kinds)}", classes)))
    return node


def _domain(g: Graph, p, kinds: list[str]) -> None:
    g.add((p, RDFS.domain, _classes(g, kinds)))


def _range(g: Graph, p, kinds: list[str]) -> None:
    g.add((p, RDFS.range, _classes(g, kinds)))


def context() -> dict:
    """The JSON-LD context: prefixes, and a short name for every term the graph uses."""
    ctx: dict = dict(sorted({**PREFIXES, "void": str(VOID), "dcat": str(DCAT)}.items()))
    ctx["label"] = {"@id": "rdfs:label", "@language": "en"}
    for schema in model.schemas.values():
        ctx[schema.name] = schema.rdf
        for name, prop in schema.properties.items():
            if not prop.rdf:
                continue
            entry: dict = {"@id": prop.rdf}
            if prop.type.name in ("url", "status"):
                entry["@type"] = "@id"
            elif prop.lang:
                entry["@language"] = prop.lang
            elif prop.type.xsd != XSD.string:
                entry["@type"] = "xsd:" + str(prop.type.xsd).split("#")[-1]
            if prop.many:
                entry["@container"] = "@set"
            key = name if name not in ctx or ctx[name] == entry else f"{schema.key}_{name}"
            ctx.setdefault(key, entry)
    for edge in model.edges.values():
        ctx.setdefault(edge.name, {"@id": edge.rdf, "@type": "@id"})
    return {"@context": ctx}


def namespace() -> str:
    own = sorted({t.split(":", 1)[1] for t in _all_terms() if t.startswith("iopc:")}
                 | {"reuses", "statuses", "onsPoliceForceArea", *STATUSES})
    lines = [
        '"""The iopc: namespace, closed: a misspelt term fails at import. Generated by `python -m ontology.publish`."""',
        "",
        "from rdflib import URIRef",
        "from rdflib.namespace import DefinedNamespace, Namespace",
        "",
        "",
        "class IOPC(DefinedNamespace):",
        "    _fail = True",
        f'    _NS = Namespace("{IOPC}")',
        "",
        *[f"    {t}: URIRef" for t in own],
        "",
    ]
    return "\n".join(lines)


def _all_terms() -> set[str]:
    terms = set()
    for schema in model.schemas.values():
        terms.add(schema.rdf)
        terms.update(p.rdf for p in schema.properties.values() if p.rdf)
    terms.update(e.rdf for e in model.edges.values())
    return terms


def shapes() -> Graph:
    from ontology.shacl import shapes as build

    return build()


def outputs() -> dict[Path, str]:
    return {
        HERE / "iopc.ttl": owl().serialize(format="turtle"),
        HERE / "shapes.ttl": shapes().serialize(format="turtle"),
        HERE / "context.jsonld": json.dumps(context(), indent=2) + "\n",
        HERE / "namespace.py": namespace(),
    }


def main(argv: list[str]) -> int:
    stale = []
    for path, text in outputs().items():
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(f"out of date with ontology/schema: {', '.join(stale)} (run python -m ontology.publish)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
