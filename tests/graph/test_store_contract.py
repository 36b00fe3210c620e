"""The GraphStore contract: every question answered alike on every store, checked against tests/oracle.py."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from datetime import date

import pytest

from ontology.exc import NotFound, QueryRefused, QueryTimeout
from graph import cypher
from tests import oracle

TODAY = date(2026, 11, 26)


def test_counts_match_the_records(store, sample_cases):
    counts = store.counts()
    assert counts["Case"] == len(sample_cases)
    assert counts["Recommendation"] == sum(len(c.recommendations) for c in sample_cases)
    assert counts["Response"] == sum(1 for _, r in oracle.recs(sample_cases) if r.response)
    assert counts["Force"] == 46  # the gazetteer, loaded once


def test_reingest_is_idempotent(store, sample_cases):
    before = store.counts()
    result = store.write_cases(sample_cases)
    assert result.written == [] and len(result.unchanged) == len(sample_cases)
    assert store.counts() == before


def test_changed_case_replaces_what_changed(store, sample_cases):
    kent = copy.deepcopy(next(c for c in sample_cases if c.id == "2023-201455"))
    kent.recommendations[1].response = "Body-worn video is now checked at every cell entry."
    kent.recommendations[1].status = "accepted"
    del kent.recommendations[0]
    before = store.counts()
    assert store.write_cases([kent]).written == ["2023-201455"]
    after = store.counts()
    assert after["Recommendation"] == before["Recommendation"] - 1
    assert after["Response"] == before["Response"]  # one response gone with its rec, one arrived
    assert store.case_record("2023-201455").to_dict() == kent.to_dict()
    assert "2023-201455-2" not in store.deadlines(on=TODAY)["overdue"]


def test_case_record_round_trips(store, sample_cases):
    for case in sample_cases:
        assert store.case_record(case.id).to_dict() == case.to_dict()


@pytest.mark.parametrize("force_id", ["essex", "kent", "norfolk", "suffolk", "greater-manchester", "west-yorkshire"])
def test_force_profile(store, sample_cases, force_id):
    profile = store.force_profile(force_id, on=TODAY)
    mine = oracle.force_recs(sample_cases, force_id)
    assert profile["recommendations"] == len(mine)
    assert profile["cases"] == len({c.id for c, _ in mine})
    assert profile["by_status"] == dict(sorted(__import__("collections").Counter(r.status for _, r in mine).items()))
    expected_programmes = __import__("collections").Counter(p.id for _, r in mine for p in {p.id: p for p in r.programmes}.values())
    assert {p["id"]: p["recommendations"] for p in profile["programmes"]} == dict(expected_programmes)
    assert profile["overdue"] == sorted(c.recommendation_id(r) for c, r in mine if oracle.is_overdue(c, r, TODAY.isoformat()))


def test_programme_profile_reaches_every_force(store, sample_cases):
    profile = store.programme_profile("athena")
    expected = oracle.programme_forces(sample_cases)["athena"]
    assert {f["id"] for f in profile["forces"]} == expected
    assert {"essex", "kent", "norfolk", "suffolk", "hertfordshire"} <= expected
    assert "warwickshire" in profile["users"]


def test_body_profile(store, sample_cases):
    profile = store.body_profile("college-of-policing")
    expected = sorted(c.recommendation_id(r) for c, r in oracle.recs(sample_cases) if any(a.id == "college-of-policing" for a in r.addressed_to))
    assert profile["addressed_to"] == expected


@pytest.mark.parametrize("kind", ["programme", "theme"])
def test_cross_force_spread(store, sample_cases, kind):
    rows = store.spread(kind, min_forces=2)
    expected = {k: v for k, v in oracle.programme_forces(sample_cases, kind).items() if len(v) >= 2}
    assert {r["id"]: set(r["force_ids"]) for r in rows} == expected
    assert [r["forces"] for r in rows] == sorted((r["forces"] for r in rows), reverse=True)
    if kind == "programme":
        assert rows[0]["id"] == "athena"


def test_force_similarity(store, sample_cases):
    rows = store.similar_forces("essex", limit=50)
    assert {r["id"]: r["score"] for r in rows} == oracle.similar(sample_cases, "essex")
    assert "athena" in rows[0]["shared_programmes"]


def test_force_copies_follow_rewrites_and_deletes(store, sample_cases):
    # What each force reaches is a copy the writer keeps on the Force node (similarity, the overview,
    # a force's programmes and themes): a case moved to another force, a case rewritten without its
    # programmes, themes and bodies, and a deleted case must all show.
    by_id = {c.id: c for c in sample_cases}
    kent = by_id["2023-201455"].force
    moved = by_id["2022-178839"]  # Essex's one case, now Kent's: Essex reaches nothing
    moved.force = copy.deepcopy(kent)
    college = next(b for c in sample_cases for r in c.recommendations for b in r.addressed_to if b.id == "college-of-policing")
    moved.recommendations[0].addressed_to.append(copy.deepcopy(college))  # and now addressed to a body too
    bare = by_id["x-6412c0265ab7"]  # Kent's other case, rewritten with no programme or theme
    for rec in bare.recommendations:
        rec.programmes, rec.themes, rec.mentions, rec.addressed_to, rec.linked_bodies = [], [], [], [], []
    result = store.write_cases([moved, bare])
    assert sorted(result.written) == ["2022-178839", "x-6412c0265ab7"]
    gone = next(c for c in sample_cases if c.force and c.force.id == "norfolk")
    store.delete_cases([gone.id])
    left = [c for c in sample_cases if c.id != gone.id]
    for force in ("kent", "suffolk", "norfolk", "essex"):
        assert {r["id"]: r["score"] for r in store.similar_forces(force, limit=50)} == oracle.similar(left, force), force
    assert store.similar_forces("essex") == [] and "norfolk" not in {r["id"] for r in store.similar_forces("kent", limit=50)}
    kinds = ("programme", "theme", "addressed_to", "linked_body")
    answer = store.overview(kinds, max_edges=10_000)
    weights = {(e["source"], e["target"], e["type"]): e["weight"] for e in answer["edges"]}
    assert weights == dict(oracle.overview_weights(left))
    assert {"addressed_to", "linked_body"} <= {e["type"] for e in answer["edges"]}
    assert weights["force:kent", "body:college-of-policing", "addressed_to"] == 1
    assert {n["id"]: n["recommendations"] for n in answer["nodes"] if n["label"] == "Force"} == \
        dict(Counter(c.force.id for c, _ in oracle.recs(left) if c.force))
    spans = oracle.dependency_spans(left)  # a deferral's span counts the forces a programme reaches
    assert {(r["label"], r["id"]): set(r["forces_spanned"]) for r in store.shared_dependencies(min_forces=1)} == spans
    for kind in ("programme", "theme"):  # which forces each reaches
        got = {r["id"]: set(r["force_ids"]) for r in store.spread(kind, 1, limit=1000)}
        assert got == dict(oracle.programme_forces(left, kind)), kind
    for force in ("kent", "essex", "suffolk"):
        profile = store.force_profile(force)
        want = Counter(p.id for _, r in oracle.force_recs(left, force) for p in {p.id: p for p in r.programmes}.values())
        assert {p["id"]: p["recommendations"] for p in profile["programmes"]} == dict(want), force
        want = Counter(t for _, r in oracle.force_recs(left, force) for t in set(r.themes))
        assert {t["id"]: t["recommendations"] for t in profile["themes"]} == dict(want), force


def test_both_plans_for_a_reach_agree_on_each_store(store):
    # Each store runs the faster of two plans for a programme's or theme's reach; both must answer alike.
    from graph import cypher

    def groups(kind, id, walk):
        rows = store._read(cypher.REACH_RECS[kind, walk], {"id": id})
        return sorted((r["force_id"] or "", r["status"], r["n"], r["first_year"] or 0, r["last_year"] or 0, tuple(sorted(r["ids"]))) for r in rows)

    for kind, id in (("programme", "athena"), ("programme", "operation-soteria"), ("theme", "custody"), ("theme", "training")):
        assert groups(kind, id, False) == groups(kind, id, True), (kind, id)
    assert groups("programme", "athena", False)


def test_cooccurrence(store, sample_cases):
    rows = store.cooccurrence(limit=1000)
    assert {(r["a"], r["b"]): r["count"] for r in rows} == dict(oracle.cooccurrence(sample_cases))


def test_deadlines(store, sample_cases):
    answer = store.deadlines(on=TODAY)
    expected = sorted(c.recommendation_id(r) for c, r in oracle.recs(sample_cases) if oracle.is_overdue(c, r, TODAY.isoformat()))
    assert sorted(r["rec_id"] for r in answer["overdue"]) == expected
    assert "2023-201455-2" in expected  # Kent's awaited response


def test_deadlines_limited_or_for_one_force_agree_with_the_whole_list(store):
    # The API's default (the longest overdue 100) and a force's list are counted and cut in the store.
    whole = store.deadlines(on=TODAY)
    assert whole["total"] == len(whole["overdue"]) >= 3
    first = store.deadlines(on=TODAY, limit=2)
    assert first["overdue"] == whole["overdue"][:2]
    assert (first["total"], first["per_force"]) == (whole["total"], whole["per_force"])
    for row in whole["per_force"]:
        mine = [r for r in whole["overdue"] if r["force_id"] == row["id"]]
        one = store.deadlines(on=TODAY, force_id=row["id"])
        assert one["overdue"] == mine and one["total"] == row["overdue"] == len(mine)
        assert store.deadlines(on=TODAY, force_id=row["id"], limit=1)["overdue"] == mine[:1]


def test_acceptance_by_year_counts_what_by_force_counts(store, sample_cases):
    by_year, by_force = store.acceptance("year"), store.acceptance("force")
    statuses = ("accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown")
    assert {s: sum(r[s] for r in by_year) for s in statuses} == {s: sum(r[s] for r in by_force) for s in statuses}
    years = __import__("collections").Counter(c.year for c, _ in oracle.recs(sample_cases))
    assert {r["year"]: r["total"] for r in by_year} == dict(years)


def test_theme_profile_reaches_what_its_recommendations_reach(store, sample_cases):
    profile = store.theme_profile("custody")
    expected = oracle.programme_forces(sample_cases, "theme")["custody"]
    assert {f["id"] for f in profile["forces"]} == expected
    assert profile["recommendations"] == len(profile["recommendation_ids"]) == sum(profile["by_status"].values())


def test_acceptance_by_force(store, sample_cases):
    rows = store.acceptance("force")
    table = oracle.acceptance_by_force(sample_cases)
    for row in rows:
        assert {s: row[s] for s in table[row["force"]]} == dict(table[row["force"]])
    assert sum(r["total"] for r in rows) == sum(len(c.recommendations) for c in sample_cases)


def test_shared_dependencies(store, sample_cases):
    rows = store.shared_dependencies(min_forces=2)
    spans = oracle.dependency_spans(sample_cases)
    assert {(r["label"], r["id"]): set(r["forces_spanned"]) for r in rows} == {k: v for k, v in spans.items() if len(v) >= 2}
    athena = next(r for r in rows if r["id"] == "athena-governance-group")
    assert {"essex", "kent", "norfolk", "suffolk"} <= set(athena["deferring_forces"])
    assert len(athena["forces_spanned"]) >= 9


def test_neighbourhood(store):
    nb = store.neighbourhood("Case", "2022-178839", depth=1)
    keys = {n["key"] for n in nb["nodes"]}
    assert {"case:2022-178839", "force:essex", "recommendation:2022-178839-1", "recommendation:2022-178839-4"} <= keys
    assert all({"source", "target", "type"} <= set(e) for e in nb["edges"])
    capped = store.neighbourhood("Force", "essex", depth=3, max_nodes=20)
    assert len(capped["nodes"]) == 20 and capped["truncated"]
    with pytest.raises(QueryRefused):
        store.neighbourhood("Force", "essex", depth=4)


def test_shortest_path_between_two_forces(store):
    paths = store.paths(("Force", "essex"), ("Force", "kent"))
    assert paths and paths[0]["length"] == 2
    assert paths[0]["nodes"][0]["key"] == "force:essex" and paths[0]["nodes"][-1]["key"] == "force:kent"
    assert all(p["length"] == 2 for p in paths)


def test_unknown_ids_raise_not_found(store):
    with pytest.raises(NotFound):
        store.force_profile("atlantis")
    with pytest.raises(NotFound):
        store.paths(("Force", "essex"), ("Force", "atlantis"))


@pytest.mark.parametrize("query", [
    "CREATE (n:Force {id: 'x'})", "MATCH (n:Force) SET n.name = 'x'", "MATCH (n:Force) DETACH DELETE n",
    "MERGE (n:Force {id: 'x'})", "MATCH (n:Force) REMOVE n.name", "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "CALL db.labels()", "match (n:Force) set n.name = 'x'",
])
def test_read_only_query_refuses_writes(store, query):
    before = store.counts()
    with pytest.raises(QueryRefused):
        store.read_only_query(query)
    assert store.counts() == before


def test_read_only_query_caps_rows(store):
    result = store.read_only_query("MATCH (f:Force) RETURN f.id AS id ORDER BY id", max_rows=5)
    assert len(result["rows"]) == 5 and result["truncated"]
    assert store.read_only_query("MATCH (f:Force) WHERE f.name = 'SET' RETURN f.id")["rows"] == []


def test_a_read_only_query_past_its_limit_is_a_timeout_and_the_store_goes_on(store):
    """Both stores: the runaway query is stopped at its limit as a timeout (on LadybugDB a second
    ROLLBACK of the interrupted transaction used to turn it into a confusing "query failed")."""
    with pytest.raises(QueryTimeout):
        store.read_only_query("MATCH p = (a)-[*1..8]-(b) RETURN count(p) AS n", timeout_ms=300)
    assert store.read_only_query("MATCH (f:Force {id: 'essex'}) RETURN f.name AS name")["rows"] == [{"name": "Essex Police"}]


def test_generated_corpus_agrees_with_the_oracle(empty_store):
    from ingest.generator import generate

    cases = generate(300, seed=11)
    assert not empty_store.write_cases(cases).failed
    rows = empty_store.spread("programme", min_forces=2, limit=1000)
    expected = {k: v for k, v in oracle.programme_forces(cases).items() if len(v) >= 2}
    assert {r["id"]: set(r["force_ids"]) for r in rows} == expected
    assert [r["forces"] for r in rows] == sorted((r["forces"] for r in rows), reverse=True)
    assert rows[0]["forces"] == max(len(v) for v in expected.values())
    answer = empty_store.deadlines(on=TODAY)
    assert sorted(r["rec_id"] for r in answer["overdue"]) == sorted(
        c.recommendation_id(r) for c, r in oracle.recs(cases) if oracle.is_overdue(c, r, TODAY.isoformat())
    )
    assert {(r["a"], r["b"]): r["count"] for r in empty_store.cooccurrence(limit=100000)} == dict(oracle.cooccurrence(cases))
    statuses = {r.status for _, r in oracle.recs(cases)}
    assert statuses == {"accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"}


def test_generator_is_seeded_and_skewed():
    from collections import Counter

    from ingest.generator import generate

    a, b = generate(200, seed=3), generate(200, seed=3)
    assert [c.to_dict() for c in a] == [c.to_dict() for c in b]
    reach = Counter(p.id for c in a for r in c.recommendations for p in r.programmes)
    top, *_, bottom = [n for _, n in reach.most_common()]
    assert top >= 5 * bottom


def test_generated_corpora_of_independent_seeds_never_share_a_case():
    from ingest.generator import generate

    a, b = generate(2000, seed=7), generate(2000, seed=8)
    assert len({c.id for c in a}) == 2000  # and within one corpus, none twice
    assert not {c.id for c in a} & {c.id for c in b}
    assert not {s.url for c in a for s in c.sources} & {s.url for c in b for s in c.sources}
    parts = generate(300, seed=9, first=0) + generate(300, seed=10, first=300)
    assert len({c.id for c in parts}) == 600
    with pytest.raises(ValueError):
        generate(10, seed=100)


def test_a_generated_corpus_is_shaped_like_the_real_one():
    """At 2k cases: a few national programmes reach (nearly) every force, most programmes a handful,
    Athena only its nine consortium forces; forces are alike in parts (Jaccard of what their
    recommendations reach), not all alike as a corpus drawn from one pool was (0.86-0.91)."""
    import itertools
    import statistics

    from ingest.generator import NATIONAL, generate
    from ontology.gazetteer import gazetteer

    cases = generate(2000, seed=7)
    reach, reached = defaultdict(set), defaultdict(set)
    for c in cases:
        for r in c.recommendations:
            for p in r.programmes:
                reach[p.id].add(c.force.id)
                reached[c.force.id].add(("programme", p.id))
            reached[c.force.id].update(("theme", t) for t in r.themes)
    n_forces = len(reached)
    broad = {p for p, fs in reach.items() if len(fs) >= 0.9 * n_forces}
    assert broad and broad <= set(NATIONAL)
    assert statistics.median(len(fs) for fs in reach.values()) <= 5
    assert reach["athena"] == set(gazetteer().get("Programme", "athena").extra["users"]) and len(reach["athena"]) == 9
    jaccard = [len(reached[x] & reached[y]) / len(reached[x] | reached[y]) for x, y in itertools.combinations(sorted(reached), 2)]
    assert 0.3 < statistics.median(jaccard) < 0.75 and min(jaccard) < 0.5


@pytest.mark.parametrize("query", ["CREATE (n:Force {id: 'x'})", "MATCH (n:Force) SET n.name = 'x'", "MATCH (n:Force) DETACH DELETE n"])
def test_the_store_read_only_mode_refuses_writes_without_the_keyword_guard(store, query):
    # The keyword check is the first line of defence; the store's read-only transaction is the second.
    before = store.counts()
    with pytest.raises(QueryRefused):
        store._read_only(query, {}, 10, 5000)
    assert store.counts() == before


def test_memoised_answers_follow_writes(store, sample_cases):
    first = store.spread("programme", 1)
    first[0]["forces"] = -1  # a caller changing its copy changes nothing stored
    assert store.spread("programme", 1)[0]["forces"] != -1
    essex = next(c for c in sample_cases if c.id == "2022-178839")
    before = {r["id"]: r["recommendations"] for r in store.spread("theme", 1)}
    essex.recommendations = essex.recommendations[:1]
    store.write_cases([essex])
    after = {r["id"]: r["recommendations"] for r in store.spread("theme", 1)}
    assert after != before


def test_warm_asks_every_question_and_keeps_the_time_limit(store):
    store.timeout_ms = 1234
    store.warm()
    assert store.timeout_ms == 1234
    assert store.spread("programme", 2)  # still answering, from its plans (and memo) now


def test_questions_answer_alike_when_asked_again(store):
    # Neo4j returns a query's rows collected into one record once it has run (the driver's cost per
    # record dominated); the second asking takes that path, and must answer as the first, in order.
    from graph import export

    store.memoise = False
    questions = {
        "force profile": lambda: store.force_profile("essex", on=TODAY),
        "programme profile": lambda: store.programme_profile("athena"),
        "theme profile": lambda: store.theme_profile("custody"),
        "spread": lambda: store.spread("programme", 1),
        "similar": lambda: store.similar_forces("kent", limit=50),
        "cooccurrence": lambda: store.cooccurrence(limit=3),
        "neighbourhood": lambda: store.neighbourhood("Force", "essex", 2, 40),
        "deadlines": lambda: store.deadlines(on=TODAY, limit=2),
        "acceptance": lambda: store.acceptance("year"),
        "shared dependencies": lambda: store.shared_dependencies(),
        "overview": lambda: store.overview(max_edges=10),
        "nodes in order": lambda: store.list_nodes("Force", skip=3, limit=5),
        "cases of a force": lambda: export.case_ids_for(store, force="essex"),
        "counts": lambda: store.counts(),
    }
    first = {name: ask() for name, ask in questions.items()}
    assert first["nodes in order"] and first["deadlines"]["overdue"] and first["cases of a force"]
    for name, ask in questions.items():
        assert ask() == first[name], name


def test_force_copies_hold_when_a_writer_read_an_older_state(store, sample_cases):
    # Two servers on one Neo4j: B read a case's stored state before A moved it to another force, then
    # B writes it (to a third force) from that older state. The force A moved it to must not keep
    # counting it: the write transaction recomputes the forces it finds, not only those B expected.
    by_id = {c.id: c for c in sample_cases}
    case = by_id["2022-178839"]  # Essex's
    stale = {r["id"]: r for r in store._read(cypher.CASE_STATE, {"ids": [case.id]})}
    moved = copy.deepcopy(case)
    moved.force = copy.deepcopy(by_id["2023-201455"].force)  # A: now Kent's
    store.write_cases([moved])
    again = copy.deepcopy(case)
    again.force = copy.deepcopy(next(c.force for c in sample_cases if c.force and c.force.id == "suffolk"))
    store._replace([again], stale, {})  # B: to Suffolk, from the state it read before A's write
    left = [again if c.id == case.id else c for c in sample_cases]
    answer = store.overview(("programme", "theme", "addressed_to", "linked_body"), max_edges=10_000)
    assert {(e["source"], e["target"], e["type"]): e["weight"] for e in answer["edges"]} == dict(oracle.overview_weights(left))
    for force in ("kent", "essex", "suffolk"):
        assert {r["id"]: r["score"] for r in store.similar_forces(force, limit=50)} == oracle.similar(left, force), force


def _essex_years(sample_cases, years):
    """The seed case again under other references and dates (written by this test), so Essex's
    neighbourhood holds more recommendations than a small cap keeps."""
    import copy

    seed = next(c for c in sample_cases if c.force and c.force.id == "essex")
    out = []
    for n, year in enumerate(years):
        case = copy.deepcopy(seed)
        case.reference = f"{year}/9{n:05d}"
        case.date_recommended = f"{year}-03-0{1 + n % 9}"
        case.response_due = None
        case.source_url = f"https://example.org/essex-{year}-{n}"
        case.sources = []
        out.append(case)
    return out


@pytest.mark.parametrize("rank", ["recent", "weight", "id"])
def test_a_cut_neighbourhood_keeps_what_its_rank_puts_first_and_says_how_many_there_are(empty_store, sample_cases, rank):
    cases = _essex_years(sample_cases, [2014, 2015, 2016, 2019, 2021, 2023, 2024, 2026])
    assert not empty_store.write_cases(sample_cases + cases).failed
    full = empty_store.neighbourhood("Force", "essex", 1, None)
    assert not full["truncated"] and full["total_nodes"] == len(full["nodes"]) and full["total_edges"] == len(full["edges"])
    cut = empty_store.neighbourhood("Force", "essex", 1, 6, rank=rank)
    assert cut["truncated"] and len(cut["nodes"]) == 6 and cut["rank"] == rank
    assert (cut["total_nodes"], cut["total_edges"]) == (full["total_nodes"], full["total_edges"])
    kept = {n["key"] for n in cut["nodes"]} - {"force:essex"}
    dropped = [n for n in full["nodes"] if n["key"] not in kept and n["key"] != "force:essex"]
    chosen = [n for n in full["nodes"] if n["key"] in kept]
    if rank == "recent":
        newest_dropped = max((n.get("date_recommended") or "" for n in dropped), default="")
        assert all((n.get("date_recommended") or "") >= newest_dropped for n in chosen)
        assert any(n["key"].startswith(("case:2026", "recommendation:2026")) for n in chosen)  # not the oldest, as by id
    elif rank == "weight":
        degree = Counter(k for e in full["edges"] for k in (e["source"], e["target"]) if "force:essex" in (e["source"], e["target"]))
        assert min(degree[k] for k in kept) >= max(degree[n["key"]] for n in dropped)
    else:
        assert sorted(kept) == sorted(n["key"] for n in full["nodes"] if n["key"] != "force:essex")[:5]
