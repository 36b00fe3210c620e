"""The page shapes of issue 30 that real IOPC pages take and the parser got wrong, each on a synthetic
page in tests/pages/shape-*.txt written by the iopc-kg team in that shape (read from real pages, never
copied): national recommendations to a body, an investigation summary followed by its recommendation
block, lettered sub-items and bullets, titles with no month or year, hard-wrapped lines, and a page
that says the investigation found no learning."""

from pathlib import Path

from api.app import create_app
from api.deps import Services
from ontology.settings import Settings
from fastapi.testclient import TestClient
from graph.embedded import EmbeddedStore
from ingest.load import ingest_paths, sync
from ingest.merge import merge_cases
from ingest.pipeline import parse_file, parse_text
from ingest.sources import read_page
from ingest.text import normalise, unwrap
from ontology.records import CaseRecord
from search.index import SearchIndex
from search.query import Engine

PAGES = Path(__file__).parent / "pages"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def parse(name: str) -> CaseRecord:
    [case] = parse_file(PAGES / name, name)
    return case


def page_text(name: str) -> str:
    return read_page(PAGES / name).text


def ids(refs) -> list[str]:
    return [r.id for r in refs]


# -- 1. national recommendations: the addressee body and the title ---------------------------------

def test_national_recommendation_with_its_body_on_the_line_below_keeps_both_in_the_title_and_addressee():
    case = parse("shape-national-college.txt")
    assert case.title == "National recommendation - College of Policing"
    [rec] = case.recommendations
    assert ids(rec.addressed_to) == ["college-of-policing"]  # named nowhere else: taken from the title
    assert case.force is None and case.published == "2023-07-14"
    assert "College of Policing" not in (case.summary or "")


def test_national_recommendation_on_the_mirror_has_the_body_where_a_force_would_be_and_that_is_no_error():
    case = parse("shape-national-npcc.txt")
    assert case.title == "National recommendation: National Police Chiefs' Council, April 2021"
    assert case.reference == "2021/150999" and case.date_recommended == "2021-04-12"
    [rec] = case.recommendations
    assert ids(rec.addressed_to) == ["npcc"] and rec.linked_bodies == [] and rec.status == "accepted"
    assert not any("not a known force" in w or "garbled" in w for w in case.warnings)


def test_national_recommendation_naming_no_body_in_its_text_is_addressed_to_the_body_in_its_title():
    case = parse("shape-national-home-office.txt")
    assert case.title == "National recommendation - Home Office, 2022"
    [rec] = case.recommendations
    assert ids(rec.addressed_to) == ["home-office"] and rec.text.startswith("It is recommended that")


def test_a_national_title_that_reads_as_a_sentence_is_still_the_title():
    text = ("National recommendations to the College of Policing and the National Police Chiefs' Council after "
            "three deaths in custody.\n\nSynthetic page written by the iopc-kg team.\n\n"
            "Recommendation 1: to the College of Policing\n\nThe IOPC recommends that guidance on welfare checks "
            "is revised.\n\nResponse:\nAccepted\n\nThe guidance will be revised.\n")
    case = parse_text(text, "national-sentence.txt")
    assert case.title.startswith("National recommendations to the College of Policing")
    assert ids(case.recommendations[0].addressed_to) == ["college-of-policing"]


# -- 2. an investigation summary followed by its recommendation block ------------------------------

def test_investigation_summary_then_learning_recommendations_yields_each_recommendation():
    case = parse("shape-investigation-then-block.txt")
    assert case.layout == "PC-INV" and not case.incomplete and case.reference == "2022/187654"
    assert len(case.recommendations) == 2
    assert all(r.text.startswith("The IOPC recommends that Avon and Somerset Constabulary") for r in case.recommendations)
    assert case.recommendations[0].response == "A reminder was issued to all dispatchers in December 2022."
    assert case.recommendations[1].response == "The system supplier has been asked to add the alert."
    assert case.summary.startswith("On 2 September 2022") and "reminder was issued" not in case.summary


def test_investigation_summary_whose_recommendations_follow_with_no_heading_or_a_singular_one():
    text = page_text("shape-investigation-then-block.txt")
    for heading in ("", "Recommendation\n"):
        variant = text.replace("Learning recommendations\n", heading)
        case = parse_text(variant, "variant.txt")
        assert len(case.recommendations) == 2, heading
        assert [r.status for r in case.recommendations] == ["accepted", "accepted"]
        assert "reminder was issued" not in (case.summary or "")


def test_investigation_summary_cut_before_its_recommendations_is_still_header_only():
    case = parse_text((PAGES / "d-investigation-cut.txt").read_text(encoding="utf-8"), "d-investigation-cut.txt")
    assert case.incomplete and case.no_recommendations is None and case.recommendations == []


# -- 3. lettered sub-items and bullets stay inside one recommendation ------------------------------

