"""Each quirk of FORMATS.md, on a small page written for the test."""

import pytest

from ingest.pipeline import parse_paths, parse_text
from ontology.exc import InvalidSource


def test_combined_numbers_and_total_count_blocks():
    case = parse_text(
        "Source · IOPC Learning Case\n\nRecommendations - Kent Police, May 2024\n\n"
        "Kent Police Ref: 2024/100001 Recommended 2 May 2024 Response due 27 Jun 2024\n\n"
        "Recommendations\n\n3 total\nRecommendations 1 & 2\n\nThe IOPC recommends that Kent Police review X.\n\n"
        "Addressed to: Kent Police\nLinked bodies: Kent Police\nAccepted\nForce response\n\nAccepted Done.\n",
        "t.txt",
    )
    assert [r.numbers for r in case.recommendations] == [[1, 2]]
    assert any("3 total but shows 1 block" in w for w in case.warnings)


def test_glued_count_and_glued_words_are_repaired():
    case = parse_text(
        "Recommendations\n3 totalThe IOPC recommends that Kent Police carry out anindependent review.During it, "
        "check the log (search)A detainee was not seen.\nDo you accept the recommendation?\nYes\nAccepted action: Done.\n",
        "t.txt",
    )
    assert case.layout == "AI-C"
    text = case.recommendations[0].text
    assert text.startswith("The IOPC recommends") and "an independent review. During" in text
    assert "(search) A detainee" in text


def test_empty_date_labels_derive_the_due_date_and_say_so():
    case = parse_text(
        "Source · IOPC Learning Case\n\nT\n\nKent Police Ref: 2024/100002 Recommended 1 Mar 2024 Response due\n\n"
        "Recommendations\n\n1 total\nRecommendation 1\n\nThe IOPC recommends that Kent Police do Y.\n\n"
        "Addressed to: Kent Police\nAwaiting response\n",
        "t.txt",
    )
    assert case.response_due == "2024-04-26" and case.response_due_derived is True
    assert case.recommendations[0].status == "awaiting_response"


def test_no_dates_at_all_leaves_them_empty_and_warns():
    case = parse_text("Kent Police - title, June 2015\n\nThe IOPC recommends that Kent Police do Z.\n\nAccepted\n\nDone.\n", "t.txt")
    assert case.date_recommended is None and case.response_due is None
    assert any("title is not used" in w for w in case.warnings)


def test_linked_bodies_on_the_next_line():
    case = parse_text(
        "Recommendation 1\n\nThe IOPC recommends that the College of Policing update APP.\n\n"
        "Addressed to: College of Policing\nLinked bodies:\nNational Police Chiefs Council\nAccepted\n",
        "t.txt",
    )
    rec = case.recommendations[0]
    assert [b.id for b in rec.linked_bodies] == ["npcc"]
    assert [b.id for b in rec.addressed_to] == ["college-of-policing"]


@pytest.mark.parametrize("spelling", [
    "National Police Chiefs' Council", "National Police Chiefs Council", "National Police Chief’s Council", "NPCC",
])
def test_every_npcc_spelling_resolves(spelling):
    case = parse_text(f"Recommendation 1\n\nThe IOPC recommends X.\n\nAddressed to: {spelling}\nAccepted\n", "t.txt")
    assert [b.id for b in case.recommendations[0].addressed_to] == ["npcc"]


def test_several_bodies_in_one_heading():
    case = parse_text(
        "Recommendation 1: to the National Police Chiefs Council and College of Policing\n\nThe IOPC recommends X.\n\nAccepted\n",
        "t.txt",
    )
    assert [b.id for b in case.recommendations[0].addressed_to] == ["npcc", "college-of-policing"]


@pytest.mark.parametrize("garbage", ["C", "", "Essex Police refine their standard operating procedures (SOP) to"])
def test_garbage_addressee_falls_back_to_the_case_force(garbage):
    case = parse_text(
        "Source · IOPC Learning Case\n\nT\n\nEssex Police Ref: 2024/100003 Recommended 1 Mar 2024 Response due 26 Apr 2024\n\n"
        f"Recommendations\n\n1 total\nRecommendation 1\n\nThe IOPC recommends X.\n\nAddressed to: {garbage}\nAccepted\n",
        "t.txt",
    )
    assert [b.id for b in case.recommendations[0].addressed_to] == ["essex"]
    assert any("garbled" in w for w in case.warnings)


