"""Crawler tests: the fixture site is tests/crawl/site.py; the store tests reuse the graph store
fixture (`empty_store`, over every store) from tests/graph/conftest.py."""

from tests.graph.conftest import empty_store  # noqa: F401
