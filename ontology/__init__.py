"""The bottom layer: the ontology (node kinds, relationships, page kinds, sources and gazetteers,
declared once as data), the records every layer passes, the vocabularies, the settings and the
exceptions. Imports no other package of the project; every other package may import it."""

from ontology.model import Edge, Model, Property, Schema, model

__all__ = ["Edge", "Model", "Property", "Schema", "model"]