def test_misspelt_hertfordshire_and_gmp_service():
    herts = parse_text("Recommendation 1\n\nThe IOPC recommends X.\n\nAddressed to: Herefordshire Constabulary\nAccepted\n", "t")
    gmp = parse_text("Recommendation 1\n\nThe IOPC recommends X.\n\nAddressed to: Greater Manchester Police Service\nAccepted\n", "t")
    assert herts.recommendations[0].addressed_to[0].id == "hertfordshire"
    assert gmp.recommendations[0].addressed_to[0].id == "greater-manchester"


# The page's label always stands; a disagreeing response is kept as a warning (FORMATS.md, pattern G).
@pytest.mark.parametrize("label,response,status,warns", [
    ("No", "We partially accept this recommendation.", "not_accepted", True),
    ("Yes", "We are not in a position where we can agree to this.", "accepted", True),
    ("Yes", "Training has been delivered.", "accepted", False),
    ("No", "The force decided not to change the contract.", "not_accepted", False),
])
def test_status_label_against_response_words(label, response, status, warns):
    case = parse_text(
        f"Title\n\nRecommendations\n\nThe IOPC recommends X.\n\nDo you accept the recommendation?\n{label}\n\n{response}\n", "t.txt"
    )
    rec = case.recommendations[0]
    assert rec.status == status and rec.status_label == label
    assert any("disagrees" in w for w in case.warnings) is warns


def test_blank_answer_with_accepted_action_is_a_weak_acceptance():
    case = parse_text(
        "Title\n\nRecommendations\n\nThe IOPC recommends X.\n\nDo you accept the recommendation?\n\nAccepted action: Done.\n", "t.txt"
    )
    assert case.recommendations[0].status == "accepted"
    assert any("inferred from the 'Accepted action:' heading" in w for w in case.warnings)


def test_response_without_any_label_is_unknown_and_warned():
    case = parse_text("The IPCC recommends that Kent Police do X.\n\nYes\n\nThe force has done it.\n", "t.txt")
    assert case.recommendations[0].status == "accepted"
    case = parse_text("Title\n\nRecommendation 1\n\nThe IOPC recommends X.\n\nForce response\n\nThe force has looked at it.\n", "t")
    assert case.recommendations[0].status == "unknown"
    assert any("states none" in w for w in case.warnings)


def test_other_openers_start_recommendations():
    case = parse_text(
        "Title\n\nRecommendations\n\nIt is recommended that Kent Police do A.\n\nDo you accept the recommendation?\nYes\n\nDone A.\n\n"
        "Having considered the evidence, the IOPC therefore recommends that Kent Police do B.\n\n"
        "Do you accept the recommendation?\nYes\n\nDone B.\n",
        "t.txt",
    )
    assert [r.text[:20] for r in case.recommendations] == ["It is recommended th", "Having considered th"]
    assert [r.response for r in case.recommendations] == ["Done A.", "Done B."]


def test_glossary_only_page_is_an_error_naming_the_file():
    with pytest.raises(InvalidSource, match=r"junk\.txt: refused: junk_glossary \(glossary furniture.*only the site glossary"):
        parse_text("User Bar First\nThis is a debugging block\nAppeal - a definition.\n", "junk.txt")


def test_same_case_in_two_renderings_merges_with_both_sources(samples_dir):
    result = parse_paths(sorted(samples_dir.glob("suffolk-*.txt")))
    [case] = result.cases
    assert case.reference == "2023/188710" and len(case.sources) == 2
    assert len(case.recommendations) == 2
    assert {s.layout for s in case.sources} == {"AI-A", "PC-B"}


def test_reparsing_is_stable(samples_dir):
    first = [c.to_dict() for c in parse_paths([samples_dir]).cases]
    second = [c.to_dict() for c in parse_paths([samples_dir]).cases]
    assert first == second


def test_html_keeps_content_and_canonical_url(samples_dir):
    [case] = parse_paths([samples_dir / "sussex-police-op-encompass.html"]).cases
    assert case.source_url.startswith("https://www.sussex.police.uk/")
    assert case.reference == "2021/160044"
    assert all("Cookies" not in (r.response or "") and "analytics" not in r.text for r in case.recommendations)
