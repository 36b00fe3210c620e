"""Loads the ontology from `schema/*.yaml`; every other package reads node kinds and edges from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import metadata
from pathlib import Path

import yaml

from ontology.exc import InvalidData, InvalidModel
from ontology.types import ONTOLOGY_NS, TYPES, PropertyType

SCHEMA_DIR = Path(__file__).parent / "schema"

# Prefixes used by `rdf:` terms in the schema files. The iopc namespace is the ontology's own.
PREFIXES = {
    "iopc": ONTOLOGY_NS,
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def release() -> str:
    """The release of iopc-kg, and so of its ontology and of the data it writes (pyproject.toml)."""
    try:
        return metadata.version("iopc-kg")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0.0.0"


def ontology_version_iri() -> str:
    """owl:versionIRI of this release of the ontology: https://w3id.org/iopc-kg/ontology/0.2.0."""
    return f"{PREFIXES['iopc'].rstrip('#')}/{release()}"


def expand(curie: str | None) -> str | None:
    """Expand `prefix:local` to a full IRI; raises InvalidModel for an unknown prefix."""
    if curie is None:
        return None
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise InvalidModel(f"Unknown RDF prefix {prefix!r} in {curie!r}")
    return PREFIXES[prefix] + local


@dataclass(frozen=True)
class Property:
    name: str
    type: PropertyType
    label: str
    rdf: str | None = None
    many: bool = False
    search: str | None = None
    description: str | None = None
    lang: str | None = None  # language tag of the RDF literal (`en`): natural-language text
    required: bool = False  # the SHACL shapes want at least one value
    min: int | None = None  # least value of an integer (SHACL sh:minInclusive)
    internal: bool = False  # kept by the store for its own use, never shown as a node's property


@dataclass
class Schema:
    """A node kind (Case, Recommendation, Force ...)."""

    name: str
    label: str
    plural: str
    description: str
    rdf: str
    id_pattern: str
    broader: list[str] = field(default_factory=list)
    properties: dict[str, Property] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Lower-case name used in URLs and node keys (`force`, `recommendation`)."""
        return self.name.lower()

    @property
    def collection(self) -> str:
        """The path segment of the kind's resources, in the API and in IRIs (`forces`, `bodies`)."""
        return "bodies" if self.key == "body" else f"{self.key}s"

    def validate(self, record: dict) -> dict:
        """Return the record with every property cleaned; collect all errors into one InvalidData."""
        errors: dict[str, str] = {}
        cleaned: dict = {}
        if not record.get("id") or not isinstance(record.get("id"), str):
            errors["id"] = "missing or not a string"
        else:
            cleaned["id"] = record["id"]
        for key in record:
            if key != "id" and key not in self.properties:
                errors[key] = f"not a property of {self.name}"
        for name, prop in self.properties.items():
            raw = record.get(name)
            if raw is None:
                cleaned[name] = [] if prop.many else None
                continue
            if prop.many:
                if not isinstance(raw, (list, tuple)):
                    errors[name] = "expected a list"
                    continue
                values = [prop.type.clean(v) for v in raw]
                if any(v is None for v in values):
                    errors[name] = f"has a value that is not a valid {prop.type.name}"
                cleaned[name] = [v for v in values if v is not None]
            else:
                value = prop.type.clean(raw)
                if value is None:
                    errors[name] = f"{raw!r} is not a valid {prop.type.name}"
                cleaned[name] = value
        if errors:
            raise InvalidData(f"Invalid {self.name} {record.get('id')!r}", errors=errors)
        return cleaned


@dataclass
class Edge:
    """A relationship type between node kinds."""

    name: str
    type: str
    source: list[str]
    target: list[str]
    label: str
    rdf: str
    description: str
    properties: dict[str, Property] = field(default_factory=dict)
    search: str | None = None  # facet field holding the ids of the targets
    required: bool = False  # every source node has at least one (SHACL sh:minCount 1)
    single: bool = False  # no source node has more than one (SHACL sh:maxCount 1)

    def pairs(self) -> list[tuple[str, str]]:
        return [(s, t) for s in self.source for t in self.target]


