"""The knowledge graph: one GraphStore interface, an embedded LadybugDB store and a Neo4j store."""
