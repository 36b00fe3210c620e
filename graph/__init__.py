"""The knowledge graph: one GraphStore interface (store.py, questions.py, shapes.py) over an embedded
LadybugDB store and a Neo4j store, the merge keys (keys.py), RDF and SPARQL (rdf.py, export.py,
sparql.py, view.py) and the gate for untrusted queries (sandbox/). May import `ontology` only."""
