"""Only true merges (issue 33): renderings of one case are merged whatever their layouts (with and
without the reference and dates), and distinct cases are never merged, even of one force and month
with templated sentences in common. Generated cases (ingest/generator.py), rendered as page text in
the mirror (AI-A), PC-B and PC-C layouts by bench/parse_bench.py's renderer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.parse_bench import render
from ingest.generator import generate
from ingest.merge import merge_cases
from ingest.pipeline import parse_text

FAST = settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(seed=st.integers(0, 99), styles=st.lists(st.integers(0, 2), min_size=80, max_size=80))
def test_distinct_cases_sharing_boilerplate_are_never_merged(seed, styles):
    cases = generate(80, seed=seed, start_year=2021, end_year=2021)  # one year: many share a force and a month
    pages = [parse_text(render(case, style), f"page-{i}.txt") for i, (case, style) in enumerate(zip(cases, styles))]
    merged = merge_cases(pages)
    assert len(merged) == len(cases), [c.sources for c in merged if len(c.sources) > 1]


@FAST
@given(seed=st.integers(0, 99), order=st.permutations([0, 1, 2]))
def test_every_rendering_of_a_case_is_merged_into_it(seed, order):
    cases = generate(12, seed=seed)
    pages = [parse_text(render(case, style), f"page-{i}-{style}.txt") for i, case in enumerate(cases) for style in order]
    merged = merge_cases(pages)
    assert len(merged) == len(cases)
    assert sorted(c.id for c in merged) == sorted(c.id for c in cases)  # under the reference, whatever came first
    assert all(len(c.sources) == 3 and len(c.replaces) == 1 for c in merged)  # PC-B and PC-C share the id they have alone
