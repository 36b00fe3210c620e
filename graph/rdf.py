"""The RDF view of the graph: the same node and edge rows the stores write, as triples.

Every term comes from the ontology's `rdf:` keys (W3C ORG, SKOS, Dublin Core terms, PROV-O,
schema.org, and iopc: for the rest), so RDF, Neo4j and LadybugDB are three renderings of one model.
IRIs are `{base}{kind plural}/{id}` (https://w3id.org/iopc-kg/forces/essex): stable, built from the
ontology's ids, never from row numbers. Serialisations stream case by case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, VOID, XSD

from graph.rows import Rows, case_rows, gazetteer_rows
from ontology.model import PREFIXES, expand, model
from ontology.records import CaseRecord

DEFAULT_BASE = "https://w3id.org/iopc-kg/"
IOPC = Namespace(PREFIXES["iopc"])
FORMATS = {  # name -> (rdflib format, media type, file suffix)
    "ttl": ("turtle", "text/turtle", "ttl"),
    "nt": ("nt", "application/n-triples", "nt"),
    "jsonld": ("json-ld", "application/ld+json", "jsonld"),
    "xml": ("xml", "application/rdf+xml", "rdf"),
}
OGL = URIRef("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
SCHEMES = {"Programme": "programmes", "Theme": "themes"}
_ALL_PREFIXES = {**PREFIXES, "rdf": str(RDF), "void": str(VOID)}


class Terms:
    """IRIs of the graph's nodes under a base."""

    def __init__(self, base: str = DEFAULT_BASE):
        self.base = base if base.endswith("/") else base + "/"

    def node(self, kind: str, id: str) -> URIRef:
        return URIRef(f"{self.base}{model[kind].collection}/{quote(id, safe='')}")

    def scheme(self, kind: str) -> URIRef:
        return URIRef(f"{self.base}schemes/{SCHEMES[kind]}")

    @property
    def dataset(self) -> URIRef:
        return URIRef(f"{self.base}dataset")


def bind(g: Graph) -> Graph:
    for prefix, iri in _ALL_PREFIXES.items():
        g.bind(prefix, Namespace(iri), override=True)
    return g


def rows_to_graph(rows: Rows, terms: Terms, g: Graph | None = None) -> Graph:
    """Node and edge rows (graph/rows.py) as triples, property by property from the ontology."""
    g = g if g is not None else bind(Graph())
    for kind, node_rows in rows.nodes.items():
        schema = model[kind]
        cls = URIRef(expand(schema.rdf))
        for row in {r["id"]: r for r in node_rows}.values():
            s = terms.node(kind, row["id"])
            g.add((s, RDF.type, cls))
            label = row.get("name") or row.get("title") or row.get("reference") or row["id"]
            g.add((s, RDFS.label, Literal(label)))
            for name, prop in schema.properties.items():
                if not prop.rdf:
                    continue
                value = row.get(name)
                values = value if prop.many else [value]
                for v in values or []:
                    if v is not None and v != "":
                        g.add((s, URIRef(expand(prop.rdf)), prop.type.rdf(v)))
            if kind in SCHEMES:
                g.add((s, SKOS.inScheme, terms.scheme(kind)))
            if kind == "Force" and row.get("police_uk_id"):
                g.add((s, RDFS.seeAlso, URIRef(f"https://data.police.uk/api/forces/{quote(row['police_uk_id'], safe='')}")))
    for (etype, src_kind, dst_kind), edge_rows in rows.edges.items():
        pred = URIRef(expand(model.edge_by_type[etype].rdf))
        for row in edge_rows:
            g.add((terms.node(src_kind, row["src"]), pred, terms.node(dst_kind, row["dst"])))
    return g


def case_graph(case: CaseRecord, terms: Terms) -> Graph:
    """One case: its recommendations, responses, sources and observations, and the nodes they point to (by IRI)."""
    rows = case_rows(case)
    owned = Rows()
    for kind in ("Case", "Recommendation", "Response", "Source", "Observation"):
        owned.nodes[kind] = rows.nodes.get(kind, [])
    owned.edges = rows.edges
    return rows_to_graph(owned, terms)


def vocabulary_graph(terms: Terms, keep: set[tuple[str, str]] | None = None) -> Graph:
    """Forces, bodies, programmes and themes (all of the gazetteer, or those in `keep`), with the
    SKOS concept schemes programmes and themes belong to."""
    rows = gazetteer_rows()
    if keep is not None:
        rows.nodes = {k: [r for r in v if (k, r["id"]) in keep] for k, v in rows.nodes.items()}
        rows.edges = {k: [r for r in v if (k[1], r["src"]) in keep and (k[2], r["dst"]) in keep] for k, v in rows.edges.items()}
    g = rows_to_graph(rows, terms)
    for kind, name in SCHEMES.items():
        scheme = terms.scheme(kind)
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, SKOS.prefLabel, Literal(f"iopc-kg {name}")))
    return g


