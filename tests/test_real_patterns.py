"""The patterns of FORMATS.md "More patterns seen in real pages" (A-G, titles) and "Pages that are not
IOPC recommendation pages", each on a synthetic page in tests/pages/ written to reproduce it."""

from pathlib import Path

import pytest

from ingest.merge import merge_cases
from ingest.pipeline import parse_paths, parse_text
from ontology.exc import InvalidSource

PAGES = Path(__file__).parent / "pages"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def parse(name: str):
    return parse_text((PAGES / name).read_text(encoding="utf-8"), name)


def ids(refs):
    return [r.id for r in refs]


# -- A. unnumbered recommendations back to back, no blank lines ---------------------------------------

def test_a_pcb_blocks_on_consecutive_lines_stay_apart_and_a_later_yes_never_overwrites_a_no():
    case = parse("a-pcb-back-to-back.txt")
    recs = case.recommendations
    assert [r.text.split(" that ")[1][:20] for r in recs] == ["Kent Police remind c", "Kent Police audit cu", "Kent Police share th"]
    assert [r.status for r in recs] == ["not_accepted", "accepted", "accepted"]
    assert [r.status_label for r in recs] == ["No", "Yes", "Yes"]
    assert recs[0].response == "The force considers the existing guidance sufficient and has not changed it."
    assert recs[1].response.startswith("An audit of handovers") and "share the learning" not in recs[1].response


def test_a_pcc_single_status_lines_back_to_back():
    recs = parse("a-pcc-back-to-back.txt").recommendations
    assert len(recs) == 3
    assert [r.status for r in recs] == ["accepted", "not_accepted", "accepted"]
    assert recs[2].text.startswith("The IOPC reccomends") and recs[2].response == "The policy was published in August 2024."


def test_a_legacy_bare_answers_with_point_subheads_back_to_back():
    case = parse("a-legacy-back-to-back.txt")
    assert case.layout == "LEGACY-IPCC-2016"
    recs = case.recommendations
    assert [r.status_label for r in recs] == ["Yes", "No", "Yes"]
    assert [r.status for r in recs] == ["accepted", "not_accepted", "accepted"]
    assert all(ids(r.addressed_to) == ["lincolnshire"] for r in recs)
    assert "retains CCTV for 31 days" in recs[1].response and "Refresher" not in recs[1].response


# -- B. question and answer glued to the recommendation line ------------------------------------------

def test_b_glued_question_and_answer_are_split_off_the_text():
    case = parse("b-glued-question.txt")
    recs = case.recommendations
    assert len(recs) == 2 and case.layout == "AI-C"
    assert all("Do you accept" not in r.text for r in recs)
    assert recs[0].text.endswith("within four hours.")
    assert [r.status_label for r in recs] == ["Yes", "No"]
    assert [r.status for r in recs] == ["accepted", "not_accepted"]
    assert recs[0].response.startswith("Missing person reports are now reviewed")


# -- C. a first-person reply with no status label ------------------------------------------------------

def test_c_reply_without_a_label_is_the_response():
    case = parse("c-reply-without-label.txt")
    [rec] = case.recommendations
    assert rec.text.endswith("were never reviewed.")
    assert rec.response.startswith("Nottinghamshire Police are in agreement") and "We have also briefed" in rec.response
    assert rec.status == "accepted" and rec.status_label is None
    assert any("no status label" in w for w in case.warnings)


# -- D. pages that carry the case but not its recommendations -----------------------------------------

@pytest.mark.parametrize("name,force,reference,published", [
    ("d-pca-header-only.txt", "northumbria", "2022/301122", "2023-01-10"),
    ("d-investigation-cut.txt", "gwent", None, None),
    ("d-legacy-narrative.txt", "north-wales", None, None),
    ("d-pca-with-narrative.txt", "warwickshire", None, "2018-07-02"),
])
def test_d_header_only_pages_become_incomplete_cases(name, force, reference, published):
    case = parse(name)
    assert case.incomplete is True and case.recommendations == []
    assert case.force.id == force and case.reference == reference and case.published == published
    assert any("header only" in w for w in case.warnings)
    assert case.to_dict()["incomplete"] is True
    if name == "d-legacy-narrative.txt":
        assert case.title is None and "North Wales Police handled a complaint" in case.summary
    else:
        assert case.title


def test_d_glossary_page_still_yields_nothing():
    result = parse_paths([SAMPLES / "damaged" / "ipcc-glossary-only.txt"])
    assert result.cases == [] and "glossary" in result.failures[0].message


def test_d_header_only_case_merges_with_its_complete_rendering():
    mirror = ("Source · IOPC Learning Case\n\nRecommendations - Northumbria Police, August 2022\n\n"
              "Northumbria Police Ref: 2022/301122 Recommended 5 Sep 2022 Response due 31 Oct 2022\n\n"
              "Recommendations\n\n1 total\nRecommendation 1\n\nThe IOPC recommends that Northumbria Police review "
              "stalking risk assessments.\n\nAddressed to: Northumbria Police\nAccepted\nForce response\n\nDone.\n")
    for header_first in (True, False):
        header, complete = parse("d-pca-header-only.txt"), parse_text(mirror, "mirror.txt")
        [case] = merge_cases([header, complete] if header_first else [complete, header])
        assert case.incomplete is False and len(case.recommendations) == 1
        assert case.published == "2023-01-10" and case.date_recommended == "2022-09-05"
        assert not any("header only" in w for w in case.warnings)


