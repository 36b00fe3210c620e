"""Page kinds as data (ontology/kinds.yaml): every page is given a kind with its evidence, only
recommendation kinds become cases, and every other page is refused naming its kind.

The look-alike pages in tests/pages/lookalike/ are synthetic, written by the iopc-kg team in the shapes
of real published pages of each kind (read, never copied); none of them is a case."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import parse_paths, parse_text
from ingest.sources import read_page
from ingest.text import normalise, repair
from ontology.exc import InvalidSource
from ontology.kinds import kinds, load_kinds

PAGES = Path(__file__).parent / "pages"
LOOKALIKE = PAGES / "lookalike"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# Each look-alike page and the kind it must be refused as.
EXPECTED = {
    "news-release-iopc.txt": "news_release",
    "news-release-no-address.txt": "news_release",
    "news-release-republished.txt": "news_release",
    "foi-disclosure.txt": "foi_disclosure",
    "pfd-response.txt": "pfd_response",
    "pfd-report.txt": "pfd_response",
    "pirc-review.txt": "pirc_review",
    "ombudsman-ni.txt": "ombudsman_ni",
    "legislation-28a.txt": "legislation",
    "force-explainer.txt": "force_explainer",
    "news-article.txt": "news_article",
    "hmicfrs-page.txt": "hmicfrs_page",
    "committee-report.txt": "unknown",
    "forum-post.txt": "unknown",
}


def classify(path: Path):
    raw = read_page(path)
    return kinds().classify(repair(normalise(raw.text)), raw.url)


def test_every_lookalike_page_is_written_by_the_team_and_expected():
    files = sorted(p.name for p in LOOKALIKE.glob("*.txt"))
    assert files == sorted(EXPECTED)
    assert all("written by the iopc-kg team" in (LOOKALIKE / f).read_text() for f in files)


def test_no_lookalike_page_becomes_a_case_and_each_refusal_names_its_kind():
    result = parse_paths([LOOKALIKE])
    assert result.cases == []
    assert len(result.failures) == len(EXPECTED)
    for failure in result.failures:
        name = failure.path.rsplit("/", 1)[-1]
        assert f"{name}: refused: {EXPECTED[name]} (" in failure.message, failure.message
        assert failure.errors == {"kind": EXPECTED[name]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_evidence_is_named(name):
    verdict = classify(LOOKALIKE / name)
    assert verdict.name == EXPECTED[name]
    assert verdict.evidence
    if verdict.kind is None:
        assert "no marker of any known kind" in verdict.why
    else:
        # A refused page says whether it carries a recommendation block ("no recommendation block" for all of these).
        assert "no recommendation block" in verdict.why


def test_an_address_that_decides_is_named_as_evidence():
    verdict = classify(LOOKALIKE / "news-release-iopc.txt")
    assert verdict.evidence[0].startswith("address policeconduct.gov.uk/news/")
    with pytest.raises(InvalidSource, match=r"refused: news_release \(address policeconduct\.gov\.uk/news/.*no recommendation block\)"):
        parse_text((LOOKALIKE / "news-release-iopc.txt").read_text().split("---\n", 2)[2], "release.txt",
                   "https://www.policeconduct.gov.uk/news/officer-dismissed-synthetic")


def test_every_sample_and_pattern_page_is_a_recommendation_kind_or_refused_as_before():
    refused = {"hmicfrs-tracker-404.txt": "hmicfrs_tracker", "ipcc-glossary-only.txt": "junk_glossary",
               "not-404.txt": "not_found", "not-ai-hmicfrs.txt": "hmicfrs_mirror", "not-force-ipcc-list.txt": "force_ipcc_list",
               "not-hmicfrs-theme-listing.txt": "hmicfrs_tracker", "not-hmicfrs-tracker.txt": "hmicfrs_tracker",
               "not-super-complaint-table.txt": "force_response_table"}
    pages = [p for p in [*SAMPLES.rglob("*.txt"), *SAMPLES.rglob("*.html"), *PAGES.glob("*.txt")]]
    assert len(pages) > 40
    for path in pages:
        verdict = classify(path)
        if path.name in refused:
            assert verdict.name == refused[path.name], path.name
        else:
            assert verdict.parse, (path.name, verdict.name, verdict.why)


def test_a_page_of_no_known_kind_is_refused_as_unknown_never_guessed():
    with pytest.raises(InvalidSource) as info:
        parse_text("Minutes of the parish council\n\nThe council discussed the village hall roof.\n", "minutes.txt")
    assert info.value.message.startswith("minutes.txt: refused: unknown (no marker of any known kind)")


def test_kinds_file_errors_name_the_file_and_the_field(tmp_path):
    bad = tmp_path / "kinds.yaml"
    bad.write_text("news:\n  label: News\n  strong:\n    broken: '(unclosed'\n")
    with pytest.raises(InvalidSource) as info:
        load_kinds(bad)
    assert "kinds.yaml: news.strong[broken]" in info.value.message and info.value.errors["field"] == "news.strong[broken]"
    bad.write_text("news:\n  label: News\n  colour: red\n  urls: ['x']\n")
    with pytest.raises(InvalidSource, match=r"news\.colour: unknown field"):
        load_kinds(bad)
    bad.write_text("news:\n  label: News\n  urls: ['x']\n")
    with pytest.raises(InvalidSource, match="no kind has parse: true"):
        load_kinds(bad)
    bad.write_text("rec:\n  label: Rec\n  parse: true\n  markers: {a: 'a'}\n  need: 3\n")
    with pytest.raises(InvalidSource, match=r"rec\.need: 3 pieces of evidence needed"):
        load_kinds(bad)


# -- a force's republication: parsed, but never the force's reference, furniture or an invented status --

FOI_LOOKALIKE_REFERENCE = """Quickly exit this site by pressing the Escape key Leave this site
We use some essential cookies to make our website work. We'd like to set additional cookies to understand how you use the site.
This site is a beta, which means it's a work in progress. Your feedback helps us make things better.
Freedom of information request (synthetic page written by the iopc-kg team)
Our Reference: 2023/004512
The IOPC recommends that Example Police ensure that officers record why body-worn video was not switched on.
The force accepts this recommendation and has changed its body-worn video policy.
"""


def test_foi_republication_never_takes_the_forces_reference_furniture_or_words_as_status():
    case = parse_text(FOI_LOOKALIKE_REFERENCE, "foi.txt", "https://www.example.police.uk/foi-ai/disclosure/synthetic")
    assert case.layout == "FORCE-FOI"
    assert case.reference is None and case.aliases == ["2023/004512"]
    assert case.title is None and case.summary is None
    [rec] = case.recommendations
    assert rec.text.startswith("The IOPC recommends") and rec.response.startswith("The force accepts")
    assert rec.status == "unknown" and rec.status_label is None
    assert any("no status is read from the force's words" in w for w in case.warnings)


def test_foi_republication_takes_an_iopc_reference_only_from_its_label():
    text = FOI_LOOKALIKE_REFERENCE.replace("Our Reference: 2023/004512\n", "Our Reference: 2023/004512\nIOPC reference: 2021/155873\n")
    case = parse_text(text, "foi.txt")
    assert case.reference == "2021/155873" and case.aliases == ["2023/004512"]
