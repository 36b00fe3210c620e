"""Search over the sample corpus: every query form, facets against counts from the records,
highlighting, suggestions, ranking where it is unambiguous, and similar recommendations.

The index is real (Whoosh in a temporary directory), built from the parsed sample corpus.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ontology.records import CaseRecord, RecommendationRecord, Ref
from search.index import SearchIndex
from search.query import Engine, Search
from search.similar import clusters, similar


@pytest.fixture(scope="module")
def corpus(_parsed_samples):
    return _parsed_samples.cases


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("index"))
    ix.update(corpus)
    yield ix
    ix.close()


@pytest.fixture(scope="module")
def engine(index):
    return Engine(index)


def recs(corpus):
    for case in corpus:
        for rec in case.recommendations:
            yield case, rec


def ids(result):
    return {h["id"] for h in result.hits}


def everything(engine, q="", **filters):
    return engine.search(Search(q=q, filters={k: v if isinstance(v, list) else [v] for k, v in filters.items()}, page_size=500))


def test_every_recommendation_is_indexed_once(index, corpus):
    assert index.doc_count() == sum(len(c.recommendations) for c in corpus)


def test_stemming_finds_plurals_both_ways(engine, corpus):
    got = ids(everything(engine, "reminder"))
    expected = {c.recommendation_id(r) for c, r in recs(corpus)
                if re.search(r"\breminders?\b", f"{r.text} {r.response or ''}", re.I)}
    assert expected and expected <= got


def test_phrase_in_a_field(engine, corpus):
    got = ids(everything(engine, 'response:"governance group"'))
    expected = {c.recommendation_id(r) for c, r in recs(corpus) if re.search(r"governance\s+group", r.response or "", re.I)}
    assert got == expected and len(expected) >= 3
    assert "2022-178839-3" in got  # the seed's Athena response


def test_boolean_operators(engine):
    athena = ids(everything(engine, "athena"))
    custody = ids(everything(engine, "custody"))
    assert ids(everything(engine, "athena AND custody")) == athena & custody
    assert ids(everything(engine, "athena OR custody")) == athena | custody
    assert ids(everything(engine, "athena NOT custody")) == athena - custody


def test_field_query_by_id_and_by_name(engine, corpus):
    essex = {c.recommendation_id(r) for c, r in recs(corpus) if c.force and c.force.id == "essex"}
    assert ids(everything(engine, "force:essex")) == essex
    assert ids(everything(engine, 'force:"Essex Police"')) == essex
    assert ids(everything(engine, "programme:Soteria")) == ids(everything(engine, "programme:op-soteria"))


def test_prefix_and_fuzzy_terms(engine):
    assert ids(everything(engine, "supervis*")) >= ids(everything(engine, "supervisor"))
    assert ids(everything(engine, "remindr~")) & ids(everything(engine, "reminder"))


def test_date_range(engine, corpus):
    got = ids(everything(engine, "date:[2024-01-01 TO 2024-12-31]"))
    expected = {c.recommendation_id(r) for c, r in recs(corpus) if (c.date_recommended or "").startswith("2024")}
    assert got == expected and expected


def test_accents_fold(tmp_path):
    case = CaseRecord(reference="2099/000001", title="Synthetic", force=Ref("kent", "Kent Police"),
                      recommendations=[RecommendationRecord(numbers=[1], position=1, text="Review the café's CCTV policy.")])
    ix = SearchIndex(tmp_path)
    ix.update([case])
    assert everything(Engine(ix), "cafe").total == 1
    assert everything(Engine(ix), "café").total == 1
    ix.close()


def test_a_query_that_does_not_parse_still_answers_and_says_so(engine):
    result = everything(engine, '"governance group')
    assert result.notice and "quotation mark" in result.notice
    assert result.total > 0
    assert everything(engine, "nosuchfield:athena").notice


def test_facets_count_what_the_records_hold(engine, corpus):
    result = everything(engine)
    assert result.total == sum(len(c.recommendations) for c in corpus)
    by_force = Counter(c.force.id for c, _ in recs(corpus) if c.force)
    assert {f["value"]: f["count"] for f in result.facets["force"]} == dict(by_force)
    by_status = Counter(r.status for _, r in recs(corpus))
    assert {f["value"]: f["count"] for f in result.facets["status"]} == dict(by_status)
    by_year = Counter(str(c.year) for c, _ in recs(corpus) if c.year)
    assert {f["value"]: f["count"] for f in result.facets["year"]} == dict(by_year)
    by_programme = Counter(p.id for _, r in recs(corpus) for p in {p.id: p for p in r.programmes}.values())
    assert {f["value"]: f["count"] for f in result.facets["programme"]} == dict(by_programme)


def test_filters_combine_and_facets_count_the_other_filters(engine, corpus):
    result = everything(engine, force=["essex", "kent"], status="accepted")
    expected = {c.recommendation_id(r) for c, r in recs(corpus)
                if c.force and c.force.id in ("essex", "kent") and r.status == "accepted"}
    assert ids(result) == expected and result.total == len(expected)
    # The status facet counts every status of the chosen forces (its own filter left out) ...
    statuses = Counter(r.status for c, r in recs(corpus) if c.force and c.force.id in ("essex", "kent"))
    assert {f["value"]: f["count"] for f in result.facets["status"]} == dict(statuses)
    # ... and the force facet every force with an accepted recommendation, chosen ones marked.
    forces = {f["value"]: f for f in result.facets["force"]}
    assert forces["essex"]["selected"] and not forces.get("norfolk", {"selected": False})["selected"]
    assert sum(f["count"] for f in forces.values()) == sum(1 for c, r in recs(corpus) if c.force and r.status == "accepted")


def test_snippets_mark_matched_terms_in_text_and_response(engine):
    hit = next(h for h in everything(engine, "automated reminders").hits if h["id"] == "2022-178839-3")
    assert '<mark class="hit' in hit["snippets"]["text"]
    assert re.search(r"<mark[^>]*>automated</mark>", hit["snippets"]["text"])
    response_hit = next(h for h in everything(engine, "governance").hits if h["id"] == "2022-178839-3")
    assert "<mark" in response_hit["snippets"]["response"]


def test_sorting_and_pagination(engine):
    newest = engine.search(Search(q="", sort="newest", page_size=500)).hits
    dates = [h["date_recommended"] for h in newest if h["date_recommended"]]
    assert dates == sorted(dates, reverse=True)
    p1 = engine.search(Search(q="police", page=1, page_size=5))
    p2 = engine.search(Search(q="police", page=2, page_size=5))
    assert p1.total == p2.total > 10 and p1.pages == p2.pages
    assert len(p1.hits) == 5 and not ids(p1) & ids(p2)


def test_ranking_puts_the_recurring_body_worn_video_learning_first(engine):
    top = [h["force"]["id"] for h in engine.search(Search(q='"body-worn video" activated')).hits[:3]]
    assert set(top) == {"metropolitan", "avon-and-somerset", "devon-and-cornwall"}


def test_did_you_mean(engine):
    result = everything(engine, "soteira")
    assert result.total == 0
    assert result.did_you_mean == "soteria"
    assert everything(engine, result.did_you_mean).total > 0
    assert everything(engine, "athena").did_you_mean is None


def test_unknown_sort_or_filter_is_a_clear_error(engine):
    from ontology.exc import InvalidData

    with pytest.raises(InvalidData) as e:
        engine.search(Search(q="x", sort="loudest"))
    assert "sort" in e.value.errors
    with pytest.raises(InvalidData):
        engine.search(Search(q="x", filters={"colour": ["red"]}))


def test_similar_recommendations_come_from_other_forces(index):
    answer = similar(index, "2021-155873-1", limit=5)
    top = [h["force"]["id"] for h in answer["similar"][:2]]
    assert set(top) == {"avon-and-somerset", "devon-and-cornwall"}
    assert all(h["force"]["id"] != "metropolitan" for h in answer["similar"])
    scores = [h["score"] for h in answer["similar"]]
    assert scores == sorted(scores, reverse=True)


def test_clusters_of_recurring_learning(index):
    found = clusters(index, threshold=0.4, min_forces=3)
    bwv = next(c for c in found if "metropolitan" in c["forces"])
    assert set(bwv["forces"]) == {"metropolitan", "avon-and-somerset", "devon-and-cornwall"}
    assert {m["id"] for m in bwv["members"]} >= {"2021-155873-1", "2022-161204-1", "2024-208113-1"}


def test_reindexing_a_changed_case_replaces_its_documents(tmp_path, corpus):
    import copy

    ix = SearchIndex(tmp_path)
    cases = copy.deepcopy(corpus)
    ix.update(cases)
    ix.update(cases)
    assert ix.doc_count() == sum(len(c.recommendations) for c in cases)
    essex = next(c for c in cases if c.id == "2022-178839")
    dropped = essex.recommendation_id(essex.recommendations[-1])
    essex.recommendations.pop()
    ix.update([essex])
    assert ix.doc_count() == sum(len(c.recommendations) for c in cases)
    assert everything(Engine(ix), f'id:{dropped}').total == 0
    ix.close()


def test_prefix_terms_are_highlighted_and_negated_terms_are_not(engine):
    hit = everything(engine, "supervis*").hits[0]
    assert re.search(r"<mark[^>]*>supervis\w*</mark>", " ".join(hit["snippets"].values()), re.I)
    for hit in everything(engine, "athena NOT custody").hits:
        assert not re.search(r"<mark[^>]*>custody", " ".join(hit["snippets"].values()), re.I)


def test_totals_count_every_match_beyond_the_first_page(engine, corpus):
    # Whoosh's top-N collector skips documents that cannot reach the page; totals must not.
    expected = {c.recommendation_id(r) for c, r in recs(corpus)
                if re.search(r"\bpolic(e|es|ed|ing)\b", f"{r.text} {r.response or ''} {c.title or ''} {c.force.name if c.force else ''}", re.I)}
    assert engine.search(Search(q="police", page_size=2)).total == len(expected)
