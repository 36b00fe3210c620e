"""Full-text search over recommendations and responses (Whoosh): the index (index.py), the query
language and ranking (query.py, reading.py, fastmatch.py), facets (facets.py), snippets, similarity
and the limits every search runs under (limits.py). May import `ontology` only."""