def test_lettered_sub_items_and_bullets_stay_inside_their_recommendation_each_on_its_line():
    case = parse("shape-lettered-items.txt")
    first, second = case.recommendations  # two, not six: the items never start a recommendation
    for letter in "abcd":
        assert f"\n{letter}) " in first.text
    assert first.text.startswith("The IOPC recommends that Durham Constabulary review its missing person procedure")
    assert first.text.endswith("d) the review is recorded on the missing person record.")
    assert first.response.count("\n• ") == 3 and first.response.startswith("The procedure has been rewritten.")
    assert second.text.endswith(
        "on the following:\n- How to ask about previous missing episodes\n- What to record when a caller is unsure of the last sighting")
    assert [r.status_label for r in case.recommendations] == ["Yes", "Yes"]


def test_consecutive_lettered_items_with_no_blank_lines_keep_their_lines():
    text = ("Kent Police - custody checks, May 2023 (synthetic page written by the iopc-kg team)\n\nRecommendations\n\n"
            "The IOPC recommends that Kent Police:\na) remind custody staff of the rousing checks;\n"
            "b) audit the checks monthly; and\nc) report the audit to the custody board.\n\nAccepted\n\nDone.\n")
    [rec] = parse_text(text, "letters.txt").recommendations
    assert rec.text == ("The IOPC recommends that Kent Police:\na) remind custody staff of the rousing checks;\n"
                        "b) audit the checks monthly; and\nc) report the audit to the custody board.")
    assert rec.response == "Done."


# -- 4. titles with no month or year ---------------------------------------------------------------

def test_title_with_no_month_or_year_is_kept_and_no_date_is_invented():
    case = parse("shape-title-no-date.txt")
    assert case.title == "Recommendation to Cumbria Constabulary - handling of stalking reports"
    assert ids([case.force]) == ["cumbria"]
    # The years in the narrative and the response (2019, 2021) are not the recommendation's date.
    assert case.date_recommended is None and case.response_due is None and case.published is None
    assert any(w.startswith("no recommendation date on the page") for w in case.warnings)


def test_title_with_no_month_or_year_takes_its_dates_from_the_mirror_header():
    case = parse("shape-title-no-date-mirror.txt")
    assert case.title == "Recommendation to Cumbria Constabulary - handling of stalking reports"
    assert (case.date_recommended, case.response_due, case.response_due_derived) == ("2023-03-09", "2023-05-04", False)
    merged = merge_cases([parse("shape-title-no-date.txt"), case])
    assert len(merged) == 1 and merged[0].date_recommended == "2023-03-09"
    assert merged[0].title == "Recommendation to Cumbria Constabulary - handling of stalking reports"


# -- 5. hard-wrapped lines ---------------------------------------------------------------------------

def test_hard_wrapped_page_is_rejoined_into_sentences():
    assert max(len(ln) for ln in page_text("shape-hard-wrapped.txt").split("\n")) <= 72
    case = parse("shape-hard-wrapped.txt")
    assert case.title == ("Investigation into the handover of a detained man between custody shifts – Dorset Police, "
                          "February 2023")
    assert ids([case.force]) == ["dorset"]
    first, second = case.recommendations
    # The opening words before "recommends" were on the line above it: they stay with the recommendation.
    assert first.text.startswith("Having considered the evidence gathered during the investigation, the IOPC recommends")
    assert first.text.endswith("passed on to the incoming custody sergeant.") and "\n" not in first.text
    assert first.response == ("We have added a mandatory field to the handover template and the force has told every "
                              "custody sergeant about the change.")
    assert second.text.startswith("It is recommended that Dorset Police audit") and second.status == "accepted"
    assert case.summary.startswith("This page is synthetic") and "\n" not in case.summary


def test_unwrap_keeps_labels_status_lines_items_and_short_lines_on_their_own():
    wrapped = ("The IOPC recommends that the force review its policy on the handover of\n"
               "detained people between shifts, so that every risk is passed on to the\n"
               "incoming sergeant and recorded on the custody record at the handover.\n"
               "Accepted\n"
               "The force has rewritten its policy on handovers and all sergeants have\n"
               "a) read it;\n"
               "The IOPC recommends that the force audit handovers every quarter in full.\n")
    assert unwrap(wrapped).split("\n") == [
        "The IOPC recommends that the force review its policy on the handover of detained people between "
        "shifts, so that every risk is passed on to the incoming sergeant and recorded on the custody record "
        "at the handover.",
        "Accepted",
        "The force has rewritten its policy on handovers and all sergeants have",
        "a) read it;",
        "The IOPC recommends that the force audit handovers every quarter in full.",
        "",
    ]


def test_unwrap_leaves_pages_that_are_not_hard_wrapped_as_they_are():
    # Short pages whose lines are each one sentence (a glossary, a tracker entry) are not wrapped either.
    for path in sorted([*SAMPLES.rglob("*.txt"), *PAGES.rglob("*.txt")]):
        text = normalise(read_page(path).text)
        assert (unwrap(text) == text) is (path.name != "shape-hard-wrapped.txt"), path.name


# -- 6. a page that says the investigation found no learning ---------------------------------------

