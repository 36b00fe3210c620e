"""The ontology's data files are complete and consistent."""

from ontology.gazetteer import gazetteer
from ontology.model import model


def test_every_kind_and_edge_is_described_and_has_an_rdf_term():
    for schema in model.schemas.values():
        assert schema.description and schema.rdf and schema.id_pattern
        for prop in schema.properties.values():
            assert prop.label
    for edge in model.edges.values():
        assert edge.description and edge.rdf


def test_required_node_kinds():
    assert set(model.schemas) == {"Case", "Recommendation", "Response", "Force", "Body", "Programme", "Theme", "Source", "Observation"}


def test_gazetteer_sizes():
    g = gazetteer()
    territorial = [f for f in g.forces if f.extra["kind"] == "territorial"]
    assert len(territorial) == 43
    assert g.get("Force", "btp") is not None
    assert len(g.programmes) >= 40 and len(g.themes) >= 20
    assert len([b for b in g.bodies if b.extra["kind"] != "local_policing_body"]) >= 10
    assert {p.extra["kind"] for p in g.programmes} >= {"system", "operation", "training", "unit", "policy", "equipment"}


def test_force_aliases_resolve():
    g = gazetteer()
    for label, expected in [("MPS", "metropolitan"), ("the Met", "metropolitan"), ("GMP", "greater-manchester"),
                            ("Greater Manchester Police Service", "greater-manchester"), ("Avon & Somerset Constabulary", "avon-and-somerset")]:
        entries, leftover = g.resolve_orgs(label)
        assert [e.id for e in entries] == [expected] and not leftover, label


def test_schema_validate_collects_every_error():
    import pytest

    from ontology.exc import InvalidData

    with pytest.raises(InvalidData) as info:
        model["Case"].validate({"id": "x", "date_recommended": "not a date", "reference": "nope", "colour": "red"})
    assert set(info.value.errors) == {"date_recommended", "reference", "colour"}


def test_plain_gives_what_dataclasses_asdict_gives():
    """`records.plain` (the fast conversion behind `to_dict`) agrees with `dataclasses.asdict` on every
    sample's and 300 generated cases' records: the content hashes stored in the graph and the index
    depend on it."""
    from dataclasses import asdict

    from ingest.generator import generate
    from ingest.pipeline import parse_paths
    from ontology.records import plain
    from tests.conftest import SAMPLES

    cases = parse_paths([SAMPLES], merge=False).cases + generate(300, seed=31)
    records = [r for c in cases for r in (*c.recommendations, *c.sources)] + [c.force for c in cases if c.force]
    assert len(records) > 1000
    for record in records:
        assert plain(record) == asdict(record)
