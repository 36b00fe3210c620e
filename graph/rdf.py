"""The RDF view of the graph: the same node and edge rows the stores write, as triples.

Every term comes from the ontology's `rdf:` keys (W3C ORG, SKOS, Dublin Core terms, PROV-O,
schema.org, and iopc: for the rest), so RDF, Neo4j and LadybugDB are three renderings of one model.
IRIs are `{base}{kind plural}/{id}` (https://w3id.org/iopc-kg/forces/essex): stable, built from the
ontology's ids, never from row numbers. Serialisations stream case by case.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, VOID, XSD

from graph.rows import Rows, case_rows, gazetteer_rows
from ontology.gazetteer import gazetteer
from ontology.model import PREFIXES, expand, model, release
from ontology.model import ontology_version_iri as _ontology_version_iri
from ontology.records import CaseRecord
from ontology.types import STATUS_LABELS, DateType
from ontology.vocabulary import DATA_PREFIXES, DCAT, IOPC, OGL, PROV, bind

DEFAULT_BASE = "https://w3id.org/iopc-kg/"
FORMATS = {  # name -> (rdflib format, media type, file suffix)
    "ttl": ("turtle", "text/turtle", "ttl"),
    "nt": ("nt", "application/n-triples", "nt"),
    "jsonld": ("json-ld", "application/ld+json", "jsonld"),
    "xml": ("xml", "application/rdf+xml", "rdf"),
}
SCHEMES = {"Programme": "programmes", "Theme": "themes"}
STATUS_SCHEME = IOPC["statuses"]
LANG = "en"


def version() -> str:
    return release()


def ontology_version_iri() -> URIRef:
    return URIRef(_ontology_version_iri())


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

    def partition(self, kind: str) -> URIRef:
        return URIRef(f"{self.base}dataset/{model[kind].key}")


def _label(kind: str, row: dict) -> str:
    """rdfs:label of a node: its name or title; a recommendation or response says whose it is."""
    if kind == "Recommendation":
        where = row.get("reference") or row.get("case_id") or row["id"]
        return f"Recommendation {row.get('position') or ''} of {where}".replace("  ", " ")
    if kind == "Response":
        return f"Response to recommendation {row['id'].removesuffix('-response')}"
    if kind == "Source":
        return row.get("url") or row.get("path") or row["id"]
    return row.get("name") or row.get("title") or row.get("reference") or row["id"]


def _literal(prop, value):
    return Literal(value, lang=prop.lang) if prop.lang else prop.type.rdf(value)


def rows_to_graph(rows: Rows, terms: Terms, g: Graph | None = None) -> Graph:
    """Node and edge rows (graph/rows.py) as triples, property by property from the ontology.

    Every node is typed with its standard class (org:Organization, skos:Concept, prov:Entity, from
    the schema's `broader`) as well as ours, so `?x a org:Organization` finds forces without any
    reasoning. Natural-language literals carry their language tag."""
    g = g if g is not None else bind(Graph())
    gaz = gazetteer()
    for kind, node_rows in rows.nodes.items():
        schema = model[kind]
        classes = [URIRef(expand(c)) for c in (schema.rdf, *schema.broader)]
        for row in {r["id"]: r for r in node_rows}.values():
            s = terms.node(kind, row["id"])
            for cls in classes:
                g.add((s, RDF.type, cls))
            g.add((s, RDFS.label, Literal(_label(kind, row), lang=LANG)))
            for name, prop in schema.properties.items():
                if not prop.rdf:
                    continue
                value = row.get(name)
                values = value if prop.many else [value]
                for v in values or []:
                    if v is None or v == "":
                        continue
                    if prop.rdf == "skos:altLabel" and v == row.get("name"):
                        continue  # SKOS S13: a prefLabel is never also an altLabel
                    obj = terms.node(kind, v) if prop.type.name == "case_id" else _literal(prop, v)
                    g.add((s, URIRef(expand(prop.rdf)), obj))
            if kind in SCHEMES:
                g.add((s, SKOS.inScheme, terms.scheme(kind)))
            if kind == "Force":
                if row.get("police_uk_id"):
                    g.add((s, RDFS.seeAlso, URIRef(f"https://data.police.uk/api/forces/{quote(row['police_uk_id'], safe='')}")))
                entry = gaz.get("Force", row["id"])
                if entry is not None and entry.extra.get("ons_pfa"):  # forces.yaml cites where each code was found
                    g.add((s, IOPC.onsPoliceForceArea, Literal(entry.extra["ons_pfa"])))
    for (etype, src_kind, dst_kind), edge_rows in rows.edges.items():
        pred = URIRef(expand(model.edge_by_type[etype].rdf))
        for row in edge_rows:
            g.add((terms.node(src_kind, row["src"]), pred, terms.node(dst_kind, row["dst"])))
    return g


def case_graph(case: CaseRecord, terms: Terms, seen: set | None = None) -> Graph:
    """One case: its recommendations, responses, sources and observations, and the nodes they point to (by IRI).

    Recommendations and responses are derived from the case's pages as much as the case is
    (`prov:wasDerivedFrom`). A source page already in `seen` (shared by an earlier case) is not
    described again, so a streamed export never repeats a triple."""
    rows = case_rows(case)
    owned = Rows()
    for kind in ("Case", "Recommendation", "Response", "Source", "Observation"):
        owned.nodes[kind] = rows.nodes.get(kind, [])
    if seen is not None:
        owned.nodes["Source"] = [r for r in owned.nodes["Source"] if ("Source", r["id"]) not in seen]
        seen.update(("Source", r["id"]) for r in owned.nodes["Source"])
    owned.edges = rows.edges
    g = rows_to_graph(owned, terms)
    pages = [terms.node("Source", s.id) for s in case.sources]
    for kind in ("Recommendation", "Response"):
        for row in owned.nodes[kind]:
            for page in pages:
                g.add((terms.node(kind, row["id"]), PROV.wasDerivedFrom, page))
    return g


def status_graph() -> Graph:
    """The closed list of statuses as a SKOS concept scheme (the same terms the ontology publishes)."""
    g = bind(Graph())
    g.add((STATUS_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((STATUS_SCHEME, RDFS.label, Literal("Response statuses", lang=LANG)))
    g.add((STATUS_SCHEME, SKOS.prefLabel, Literal("Response statuses", lang=LANG)))
    for value, label in STATUS_LABELS.items():
        c = IOPC[value]
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, RDFS.label, Literal(label, lang=LANG)))
        g.add((c, SKOS.prefLabel, Literal(label, lang=LANG)))
        g.add((c, SKOS.notation, Literal(value)))
        g.add((c, SKOS.inScheme, STATUS_SCHEME))
        g.add((c, SKOS.topConceptOf, STATUS_SCHEME))
        g.add((STATUS_SCHEME, SKOS.hasTopConcept, c))
    return g


def scheme_graph(terms: Terms, kind: str) -> Graph:
    g = bind(Graph())
    scheme = terms.scheme(kind)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, RDFS.label, Literal(f"iopc-kg {SCHEMES[kind]}", lang=LANG)))
    g.add((scheme, SKOS.prefLabel, Literal(f"iopc-kg {SCHEMES[kind]}", lang=LANG)))
    return g


def vocabulary_graph(terms: Terms, keep: set[tuple[str, str]] | None = None) -> Graph:
    """Forces, bodies, programmes and themes (all of the gazetteer, or those in `keep`), with the
    SKOS concept schemes programmes, themes and statuses belong to."""
    rows = gazetteer_rows()
    if keep is not None:
        rows.nodes = {k: [r for r in v if (k, r["id"]) in keep] for k, v in rows.nodes.items()}
        rows.edges = {k: [r for r in v if (k[1], r["src"]) in keep and (k[2], r["dst"]) in keep] for k, v in rows.edges.items()}
    g = rows_to_graph(rows, terms)
    for kind in SCHEMES:
        g += scheme_graph(terms, kind)
    g += status_graph()
    return g


def node_graph(kind: str, id: str, terms: Terms, stored: dict | None = None) -> Graph:
    """A shared node (force, body, programme, theme) as the export describes it: from the gazetteer,
    with its `uses` and `memberOf` links, or from the store (`stored`) for one found by pattern."""
    rows = gazetteer_rows()
    if any(r["id"] == id for r in rows.nodes.get(kind, [])):
        rows.nodes = {kind: [r for r in rows.nodes[kind] if r["id"] == id]}
        rows.edges = {k: [r for r in v if r["src"] == id] for k, v in rows.edges.items() if k[1] == kind}
    else:
        rows = Rows()
        if stored is not None:
            rows.node(kind, **{k: v for k, v in stored.items() if k in model[kind].properties or k == "id"})
    return rows_to_graph(rows, terms)


def referenced(cases: Iterable[CaseRecord]) -> set[tuple[str, str]]:
    """(kind, id) of the shared nodes the cases point to."""
    out = set()
    for case in cases:
        for kind, node_rows in case_rows(case).nodes.items():
            if kind in ("Force", "Body", "Programme", "Theme"):
                out.update((kind, r["id"]) for r in node_rows)
    return out


def new_nodes(cases: Iterable[CaseRecord], terms: Terms, seen: set | None = None) -> Graph:
    """Shared nodes the records hold but the gazetteer does not (programmes found by pattern); those
    in `seen` were written already."""
    g = bind(Graph())
    known = {(k, r["id"]) for k, rs in gazetteer_rows().nodes.items() for r in rs}
    if seen is not None:
        known |= seen
    rows = Rows()
    for case in cases:
        for kind, node_rows in case_rows(case).nodes.items():
            if kind in ("Force", "Body", "Programme", "Theme"):
                rows.nodes[kind].extend(r for r in node_rows if (kind, r["id"]) not in known)
    if seen is not None:
        seen.update((k, r["id"]) for k, rs in rows.nodes.items() for r in rs)
    return rows_to_graph(rows, terms, g)


@dataclass
class Tally:
    """What VoID says about the size of the data: counted while the chunks stream past."""

    triples: int = 0
    subjects: set = field(default_factory=set)
    properties: set = field(default_factory=set)
    classes: Counter = field(default_factory=Counter)

    def add(self, g: Graph) -> Graph:
        self.triples += len(g)
        for s, p, o in g:
            self.subjects.add(s)
            self.properties.add(p)
            if p == RDF.type:
                self.classes[o] += 1
        return g


def dataset_graph(terms: Terms, tally: Tally, root: str, issued: str | None = None) -> Graph:
    """The dataset described in DCAT and VoID: size, partitions per class, vocabularies, licence,
    version and date, the SPARQL endpoint and the dumps. `root` is where the service answers (the
    public base in an export, the server's own address when the server answers)."""
    g = bind(Graph())
    d = terms.dataset
    root = root if root.endswith("/") else root + "/"
    issued = issued or date.today().isoformat()
    for cls in (VOID.Dataset, DCAT.Dataset, PROV.Entity):
        g.add((d, RDF.type, cls))
    title = "iopc-kg: IOPC learning recommendations and force responses"
    g.add((d, RDFS.label, Literal(title, lang=LANG)))
    g.add((d, DCTERMS.title, Literal(title, lang=LANG)))
    g.add((d, DCTERMS.description, Literal(
        "Learning recommendations of the Independent Office for Police Conduct to police forces and national bodies "
        "of England and Wales, the published responses, and the programmes, themes and bodies they name.", lang=LANG)))
    g.add((d, DCTERMS.license, OGL))
    g.add((d, DCTERMS.rights, Literal("Source pages: IOPC, Open Government Licence v3.0. Synthetic sample pages are marked as such.", lang=LANG)))
    g.add((d, DCTERMS.issued, DateType().rdf(issued)))
    g.add((d, DCAT.version, Literal(version())))
    g.add((d, DCTERMS.conformsTo, ontology_version_iri()))
    g.add((d, VOID.uriSpace, Literal(terms.base)))
    for prefix in ("iopc", "dcterms", "schema", "org", "skos", "prov"):
        g.add((d, VOID.vocabulary, URIRef(PREFIXES[prefix])))
    sizes = (VOID.triples, VOID.distinctSubjects, VOID.properties, VOID.classes)
    for prop in sizes:  # placeholders: the sizes count this description too, so they are set last
        g.add((d, prop, Literal(0, datatype=XSD.integer)))
    g.add((d, VOID.entities, Literal(sum(tally.classes[URIRef(expand(s.rdf))] for s in model.schemas.values()), datatype=XSD.integer)))
    for schema in model.schemas.values():
        part = terms.partition(schema.name)
        g.add((d, VOID.classPartition, part))
        g.add((part, RDF.type, VOID.Dataset))
        g.add((part, RDFS.label, Literal(f"{schema.plural} in iopc-kg", lang=LANG)))
        g.add((part, VOID["class"], URIRef(expand(schema.rdf))))
        g.add((part, VOID.entities, Literal(tally.classes[URIRef(expand(schema.rdf))], datatype=XSD.integer)))
    g.add((d, VOID.sparqlEndpoint, URIRef(root + "sparql")))
    name = f"iopc-kg-{version()}-{issued}"
    for fmt, (_, media, suffix) in FORMATS.items():
        dump = URIRef(f"{root}export?format={fmt}")
        g.add((d, VOID.dataDump, dump))
        g.add((d, DCAT.distribution, dump))
        g.add((dump, RDF.type, DCAT.Distribution))
        g.add((dump, DCTERMS.title, Literal(f"{name}.{suffix}", lang=LANG)))
        g.add((dump, DCAT.accessURL, dump))  # DCAT-AP 3: every distribution has an access URL
        g.add((dump, DCAT.downloadURL, dump))
        g.add((dump, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
        g.add((dump, DCTERMS.issued, DateType().rdf(issued)))
        g.add((dump, DCTERMS.license, OGL))
    # The sizes are those of the dump this description ends: the data and the description itself.
    own = Tally()
    own.add(g)
    whole = {VOID.triples: tally.triples + own.triples, VOID.distinctSubjects: len(tally.subjects | own.subjects),
             VOID.properties: len(tally.properties | own.properties), VOID.classes: len(set(tally.classes) | set(own.classes))}
    for prop, value in whole.items():
        g.set((d, prop, Literal(value, datatype=XSD.integer)))
    return g


# -- streaming serialisations ---------------------------------------------------------------------

def serialise(chunks: Iterable[Graph], fmt: str, context: dict | None = None) -> Iterator[str]:
    """Serialise graphs one after another as one document, without building it whole in memory."""
    if fmt == "nt":
        for g in chunks:
            yield g.serialize(format="nt")
    elif fmt == "ttl":
        yield "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in sorted(DATA_PREFIXES.items())) + "\n"
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
        ns = " ".join(f'xmlns:{p}="{iri}"' for p, iri in sorted(DATA_PREFIXES.items()))
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


__all__ = ["Terms", "FORMATS", "Tally", "case_graph", "vocabulary_graph", "node_graph", "dataset_graph", "status_graph",
           "scheme_graph", "serialise", "referenced", "new_nodes", "OWL", "IOPC", "DCAT", "PROV"]