def test_no_learning_page_is_a_case_with_no_recommendations_and_a_note_not_incomplete():
    case = parse("shape-no-learning.txt")
    assert case.recommendations == [] and not case.incomplete
    assert case.no_recommendations == ("The investigation did not identify any organisational learning and the IOPC "
                                       "made no recommendations.")
    assert any(w.startswith("no recommendations: the page says so") for w in case.warnings)
    assert not any(w.startswith("header only") for w in case.warnings)
    assert case.reference == "2021/154321" and ids([case.force]) == ["north-wales"]
    d = case.to_dict()
    assert d["incomplete"] is False and d["no_recommendations"] == case.no_recommendations
    again = CaseRecord.from_dict(d)  # our own JSON keeps it: a record with none, and why
    assert again.no_recommendations == case.no_recommendations and not again.incomplete


def test_other_ways_of_saying_there_is_no_learning():
    for sentence in ("No learning was identified.", "We made no recommendations.", "There are no recommendations.",
                     "Recommendations: None",
                     "No recommendations were made as a result of this investigation.",
                     "The investigation found no organisational learning for the force."):
        text = ("Investigation into a fall in custody – Kent Police, March 2022\n\nOn 3 March 2022 a man fell in a "
                f"cell (synthetic page written by the iopc-kg team).\n\n{sentence.replace(': ', chr(10) * 2)}\n")
        case = parse_text(text, "no-learning.txt")
        assert not case.incomplete and case.no_recommendations == sentence, sentence


def test_an_invented_record_with_no_recommendations_and_no_reason_is_still_refused():
    import pytest

    from ontology.exc import InvalidData

    with pytest.raises(InvalidData) as info:
        CaseRecord.from_dict({"reference": None, "title": "x", "force": None, "recommendations": []})
    assert "recommendations" in info.value.errors


def test_no_learning_case_is_written_shown_and_kept_out_of_the_index(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    store = EmbeddedStore(settings.data_dir / "graph")
    index = SearchIndex(settings.index_dir)
    try:
        summary = ingest_paths([PAGES / "shape-no-learning.txt", PAGES / "d-investigation-cut.txt",
                                PAGES / "shape-investigation-then-block.txt"], store, index)
        assert summary.cases == 3 and not summary.failures
        state = store.case_state()
        assert state["2021-154321"][1] is True  # nothing of it for the index (it is not header-only: below)
        [stored] = store.case_records_by_id(["2021-154321"])
        assert stored.no_recommendations and stored.recommendations == [] and not stored.incomplete
        assert set(index.case_hashes()) == {"2022-187654"}  # only the case with recommendations is indexed
        assert sync(store, index)["reindexed_cases"] == 0  # and nothing is re-indexed on a second look
        with TestClient(create_app(settings, Services(settings, store, index, Engine(index))),
                        base_url="http://127.0.0.1") as client:
            body = client.get("/cases/2021-154321").json()
        assert body["incomplete"] is False and body["recommendations"] == []
        assert body["no_recommendations"].startswith("The investigation did not identify any organisational learning")
        assert any(w.startswith("no recommendations: the page says so") for w in body["warnings"])
        # The RDF export says it too, and a case with no recommendation and the page's reason conforms
        # to the shapes (a case with neither would not).
        from pyshacl import validate
        from rdflib import Graph, Literal, Namespace, URIRef

        from graph.export import whole_graph
        from ontology import publish

        iopc = Namespace("https://w3id.org/iopc-kg/ontology#")
        g = whole_graph(store)
        node = URIRef("https://w3id.org/iopc-kg/cases/2021-154321")
        assert str(g.value(node, iopc.noRecommendations)).startswith("The investigation did not identify")
        assert g.value(node, iopc.incomplete) == Literal(False)
        shapes = Graph().parse(publish.HERE / "shapes.ttl")
        conforms, _, report = validate(g, shacl_graph=shapes, inference="none")
        assert conforms, report
        g.remove((node, iopc.noRecommendations, None))
        assert not validate(g, shacl_graph=shapes, inference="none")[0]
    finally:
        index.close()
        store.close()


def test_a_rendering_showing_recommendations_outweighs_one_saying_there_are_none():
    none = parse("shape-no-learning.txt")
    shown = parse_text(page_text("shape-no-learning.txt").replace(
        "The investigation did not identify any organisational learning and the IOPC made no recommendations.",
        "The IOPC recommends that North Wales Police remind pursuit commanders to log each authorisation.\n\n"
        "Accepted\n\nA reminder was issued."), "shown.txt")
    # Its reference comes after the recommendation, as investigation summaries give it: a label, not response.
    assert len(shown.recommendations) == 1 and shown.reference == none.reference
    assert shown.recommendations[0].response == "A reminder was issued."
    [merged] = merge_cases([none, shown])
    assert len(merged.recommendations) == 1 and merged.no_recommendations is None and not merged.incomplete
    assert any("one rendering says so" in w and "another shows 1" in w for w in merged.warnings)
