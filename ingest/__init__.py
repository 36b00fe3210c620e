"""Turns recommendation pages (text, HTML, our JSON) into case records of the ontology."""
