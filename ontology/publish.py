"""Publish the ontology from its data files: OWL (iopc.ttl), SHACL shapes (shapes.ttl), the JSON-LD
context (context.jsonld) and a closed rdflib namespace (namespace.py).

    python -m ontology.publish        # rewrite the four files
    python -m ontology.publish --check  # exit 1 if any file differs from what the YAML gives

Terms of other vocabularies (dcterms:title, skos:prefLabel, org:memberOf ...) are used, never
redefined: the OWL file declares only iopc: terms, and says which external terms it reuses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, XSD

from ontology.model import PREFIXES, expand, model

HERE = Path(__file__).parent
ONTOLOGY_IRI = URIRef(PREFIXES["iopc"].rstrip("#"))
IOPC = PREFIXES["iopc"]


def _bind(g: Graph) -> Graph:
    for prefix, iri in PREFIXES.items():
        g.bind(prefix, iri, override=True)
    g.bind("sh", SH)
    return g


def _own(term: str | None) -> bool:
    return bool(term) and term.startswith("iopc:")


def owl() -> Graph:
    g = _bind(Graph())
    g.add((ONTOLOGY_IRI, RDF.type, OWL.Ontology))
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
            p = _declare(g, prop.rdf, OWL.DatatypeProperty, prop.label,
                         prop.description or f"{prop.label} of a {schema.label.lower()}.", reused)
            if p is not None:
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
    for term in sorted(reused):
        g.add((ONTOLOGY_IRI, URIRef(IOPC + "reuses"), term))
    g.add((URIRef(IOPC + "reuses"), RDF.type, OWL.AnnotationProperty))
    g.add((URIRef(IOPC + "reuses"), RDFS.label, Literal("reuses", lang="en")))
    g.add((URIRef(IOPC + "reuses"), RDFS.comment, Literal("A term of another vocabulary this ontology uses as published.", lang="en")))
    return g


def _declare(g: Graph, term: str, rdf_type, label: str, comment: str, reused: set) -> URIRef | None:
    """Declare an iopc: property; a term of another vocabulary is only noted as reused (None)."""
    p = URIRef(expand(term))
    if not _own(term):
        reused.add(p)
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
        g.add((node, OWL.unionOf, _list(g, f"union_{'_'.join(kinds)}", classes)))
    return node


def _list(g: Graph, name: str, items: list) -> BNode:
    """An RDF list with blank nodes named after `name`, so the published file is the same every time."""
    head = BNode(f"{name}_0")
    for i, item in enumerate(items):
        node = BNode(f"{name}_{i}")
        g.add((node, RDF.first, item))
        g.add((node, RDF.rest, BNode(f"{name}_{i + 1}") if i + 1 < len(items) else RDF.nil))
    return head


def _domain(g: Graph, p, kinds: list[str]) -> None:
    g.add((p, RDFS.domain, _classes(g, kinds)))


def _range(g: Graph, p, kinds: list[str]) -> None:
    g.add((p, RDFS.range, _classes(g, kinds)))


def shapes() -> Graph:
    """SHACL node shapes: each class's properties with their datatypes, each edge with its targets."""
    g = _bind(Graph())
    for schema in model.schemas.values():
        shape = URIRef(f"{IOPC}{schema.name}Shape")
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetClass, URIRef(expand(schema.rdf))))
        g.add((shape, RDFS.label, Literal(f"{schema.label} shape", lang="en")))
        g.add((shape, SH.property, _prop_shape(g, schema.name, "label", RDFS.label, datatype=XSD.string, min_count=1, max_count=1)))
        for name, prop in schema.properties.items():
            if not prop.rdf:
                continue
            node = _prop_shape(g, schema.name, name, URIRef(expand(prop.rdf)),
                               datatype=None if prop.type.name == "url" else prop.type.xsd, max_count=None if prop.many else 1)
            if prop.type.name == "url":  # written as IRIs (types.UrlType.rdf), not literals
                g.add((node, SH.nodeKind, SH.IRI))
            g.add((shape, SH.property, node))
        for edge in model.edges.values():
            if schema.name in edge.source:
                node = _prop_shape(g, schema.name, edge.name, URIRef(expand(edge.rdf)))
                targets = [URIRef(expand(model[t].rdf)) for t in edge.target]
                if len(targets) == 1:
                    g.add((node, SH["class"], targets[0]))
                else:
                    alts = []
                    for t in targets:
                        alt = BNode(f"{schema.name}_{edge.name}_{t.split('#')[-1]}")
                        g.add((alt, SH["class"], t))
                        alts.append(alt)
                    g.add((node, SH["or"], _list(g, f"{schema.name}_{edge.name}_or", alts)))
                g.add((shape, SH.property, node))
    # Structural rules the YAML implies: a case has a reference-or-id and recommendations; a
    # recommendation has text and a status from the closed list.
    rec = URIRef(f"{IOPC}Recommendation_text_required")
    g.add((URIRef(f"{IOPC}RecommendationShape"), SH.property, rec))
    g.add((rec, SH.path, URIRef(expand(model["Recommendation"].properties["text"].rdf))))
    g.add((rec, SH.minCount, Literal(1)))
    status = URIRef(f"{IOPC}Recommendation_status_values")
    g.add((URIRef(f"{IOPC}RecommendationShape"), SH.property, status))
    g.add((status, SH.path, URIRef(expand(model["Recommendation"].properties["status"].rdf))))
    from ontology.types import STATUSES

    g.add((status, SH["in"], _list(g, "status_values", [Literal(s) for s in STATUSES])))
    g.add((status, SH.minCount, Literal(1)))
    return g


def _prop_shape(g: Graph, kind: str, name: str, path, datatype=None, min_count=None, max_count=None):
    node = URIRef(f"{IOPC}{kind}_{name}")
    g.add((node, SH.path, path))
    if datatype is not None:
        g.add((node, SH.datatype, datatype))
    if min_count is not None:
        g.add((node, SH.minCount, Literal(min_count)))
    if max_count is not None:
        g.add((node, SH.maxCount, Literal(max_count)))
    return node


def context() -> dict:
    """The JSON-LD context: prefixes, and a short name for every term the graph uses."""
    ctx: dict = dict(sorted(PREFIXES.items()))
    ctx["label"] = "rdfs:label"
    for schema in model.schemas.values():
        ctx[schema.name] = schema.rdf
        for name, prop in schema.properties.items():
            if not prop.rdf:
                continue
            entry: dict = {"@id": prop.rdf}
            if prop.type.name == "url":
                entry["@type"] = "@id"
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
    own = sorted({t.split(":", 1)[1] for t in _all_terms() if t.startswith("iopc:")} | {"reuses"})
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
