"""The iopc-kg ontology: node kinds, relationships and gazetteers, declared once as data."""

from ontology.model import Edge, Model, Property, Schema, model

__all__ = ["Edge", "Model", "Property", "Schema", "model"]
