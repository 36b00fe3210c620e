"""The real seed page parses exactly as issue 2 specifies."""

from ingest.pipeline import parse_paths


def test_seed_parses_to_the_specified_record(seed_path):
    result = parse_paths([seed_path])
    assert result.failures == []
    [case] = result.cases
    assert case.force.id == "essex" and case.force.name == "Essex Police"
    assert case.reference == "2022/178839"
    assert case.date_recommended == "2025-05-01"
    assert case.response_due == "2025-06-26"
    assert case.response_due_derived is False
    assert case.layout == "AI-A"
    assert [r.numbers for r in case.recommendations] == [[1, 2], [3], [4]]
    assert [r.status for r in case.recommendations] == ["accepted"] * 3
    fourth = case.recommendations[2]
    assert [a.id for a in fourth.addressed_to] == ["essex"]
    assert any("garbled" in w and "refine their standard operating procedures" in w for w in case.warnings)
    programmes = {p.id for r in case.recommendations for p in r.programmes}
    assert {"athena", "op-soteria", "ssaidp", "nie"} <= programmes


def test_seed_athena_response_defers_to_the_governance_group(seed_path):
    [case] = parse_paths([seed_path]).cases
    third = case.recommendations[1]
    assert [(d.kind, d.id) for d in third.defers_to] == [("Body", "athena-governance-group")]
    assert "comprised of all police forces who use Athena" in third.defers_to[0].phrase


def test_seed_mentions_keep_field_and_span(seed_path):
    [case] = parse_paths([seed_path]).cases
    for rec in case.recommendations:
        for m in rec.mentions:
            text = rec.text if m.field == "text" else rec.response
            assert text[m.start:m.end] == m.surface


def test_seed_finds_unknown_programme_by_pattern(seed_path):
    [case] = parse_paths([seed_path]).cases
    asait = next(p for p in case.recommendations[0].programmes if p.id == "asait")
    assert asait.new is True and asait.kind == "unit"
    assert asait.name == "Adult Sexual Abuse Investigation Team"
    # "standard operating procedures (SOP)" is generic, not a programme
    assert all(p.id != "sop" for r in case.recommendations for p in r.programmes)
