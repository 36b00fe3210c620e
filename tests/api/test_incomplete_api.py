"""The API says when a case is header-only (incomplete) and shows what the parser noticed about a
recommendation, such as a status label its response disagrees with (the label stands)."""


def test_header_only_case_says_it_is_incomplete(client):
    listing = [c for c in (client.get(f"/cases/{cid}") for cid in ("2022-301122",))]
    [resp] = listing
    assert resp.status_code == 200
    case = resp.json()
    assert case["incomplete"] is True and case["recommendations"] == []
    assert case["title"].startswith("Recommendations - Northumbria Police")
    assert any(w.startswith("header only") for w in case["warnings"])


def test_complete_case_is_not_incomplete_and_keeps_the_force_reference_as_an_alias(client):
    case = client.get("/cases/2021-155873").json()
    assert case["incomplete"] is False and case["aliases"] == ["PC/04412/21"]
    assert case["title"] == "Recommendations - Metropolitan Police Service, June 2021"


def test_recommendation_shows_the_label_that_stands_and_the_disagreement(client):
    hits = client.get("/search", params={"q": "partially accept", "force": "greater-manchester"}).json()["hits"]
    rec = client.get(f"/recommendations/{hits[0]['id']}").json()
    assert rec["case_incomplete"] is False
    assert rec["status"] == "not_accepted" and rec["status_label"] == "No"
    assert any("disagrees" in w and "the label stands" in w for w in rec["warnings"])