class Model:
    """The whole ontology: node kinds by name and edges by name."""

    def __init__(self, schemas: dict[str, Schema], edges: dict[str, Edge]):
        self.schemas = schemas
        self.edges = edges
        self._check()

    @classmethod
    def load(cls, directory: Path = SCHEMA_DIR) -> "Model":
        schemas: dict[str, Schema] = {}
        for path in sorted(directory.glob("*.yaml")):
            if path.name == "edges.yaml":
                continue
            data = _yaml(path) or {}
            for name, spec in data.items():
                schemas[name] = _schema(name, spec, path)
        edges_data = _yaml(directory / "edges.yaml") or {}
        edges = {name: _edge(name, spec) for name, spec in edges_data.items()}
        return cls(schemas, edges)

    def _check(self) -> None:
        for name, schema in self.schemas.items():
            if not _NAME.match(name):
                raise InvalidModel(f"Node kind name {name!r} is not a plain identifier")
            if not schema.description:
                raise InvalidModel(f"Node kind {name} has no description")
        for name, edge in self.edges.items():
            if not re.match(r"^[A-Z][A-Z_]*$", edge.type):
                raise InvalidModel(f"Edge {name}: type {edge.type!r} must be UPPER_SNAKE")
            for kind in edge.source + edge.target:
                if kind not in self.schemas:
                    raise InvalidModel(f"Edge {name} names unknown node kind {kind!r}")

    def __getitem__(self, name: str) -> Schema:
        return self.schemas[name]

    def kind_for_key(self, key: str) -> Schema:
        """The node kind whose lower-case key is `key` (`force` -> Force)."""
        for schema in self.schemas.values():
            if schema.key == key.lower():
                return schema
        raise KeyError(key)

    @cached_property
    def edge_by_type(self) -> dict[str, Edge]:
        return {e.type: e for e in self.edges.values()}

    @cached_property
    def search_fields(self) -> dict[str, tuple[Schema, Property]]:
        """Search field name -> the property it indexes (from `search:` in the schema files)."""
        out = {}
        for schema in self.schemas.values():
            for prop in schema.properties.values():
                if prop.search:
                    out[prop.search] = (schema, prop)
        return out

    @cached_property
    def internal_properties(self) -> frozenset[str]:
        """Names of the properties marked `internal` (the case record, the copies on Force nodes)."""
        return frozenset(p.name for s in self.schemas.values() for p in s.properties.values() if p.internal)

    @cached_property
    def search_relations(self) -> dict[str, Edge]:
        """Search field name -> the edge whose targets' ids it holds (from `search:` in edges.yaml)."""
        return {e.search: e for e in self.edges.values() if e.search}


def _property(name: str, spec: dict, where: str) -> Property:
    type_name = spec.get("type", "string")
    if type_name not in TYPES:
        raise InvalidModel(f"Unknown type {type_name!r} for {where}.{name}")
    return Property(
        name=name,
        type=TYPES[type_name],
        label=spec.get("label", name.replace("_", " ").capitalize()),
        rdf=spec.get("rdf"),
        many=bool(spec.get("many", False)),
        search=spec.get("search"),
        description=spec.get("description"),
        lang=spec.get("lang"),
        required=bool(spec.get("required", False)),
        min=spec.get("min"),
        internal=bool(spec.get("internal", False)),
    )


def _schema(name: str, spec: dict, path: Path) -> Schema:
    try:
        props = {p: _property(p, s or {}, name) for p, s in (spec.get("properties") or {}).items()}
        return Schema(
            name=name,
            label=spec["label"],
            plural=spec["plural"],
            description=spec.get("description", ""),
            rdf=spec["rdf"],
            id_pattern=spec.get("id_pattern", ""),
            broader=list(spec.get("broader") or []),
            properties=props,
        )
    except KeyError as e:
        raise InvalidModel(f"Node kind {name} in {path.name} lacks {e.args[0]!r}") from None


def _edge(name: str, spec: dict) -> Edge:
    def as_list(v):
        return list(v) if isinstance(v, list) else [v]

    try:
        return Edge(
            name=name,
            type=spec["type"],
            source=as_list(spec["source"]),
            target=as_list(spec["target"]),
            label=spec.get("label", name),
            rdf=spec["rdf"],
            description=spec.get("description", ""),
            properties={p: _property(p, s or {}, name) for p, s in (spec.get("properties") or {}).items()},
            search=spec.get("search"),
            required=bool(spec.get("required", False)),
            single=bool(spec.get("single", False)),
        )
    except KeyError as e:
        raise InvalidModel(f"Edge {name} in edges.yaml lacks {e.args[0]!r}") from None


def _yaml(path: Path):
    """A schema file, read with libyaml's safe loader where PyYAML has it (as the gazetteers are): the
    model is loaded by every command, and the pure-Python parser took a fifth of a search's start."""
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=1)
def _default() -> Model:
    return Model.load()


def __getattr__(name):
    # `from ontology.model import model` loads the YAML once, on first use.
    if name == "model":
        return _default()
    raise AttributeError(name)