def referenced(cases: Iterable[CaseRecord]) -> set[tuple[str, str]]:
    """(kind, id) of the shared nodes the cases point to."""
    out = set()
    for case in cases:
        for kind, node_rows in case_rows(case).nodes.items():
            if kind in ("Force", "Body", "Programme", "Theme"):
                out.update((kind, r["id"]) for r in node_rows)
    return out


def new_nodes(cases: Iterable[CaseRecord], terms: Terms) -> Graph:
    """Shared nodes the records hold but the gazetteer does not (programmes found by pattern)."""
    g = bind(Graph())
    known = {(k, r["id"]) for k, rs in gazetteer_rows().nodes.items() for r in rs}
    rows = Rows()
    for case in cases:
        for kind, node_rows in case_rows(case).nodes.items():
            if kind in ("Force", "Body", "Programme", "Theme"):
                rows.nodes[kind].extend(r for r in node_rows if (kind, r["id"]) not in known)
    return rows_to_graph(rows, terms, g)


def void_graph(terms: Terms, counts: dict[str, int], triples: int | None = None, endpoint: str | None = None) -> Graph:
    """A VoID description of the dataset: size, vocabularies, licence."""
    g = bind(Graph())
    d = terms.dataset
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, DCTERMS.title, Literal("iopc-kg: IOPC learning recommendations and force responses")))
    g.add((d, DCTERMS.description, Literal(
        "Learning recommendations of the Independent Office for Police Conduct to police forces and national bodies "
        "of England and Wales, the published responses, and the programmes, themes and bodies they name.")))
    g.add((d, DCTERMS.license, OGL))
    g.add((d, DCTERMS.rights, Literal("Source pages: IOPC, Open Government Licence v3.0. Synthetic sample pages are marked as such.")))
    g.add((d, VOID.uriSpace, Literal(terms.base)))
    for prefix in ("iopc", "dcterms", "schema", "org", "skos", "prov"):
        g.add((d, VOID.vocabulary, URIRef(PREFIXES[prefix])))
    g.add((d, VOID.entities, Literal(sum(counts.values()), datatype=XSD.integer)))
    if triples is not None:
        g.add((d, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for kind, n in counts.items():
        if kind in model.schemas:
            part = URIRef(f"{terms.base}dataset/{model[kind].key}")
            g.add((d, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(expand(model[kind].rdf))))
            g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    if endpoint:
        g.add((d, VOID.sparqlEndpoint, URIRef(endpoint)))
    return g


# -- streaming serialisations ---------------------------------------------------------------------

def serialise(chunks: Iterable[Graph], fmt: str, context: dict | None = None) -> Iterator[str]:
    """Serialise graphs one after another as one document, without building it whole in memory."""
    if fmt == "nt":
        for g in chunks:
            yield g.serialize(format="nt")
    elif fmt == "ttl":
        yield "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(_ALL_PREFIXES.items())) + "\n"
        for g in chunks:
            yield "".join(line + "\n" for line in g.serialize(format="turtle").splitlines() if not line.startswith("@prefix"))
    elif fmt == "jsonld":
        yield '{"@context": ' + json.dumps(context["@context"]) + ', "@graph": ['
        first = True
        for g in chunks:
            doc = json.loads(g.serialize(format="json-ld", context=context["@context"], auto_compact=True))
            items = doc.get("@graph", [doc] if "@id" in doc else [])
            for item in items:
                item.pop("@context", None)
                yield ("" if first else ",\n") + json.dumps(item, ensure_ascii=False)
                first = False
        yield "]}\n"
    elif fmt == "xml":
        ns = " ".join(f'xmlns:{p}="{iri}"' for p, iri in sorted(_ALL_PREFIXES.items()))
        yield f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF {ns}>\n'
        for g in chunks:
            yield _xml_body(g)
        yield "</rdf:RDF>\n"
    else:
        raise ValueError(f"unknown RDF format {fmt!r}")


def _xml_body(g: Graph) -> str:
    text = bind(Graph()).__iadd__(g).serialize(format="xml")
    start = text.index(">", text.index("<rdf:RDF")) + 1
    end = text.rindex("</rdf:RDF>")
    return text[start:end].strip("\n") + "\n"


__all__ = ["Terms", "FORMATS", "case_graph", "vocabulary_graph", "void_graph", "serialise", "referenced", "new_nodes",
           "OWL", "IOPC"]
