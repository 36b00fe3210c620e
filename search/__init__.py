"""Full-text search over recommendations and responses (Whoosh); built in the search issue."""