def test_d_header_only_without_reference_merges_on_force_and_title():
    header = parse("d-investigation-cut.txt")
    full = parse_text((PAGES / "d-investigation-cut.txt").read_text() + "\nIOPC reference\n\nRecommendations\n\n"
                      "The IOPC recommends that Gwent Police review how missing children are risk assessed.\n\nAccepted\n\n"
                      "Gwent Police has done so.\n", "full.txt")
    [case] = merge_cases([header, full])
    assert not case.incomplete and len(case.recommendations) == 1 and len(case.sources) == 2


# -- E, F. addressees with no label to trust -----------------------------------------------------------

def test_e_cut_addressee_falls_back_to_the_body_named_after_recommends_that():
    case = parse("e-cut-addressee.txt")
    [rec] = case.recommendations
    assert ids(rec.addressed_to) == ["college-of-policing"]
    assert ids(rec.linked_bodies) == ["npcc"]
    assert case.title is None


def test_f_body_named_only_in_the_title_is_the_default_addressee():
    case = parse("f-body-in-title.txt")
    [rec] = case.recommendations
    assert ids(rec.addressed_to) == ["npcc"]
    assert rec.text.startswith("Several investigations") and rec.status == "accepted"


# -- G. the page's label stands ------------------------------------------------------------------------

def test_g_an_explicit_yes_stands_against_a_response_that_argues_and_the_disagreement_is_kept():
    case = parse("g-yes-already-done.txt")
    [rec] = case.recommendations
    assert rec.status == "accepted" and rec.status_label == "Yes"
    assert any("disagrees" in w and "'Yes'" in w for w in case.warnings)


# -- titles ---------------------------------------------------------------------------------------------

def test_cut_marker_is_not_a_title_and_a_cut_label_is_a_label():
    case = parse("title-marker-and-cut-label.txt")
    assert case.title is None
    [rec] = case.recommendations
    assert rec.response == "Bail conditions are now entered by the custody office before release."
    assert "respon" not in rec.text


def test_a_real_title_wins_over_a_marker_or_narrative_in_a_merge():
    body = (PAGES / "title-marker-and-cut-label.txt").read_text().split("\n", 1)[1]
    for untitled_first in (True, False):
        untitled = parse("title-marker-and-cut-label.txt")
        titled = parse_text("Cheshire Constabulary - bail conditions, May 2023\n\n" + body, "titled.txt")
        [case] = merge_cases([untitled, titled] if untitled_first else [titled, untitled])
        assert case.title == "Cheshire Constabulary - bail conditions, May 2023"


# -- pages that are not IOPC recommendation pages -------------------------------------------------------

@pytest.mark.parametrize("name,kind", [
    ("not-hmicfrs-tracker.txt", "an HMICFRS recommendation tracker page, not an IOPC recommendation"),
    ("not-hmicfrs-theme-listing.txt", "an HMICFRS recommendation tracker page, not an IOPC recommendation"),
    ("not-404.txt", "a '404 page not found' page"),
    ("not-super-complaint-table.txt", "a force's response table to a super-complaint"),
    ("not-force-ipcc-list.txt", "a force's own list of IPCC recommendations"),
    ("not-ai-hmicfrs.txt", "an accountabilityindex HMICFRS report page"),
])
def test_pages_that_are_not_iopc_pages_are_refused_by_kind(name, kind):
    with pytest.raises(InvalidSource) as info:
        parse(name)
    assert name in info.value.message and kind in info.value.message


def test_foi_page_is_a_rendering_of_the_iopc_case_and_never_spoils_it():
    foi = parse("foi-met.txt")
    assert foi.layout == "FORCE-FOI"
    assert foi.title == "IOPC recommendation - body-worn video and use of force"
    assert foi.aliases == ["PC/04412/21"] and foi.force.id == "metropolitan"
    assert not any("cookie" in (x or "").lower() or "exit this site" in (x or "").lower()
                   for x in [foi.title, foi.summary] + [r.text for r in foi.recommendations])
    [rec] = foi.recommendations
    assert rec.response.startswith("The MPS has updated")
    before = parse_paths([SAMPLES / "metropolitan-police-2023-09.txt"]).cases[0].to_dict()
    for foi_first in (True, False):
        foi, iopc = parse("foi-met.txt"), parse_paths([SAMPLES / "metropolitan-police-2023-09.txt"]).cases[0]
        [case] = merge_cases([foi, iopc] if foi_first else [iopc, foi])
        assert case.reference == "2021/155873" and case.aliases == ["PC/04412/21"]
        assert case.title == before["title"] and case.summary == before["summary"]
        assert case.recommendations[0].text == before["recommendations"][0]["text"]
        assert case.recommendations[0].status == "accepted" and len(case.sources) == 2
