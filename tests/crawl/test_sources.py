"""The crawl sources file: the bundled one loads and knows the sites' URL shapes; a bad one is
refused with the file and the field named."""

from __future__ import annotations

import pytest

from ontology.exc import InvalidSource
from ontology.sources import load_sources


def test_bundled_sources_know_the_page_shapes_of_issue_16():
    sources = load_sources()
    kind = lambda url: sources.kind(url, enabled_only=False)  # noqa: E731
    assert kind("https://www.policeconduct.gov.uk/our-work/learning/recommendation-essex-police-may-2025") == "page"
    assert kind("https://www.policeconduct.gov.uk/our-work/learning/recommendations-kent-police-november-2024") == "page"
    assert kind("https://www.policeconduct.gov.uk/node/12345") == "page"
    assert kind("https://www.policeconduct.gov.uk/recommendations/some-slug") == "page"
    assert kind("https://www.policeconduct.gov.uk/cy/recommendations/some-slug") == "page"
    assert kind("https://www.ipcc.gov.uk/recommendations/some-slug") == "page"
    assert kind("https://accountabilityindex.uk/sources/iopc/learning/essex-police-2025-05/") == "page"
    assert kind("https://accountabilityindex.uk/sources/iopc/learning/?page=3") == "listing"
    assert kind("https://accountabilityindex.uk/about/") is None
    assert kind("https://example.org/recommendations/x") is None
    # The IPCC site is declared but not crawled: its URLs are not followed by default.
    assert sources.kind("https://www.ipcc.gov.uk/recommendations/some-slug") is None
    assert sources.is_page("https://www.ipcc.gov.uk/recommendations/some-slug")
    # Every source revisits on the file's defaults: awaiting and overdue pages every run, answered ones monthly.
    assert {(s.revisit.awaiting, s.revisit.overdue, s.revisit.answered) for s in sources} == {(0, 0, 30)}


@pytest.mark.parametrize("text, field", [
    ("a: {label: A, start: [https://x.test/], pages: ['(']}", "a.pages[0]"),
    ("a: {label: A, pages: [/p]}", "a.start"),
    ("a: {label: A, start: [x.test/], pages: [/p]}", "a.start[0]"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], delay: -1}", "a.delay"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], rate: 2}", "a.rate"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], hosts: ['https://y.test']}", "a.hosts[0]"),
    ("Bad Name: {label: A, start: [https://x.test/], pages: [/p]}", "Bad Name"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], revisit: {answered: 1.5}}", "a.revisit.answered"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], revisit: {settled: 3}}", "a.revisit.settled"),
    ("a: {label: A, start: [https://x.test/], pages: [/p], revisit: weekly}", "a.revisit"),
    ("defaults: {revisit: {overdue: -1}}\na: {label: A, start: [https://x.test/], pages: [/p]}", "defaults.revisit.overdue"),
    ("defaults: {delay: 2}\na: {label: A, start: [https://x.test/], pages: [/p]}", "defaults.delay"),
])
def test_bad_sources_file_names_file_and_field(tmp_path, text, field):
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(InvalidSource) as e:
        load_sources(path)
    assert e.value.errors["field"] == field
    assert "sources.yaml" in e.value.message and field in e.value.message


def test_unreadable_sources_file_is_named(tmp_path):
    with pytest.raises(InvalidSource, match="nope.yaml"):
        load_sources(tmp_path / "nope.yaml")
