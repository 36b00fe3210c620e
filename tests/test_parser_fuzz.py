"""Damaged and random text never makes the parser raise anything but our own clear errors."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.pipeline import parse_text
from ontology.exc import IopcKgError
from tests.goldens import SAMPLES

PAGES = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
LABELS = ["Recommendation 1", "Recommendations 1 & 2", "Addressed to:", "Linked bodies:", "Accepted", "No", "Yes",
          "Force response", "Do you accept the recommendation?", "3 total", "Accepted action:", "IOPC reference",
          "Response:", "Recommendation 2: to the", "Tags", "- ", "The IOPC recommends", "Source · IOPC Learning Case"]


def _parse(text):
    try:
        case = parse_text(text, "fuzz.txt")
    except IopcKgError as e:
        assert "fuzz.txt" in e.message
        return
    assert case.recommendations or case.incomplete
    for rec in case.recommendations:
        assert rec.status in {"accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_text(text):
    _parse(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(LABELS), st.text(max_size=80)), max_size=60))
def test_label_soup(lines):
    _parse("\n".join(lines))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PAGES), st.data())
def test_damaged_real_layouts(page, data):
    lines = page.split("\n")
    ops = data.draw(st.lists(st.tuples(st.sampled_from(["drop", "dup", "cut", "glue"]), st.integers(0, max(len(lines) - 1, 0))), max_size=8))
    for op, i in ops:
        if not lines:
            break
        i = i % len(lines)
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines = lines[:i]
        elif op == "glue" and i + 1 < len(lines):
            lines[i:i + 2] = [lines[i] + lines[i + 1]]
    _parse("\n".join(lines))
