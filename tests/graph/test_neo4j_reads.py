"""Neo4j returns the rows of the store's own queries collected into one record once a query's
columns are known (Neo4jStore._read). The collected form must answer as the query would, in order;
where it cannot (a column a subquery will not take, an answer too large to hold as one value under
the server's per-transaction memory cap), the query must still answer, streamed."""

from __future__ import annotations

import re

import pytest

from tests.graph.conftest import make_store

# LadybugDB returns rows as they come: these run on Neo4j only (and the summary counts them there).
pytestmark = pytest.mark.parametrize("kind", ["neo4j"])


@pytest.fixture
def neo4j_store(request, tmp_path):
    store = make_store("neo4j", tmp_path, request)
    yield store
    store.close()


def test_collected_rows_keep_their_order(neo4j_store, kind):
    query = "UNWIND range(1, $n) AS x RETURN x AS n, 'r' + toString(x) AS s ORDER BY x DESC"
    first, second = (neo4j_store._read(query, {"n": 20_000}) for _ in range(2))
    assert first == second and [r["n"] for r in second] == list(range(20_000, 0, -1))
    assert query not in neo4j_store._streamed  # the second came collected


def test_a_column_a_subquery_will_not_take_still_answers(neo4j_store, kind):
    # Neo4j refuses an unaliased expression inside CALL { }: the query answers streamed instead.
    query = "UNWIND range(1, 3) AS x RETURN count(*), max(x) + 1"
    assert [neo4j_store._read(query) for _ in range(3)] == [[{"count(*)": 3, "max(x) + 1": 4}]] * 3
    assert query in neo4j_store._streamed


def test_an_answer_past_the_memory_cap_is_streamed(neo4j_store, kind):
    cap = neo4j_store._read("SHOW SETTINGS YIELD name, value WHERE name = 'db.memory.transaction.max' RETURN value")
    value = cap[0]["value"] if cap else "0"  # "256.00Mi", "1.00Gi", "0B"
    number = re.match(r"[\d.]+", value)
    unit = value[number.end():].strip().lower()[:1] if number else ""
    mib = float(number[0]) * {"k": 1 / 1024, "m": 1, "g": 1024}.get(unit, 1 / 2**20) if number else 0
    if not 0 < mib <= 1024:
        pytest.skip(f"the server's per-transaction memory cap is {value!r}: the tests' own server sets 256m")
    query = "UNWIND range(1, $n) AS x RETURN x AS n, $big + toString(x) AS s"
    params = {"n": int(mib * 1.2) + 10, "big": "a" * 2**20}  # about 1.2 times the cap, as one value
    for _ in range(2):  # the first streams; the second tries the collected form, falls back, and answers
        rows = neo4j_store._read(query, params)
        assert len(rows) == params["n"] and rows[-1]["n"] == params["n"] and rows[-1]["s"].endswith(str(params["n"]))
    assert query in neo4j_store._streamed  # and stays streamed
