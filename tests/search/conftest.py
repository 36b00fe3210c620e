"""Fixtures of the search tests.

- `engine` (module): a real Whoosh index of the parsed samples in a temporary directory, and the
  engine over it. Modules that need another index define their own `engine`.
"""

from __future__ import annotations

import pytest

from search.index import SearchIndex
from search.query import Engine


@pytest.fixture(scope="module")
def engine(_parsed_samples, tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("index"))
    ix.update(_parsed_samples.cases)
    yield Engine(ix)
    ix.close()
