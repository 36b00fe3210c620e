"""Schemathesis runs the OpenAPI schema against the app: no 5xx, every response matches its schema.

Examples per operation are few (CI time); in CI (CI=true) the examples are derandomised, the same on
every run, so what a newcomer's random run finds is found in CI too. Every class of example the
fuzzer has found is pinned below as explicit examples that run on every store: huge and negative
integers, extreme floats and odd strings in every query parameter of every GET route, and the
co-occurrence `min_count` that answered 500 (a count past 64 bits). The app serves the sample corpus
from a real store and index.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from tests.conftest import IN_CI
from schemathesis.specs.openapi.checks import positive_data_acceptance
from ontology.settings import Settings

# The schema comes from the app itself; the app's services are attached in the fixture below, before
# any call is made (schemathesis loads the schema at import, when no store is open yet).
# Schemathesis's ASGI client sends `Host: testserver`, which the trusted-hosts check would refuse.
# A placeholder until then: the app's start leaves services it is given alone, so reading the schema
# does not open the configured data directory (it did: a second store and its query workers ran
# beside the test's, in the checkout's data/, and cold workers made the fuzzer's requests time out).
_app = create_app(Settings(_env_file=None, trusted_hosts=["testserver", "127.0.0.1", "localhost"]))
_app.state.services = "not attached yet"
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)


@pytest.fixture(scope="module", autouse=True)
def _attach(services):
    _app.state.services = services
    # The sandbox's first query waits for its worker to start and (SPARQL) for the graph's view, which
    # on a busy machine can pass the fuzzer's 10 s request timeout; the server warms them at its start.
    services.sandbox.cypher("RETURN 1 AS one")
    services.sandbox.sparql("ASK { ?s ?p ?o }")
    yield


DATE_ROUTES = {path for path, ops in _app.openapi()["paths"].items()
               if any(p["name"] in ("on", "since") for p in ops.get("get", {}).get("parameters", []))}


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=IN_CI)
def test_api_conforms_to_its_schema(case):
    # A schema-valid Cypher or SPARQL string is usually not a valid query: that 400 is the right answer, so the
    # "valid data is accepted" check does not apply to that route. Nor to search's filters: any string is
    # schema-valid (the vocabulary of forces, bodies, programmes and themes is data, not schema), and a value
    # that names nothing is a 422 saying so (issue 19). Every other check applies.
    # Nor to a date in any usual spelling (`on`, `since`): no schema pattern says which strings are dates,
    # so the parameter is a string and a string that names no day is a 422 saying which spellings are read.
    excluded = [positive_data_acceptance] if case.path in ("/query/cypher", "/sparql", "/search", "/export/search") \
        or case.path in DATE_ROUTES else []
    case.call_and_validate(excluded_checks=excluded)


# -- pinned examples ---------------------------------------------------------------------------------

HUGE_INTEGERS = [2**31, 2**63, 2**64, 10**30, -(2**63) - 1, 0, -1]
ODD_NUMBERS = ["1e308", "-1e308", "nan", "inf", "-inf", "0"]
ODD_STRINGS = ["", "\x00", "%", "'\"", "\u00e9" * 300, "\ud7ff", "NOT", "force:", "[2020 TO"]


def _query_parameters():
    """(path, name, values) for every query parameter of every GET route without path parameters."""
    for path, ops in _app.openapi()["paths"].items():
        op = ops.get("get")
        if not op or "{" in path:
            continue
        for p in op.get("parameters", []):
            if p["in"] != "query":
                continue
            schema_ = p["schema"]
            kinds = {s.get("type") for s in schema_.get("anyOf", [schema_])}
            if schema_.get("type") == "array":
                kinds.add(schema_["items"].get("type"))
            values = (HUGE_INTEGERS if "integer" in kinds else []) + (ODD_NUMBERS if "number" in kinds else []) \
                + (ODD_STRINGS if "string" in kinds else [])
            if values:
                yield path, p["name"], values


def test_no_query_parameter_value_answers_5xx(client):
    tried = 0
    for path, name, values in _query_parameters():
        for value in values:
            r = client.get(path, params={name: value})
            assert r.status_code < 500, (path, name, value, r.text[:300])
            tried += 1
    assert tried > 300


@pytest.mark.parametrize("min_count, expected", [(2**63, 422), (10**30, 422), (2**64, 422), (10_000_000, 200), (2**31, 422)])
def test_cooccurrence_with_a_huge_min_count_is_an_answer_not_a_500(client, min_count, expected):
    r = client.get("/patterns/cooccurrence", params={"min_count": min_count})
    assert r.status_code == expected, r.text
    if expected == 200:
        assert r.json() == []
    else:
        assert "min_count" in r.text
