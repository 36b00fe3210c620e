"""Neo4j returns the rows of the store's own queries collected into one record once a query's
columns are known (Neo4jStore._read). An answer too large to collect under the server's
per-transaction memory cap (the tests' server: 256 MiB) must still come back, streamed."""

from __future__ import annotations

import pytest

from tests.graph.conftest import make_store


@pytest.fixture
def neo4j_store(request, tmp_path):
    store = make_store("neo4j", tmp_path, request)
    yield store
    store.close()


@pytest.mark.parametrize("kind", ["neo4j"])  # LadybugDB returns rows as they come; the summary counts this on Neo4j
def test_an_answer_past_the_memory_cap_is_streamed(neo4j_store, kind):
    query = "UNWIND range(1, $n) AS x RETURN x AS n, $big + toString(x) AS s"
    params = {"n": 3000, "big": "a" * 100_000}  # 300 MB as one value
    for _ in range(3):  # the first streams, the second tries the collected form and falls back, the third streams
        rows = neo4j_store._read(query, params)
        assert len(rows) == 3000 and rows[-1]["n"] == 3000 and rows[-1]["s"].endswith("3000")
    assert query in neo4j_store._streamed
    small = "UNWIND range(1, 5) AS x RETURN x AS n ORDER BY n DESC"
    assert [r["n"] for r in neo4j_store._read(small)] == [r["n"] for r in neo4j_store._read(small)] == [5, 4, 3, 2, 1]
    assert small not in neo4j_store._streamed
