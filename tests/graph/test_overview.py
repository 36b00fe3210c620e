"""The graph overview (forces linked to what their recommendations reach, weighted by counts) on
each store, checked against counts made in plain Python from the sample records."""

from __future__ import annotations

from collections import Counter

import pytest

from ontology.exc import QueryRefused
from tests import oracle


def expected_weights(cases, kinds=("programme", "theme", "addressed_to")) -> dict:
    """(force key, target key, relation kind) -> recommendations, from the records alone."""
    return {k: n for k, n in oracle.overview_weights(cases).items() if k[2] in kinds}


def test_overview_weights_edges_by_recommendations(store, sample_cases):
    answer = store.overview(("programme", "theme", "addressed_to"), min_weight=1, max_edges=10_000)
    got = {(e["source"], e["target"], e["type"]): e["weight"] for e in answer["edges"]}
    assert got == expected_weights(sample_cases)
    assert not answer["truncated"] and answer["total_edges"] == len(got)
    # Every node has a name, and every edge's ends are among the nodes.
    keys = {n["key"] for n in answer["nodes"]}
    assert all(n["name"] for n in answer["nodes"])
    assert {e["source"] for e in answer["edges"]} | {e["target"] for e in answer["edges"]} == keys
    athena = next(e for e in answer["edges"] if e["target"] == "programme:athena")
    assert athena["relation"] == "mentions"


def test_overview_says_what_it_left_out(store, sample_cases):
    everything = store.overview(("programme", "theme"), max_edges=10_000)
    few = store.overview(("programme", "theme"), max_edges=3)
    assert len(few["edges"]) == 3 and few["truncated"]
    assert few["total_edges"] == everything["total_edges"] > 3
    assert few["total_nodes"] == len(everything["nodes"])
    # The heaviest edges are the ones kept.
    assert [e["weight"] for e in few["edges"]] == [e["weight"] for e in everything["edges"][:3]]


def test_overview_filters_by_kind_and_weight(store, sample_cases):
    only_themes = store.overview(("theme",), max_edges=10_000)
    assert {e["type"] for e in only_themes["edges"]} == {"theme"}
    assert {n["label"] for n in only_themes["nodes"]} == {"Force", "Theme"}
    heavy = store.overview(("programme", "theme"), min_weight=2, max_edges=10_000)
    assert heavy["edges"] and all(e["weight"] >= 2 for e in heavy["edges"])
    expected = {k: v for k, v in expected_weights(sample_cases).items() if k[2] != "addressed_to" and v >= 2}
    assert {(e["source"], e["target"], e["type"]): e["weight"] for e in heavy["edges"]} == expected


def test_overview_gazetteer_edges(store):
    answer = store.overview(("uses", "member_of"), max_edges=10_000)
    edges = {(e["source"], e["target"]) for e in answer["edges"]}
    assert ("force:essex", "programme:athena") in edges
    assert all(e["weight"] == 1 for e in answer["edges"])


def test_overview_refuses_unknown_kinds(store):
    with pytest.raises(QueryRefused, match="kinds"):
        store.overview(("programme", "cheese"))
