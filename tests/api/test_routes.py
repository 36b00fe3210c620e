"""Every route through the app, with answers checked against the store and the records."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

ERROR_KEYS = {"status", "code", "message", "details"}


def test_health_and_stats(client, services):
    health = client.get("/health").json()
    assert {k: health[k] for k in ("status", "store", "index")} == {"status": "ok", "store": "ok", "index": "ok"}
    services.engine.warm()
    assert client.get("/health").json()["warm"] is True
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "warm": True}
    stats = client.get("/stats").json()
    assert stats["store"] == services.settings.store
    assert stats["counts"] == services.store.counts()
    assert stats["index"]["documents"] == stats["counts"]["Recommendation"] and stats["index"]["bytes"] > 0
    assert stats["last_ingest"]["cases"] == stats["counts"]["Case"]


def test_readiness_is_503_until_the_search_tables_are_built(client, services):
    services.index.forget("facets")
    services.index.forget("lengths")
    assert client.get("/health/ready").status_code == 503
    services.engine.warm(search_only=True)
    assert client.get("/health/ready").status_code == 200


def test_case_and_recommendation_link_to_each_other(client):
    case = client.get("/cases/2022-178839").json()
    assert case["reference"] == "2022/178839" and case["force"]["id"] == "essex"
    assert "/recommendations/2022-178839-3" in case["links"]["recommendations"]
    rec = client.get("/recommendations/2022-178839-3", params={"on": "2026-11-26"}).json()
    assert rec["case_id"] == "2022-178839" and rec["links"]["case"] == "/cases/2022-178839"
    assert "athena" in {p["id"] for p in rec["programmes"]}
    assert "/programmes/athena" in rec["links"]["programmes"]
    assert rec["defers_to"] and rec["defers_to"][0]["id"] == "athena-governance-group"
    for url in [rec["links"]["force"], rec["links"]["similar"], *rec["links"]["programmes"]]:
        assert client.get(url).status_code == 200


def test_overdue_flag_follows_the_date(client):
    rec = "2024-208113-1"  # Devon and Cornwall, awaiting, due 2024-08-06
    assert client.get(f"/recommendations/{rec}", params={"on": "2024-08-01"}).json()["overdue"] is False
    later = client.get(f"/recommendations/{rec}", params={"on": "2024-09-05"}).json()
    assert later["overdue"] is True and later["days_overdue"] == 30


def test_lists_page_and_export_csv(client, services):
    first = client.get("/forces", params={"page_size": 10}).json()
    assert first["count"] == services.store.counts()["Force"] and len(first["data"]) == 10
    assert first["links"]["next"] and first["links"]["prev"] is None
    second = client.get(first["links"]["next"]).json()
    assert not {f["id"] for f in first["data"]} & {f["id"] for f in second["data"]}
    essex = next(f for f in client.get("/forces", params={"page_size": 100}).json()["data"] if f["id"] == "essex")
    assert essex["recommendations"] == 3 and essex["police_uk_id"] == "essex"
    response = client.get("/forces", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == first["count"] and {"id", "name", "recommendations"} <= set(rows[0])
    for url in ("/programmes", "/themes", "/bodies"):
        listing = client.get(url).json()
        assert listing["count"] > 0 and all(client.get(i["links"]["self"]).status_code == 200 for i in listing["data"][:3])


def test_profiles_match_the_store(client, services):
    store = services.store
    force = client.get("/forces/essex", params={"on": "2026-11-26"}).json()
    from datetime import date

    profile = store.force_profile("essex", on=date(2026, 11, 26))
    assert force["recommendations"] == profile["recommendations"] and force["overdue"] == profile["overdue"]
    assert force["similar_forces"] == store.similar_forces("essex", limit=10)
    programme = client.get("/programmes/athena").json()
    assert {f["id"] for f in programme["forces"]} == {"essex", "kent", "norfolk", "suffolk", "hertfordshire"}
    body = client.get("/bodies/college-of-policing").json()
    assert body["addressed_to"] == store.body_profile("college-of-policing")["addressed_to"]
    theme = client.get("/themes/custody").json()
    assert theme["recommendations"] == store.theme_profile("custody")["recommendations"] > 0


def test_search_route_has_every_capability(client):
    r = client.get("/search", params={"q": "reminder", "force": ["essex", "kent"], "status": "accepted", "page_size": 5}).json()
    assert r["total"] >= 1 and all(h["force"]["id"] in ("essex", "kent") and h["status"] == "accepted" for h in r["hits"])
    assert {f["value"] for f in r["facets"]["force"] if f["selected"]} == {"essex", "kent"}
    assert any("<mark" in s for h in r["hits"] for s in h["snippets"].values())
    assert client.get("/search", params={"q": "soteira"}).json()["did_you_mean"] == "soteria"
    newest = client.get("/search", params={"sort": "newest", "page_size": 50}).json()["hits"]
    dates = [h["date_recommended"] for h in newest if h["date_recommended"]]
    assert dates == sorted(dates, reverse=True)
    assert client.get("/search", params={"q": '"governance group'}).json()["notice"]
    dangling = client.get("/search", params={"q": "Essex AND"})
    assert dangling.json()["notice"] and "AND" in dangling.headers["X-Query-Notice"] and dangling.json()["total"] > 0
    assert "X-Query-Notice" not in client.get("/search", params={"q": "Essex"}).headers
    rows = list(csv.DictReader(io.StringIO(client.get("/search", params={"q": "athena", "format": "csv"}).text)))
    assert rows and {"id", "reference", "force.id", "score"} <= set(rows[0])


def test_similar_and_clusters(client):
    similar = client.get("/recommendations/2021-155873-1/similar", params={"limit": 2}).json()["similar"]
    assert {h["force"]["id"] for h in similar} == {"avon-and-somerset", "devon-and-cornwall"}
    clusters = client.get("/clusters", params={"min_forces": 3, "threshold": 0.4}).json()
    assert any(set(c["forces"]) == {"metropolitan", "avon-and-somerset", "devon-and-cornwall"} for c in clusters)


def test_pattern_routes_answer_as_the_store_does(client, services):
    store = services.store
    assert client.get("/patterns/spread", params={"min_forces": 2}).json() == store.spread("programme", 2)
    assert client.get("/patterns/spread", params={"kind": "theme"}).json() == store.spread("theme", 2)
    assert client.get("/patterns/similarity", params={"force": "essex"}).json() == store.similar_forces("essex")
    assert client.get("/patterns/cooccurrence").json() == store.cooccurrence()
    deadlines = client.get("/patterns/deadlines", params={"on": "2026-01-01"}).json()
    from datetime import date

    expected = store.deadlines(on=date(2026, 1, 1))
    assert [r["rec_id"] for r in deadlines["overdue"]] == [r["rec_id"] for r in expected["overdue"]]
    assert client.get("/patterns/acceptance", params={"by": "year"}).json() == store.acceptance("year")
    deps = client.get("/patterns/dependencies").json()
    assert deps == store.shared_dependencies() and deps[0]["id"] == "athena-governance-group"


@pytest.mark.parametrize("fmt,root", [("graphml", "graphml"), ("gexf", "gexf")])
def test_graphs_export_for_gephi(client, fmt, root):
    r = client.get("/graph/neighbourhood", params={"node": "force:essex", "format": fmt})
    assert r.status_code == 200 and root in r.headers["content-type"]
    tree = ET.fromstring(r.content)
    assert tree.tag.endswith(root)
    json_graph = client.get("/graph/neighbourhood", params={"node": "force:essex"}).json()
    xml_nodes = [e for e in tree.iter() if e.tag.endswith("}node")]
    assert len(xml_nodes) == len(json_graph["nodes"])
    spread = client.get("/patterns/spread", params={"format": fmt})
    assert spread.status_code == 200 and ET.fromstring(spread.content).tag.endswith(root)


def test_neighbourhood_and_path(client):
    graph = client.get("/graph/neighbourhood", params={"node": "programme:athena", "depth": 2}).json()
    keys = {n["key"] for n in graph["nodes"]}
    assert "programme:athena" in keys and "force:essex" in keys
    assert all(e["source"] in keys and e["target"] in keys for e in graph["edges"])
    paths = client.get("/graph/path", params={"from": "force:essex", "to": "force:kent"}).json()
    assert paths and all(p["nodes"][0]["key"] == "force:essex" and p["nodes"][-1]["key"] == "force:kent" for p in paths)


def test_cypher_is_read_only(client):
    ok = client.post("/query/cypher", json={"query": "MATCH (f:Force {id: $id}) RETURN f.name AS name", "params": {"id": "essex"}})
    assert ok.json() == {"rows": [{"name": "Essex Police"}], "truncated": False}
    for query in ("CREATE (f:Force {id: 'x'})", "MATCH (f:Force) SET f.name = 'x'", "MATCH (f) DETACH DELETE f"):
        r = client.post("/query/cypher", json={"query": query})
        assert r.status_code == 400 and set(r.json()) == ERROR_KEYS and r.json()["code"] == "query_refused"


@pytest.mark.parametrize("url,status,param", [
    ("/forces/atlantis", 404, "id"),
    ("/recommendations/nope", 404, "id"),
    ("/search?page_size=5000", 422, "page_size"),
    ("/search?sort=loudest", 422, "sort"),
    ("/graph/neighbourhood?node=force:essex&depth=9", 422, "depth"),
    ("/graph/neighbourhood?node=force:essex&max_nodes=100000", 422, "max_nodes"),
    ("/graph/neighbourhood?node=planet:mars", 422, "node"),
    ("/forces/essex?on=2024-02-30", 422, "on"),
    ("/patterns/similarity", 422, "force"),
])
def test_errors_share_one_shape_and_name_the_parameter(client, url, status, param):
    r = client.get(url)
    assert r.status_code == status
    body = r.json()
    assert set(body) == ERROR_KEYS and body["status"] == status
    assert param in body["details"], body
    assert "Traceback" not in r.text


def test_ingest_needs_the_key(client):
    r = client.post("/ingest", files={"files": ("page.txt", b"hello")})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_headers_are_sane(client):
    r = client.get("/health")
    assert "server" not in {k.lower() for k in r.headers}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in r.headers
    preflight = client.options("/search", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_openapi_documents_every_route_and_parameter(app):
    spec = app.openapi()
    assert spec["info"]["title"] == "iopc-kg" and spec["info"]["description"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") and op.get("description"), f"{method.upper()} {path} lacks a summary or description"
            for p in op.get("parameters", []):
                assert p.get("description"), f"{method.upper()} {path}: parameter {p['name']} has no description"


def test_dates_in_any_usual_spelling_and_no_internal_names(client):
    # Dates as people write them, read by the one parser the command line uses (api/dates.py).
    iso = client.get("/changes", params={"since": "2000-01-01"}).json()
    for spelling in ("01/01/2000", "1 January 2000", "1st January 2000"):
        assert client.get("/changes", params={"since": spelling}).json() == iso
    deadlines = client.get("/patterns/deadlines", params={"on": "1 June 2026"}).json()
    assert deadlines["on"] == "2026-06-01" == client.get("/patterns/deadlines", params={"on": "01/06/2026"}).json()["on"]
    bad = client.get("/changes", params={"since": "yesterdayish"})
    assert bad.status_code == 422 and "1 January 2026" in bad.json()["message"]
    # A parameter named as the client wrote it, with the value it gave (not `status.0`).
    wrong = client.get("/search", params={"status": "yes"}).json()
    assert set(wrong["details"]) == {"status"} and "'yes'" in wrong["details"]["status"] and ".0" not in wrong["message"]
    everything = client.get("/search", params={"q": "*"}).json()
    assert everything["parsed"] == "*" and "None" not in everything["parsed"]
    # The year facet is a timeline: newest first.
    years = [f["value"] for f in everything["facets"]["year"]]
    assert years == sorted(years, reverse=True) and len(years) > 2


def test_forces_side_by_side(client, services):
    rows = client.get("/patterns/compare").json()
    acceptance = {r["force"]: r for r in client.get("/patterns/acceptance").json() if r["force"]}
    assert {r["id"] for r in rows} == {f for f, r in acceptance.items() if r["total"]}
    overdue = {r["id"]: r["overdue"] for r in client.get("/patterns/deadlines").json()["per_force"]}
    for r in rows:
        a = acceptance[r["id"]]
        assert r["recommendations"] == a["total"]
        assert r["accepted_share"] == round(100 * a["accepted"] / a["total"], 1)
        assert r["awaiting_share"] == round(100 * a["awaiting_response"] / a["total"], 1)
        assert r["overdue"] == overdue.get(r["id"], 0)
    essex = next(r for r in rows if r["id"] == "essex")
    assert "Athena" in essex["top_programmes"] and len(essex["top_programmes"]) <= 3
    by_share = client.get("/patterns/compare", params={"sort": "accepted_share", "order": "asc"}).json()
    assert [r["accepted_share"] for r in by_share] == sorted(r["accepted_share"] for r in rows)
    assert all(r["recommendations"] >= 3 for r in client.get("/patterns/compare", params={"min_recommendations": 3}).json())
    table = list(csv.DictReader(io.StringIO(client.get("/patterns/compare", params={"format": "csv"}).text)))
    assert [t["id"] for t in table] == [r["id"] for r in rows]
    assert not any(v.startswith(("[", "{")) for t in table for v in t.values())
    assert client.get("/patterns/compare", params={"sort": "loudest"}).status_code == 422


@pytest.mark.parametrize("by", ["programme", "body"])
def test_programmes_and_bodies_side_by_side(client, services, by):
    """Each row counts what the stored records say: the recommendations naming the programme (or
    addressed or linked to the body), their statuses, and which of them the deadlines list overdue."""
    rows = client.get("/patterns/compare", params={"by": by}).json()
    overdue = {r["rec_id"] for r in client.get("/patterns/deadlines", params={"limit": 100_000}).json()["overdue"]}
    named: dict[str, dict[str, str]] = {}  # item id -> {recommendation id: status}
    for case in services.store.case_records():
        for rec in case.recommendations:
            items = ([p.id for p in rec.programmes] if by == "programme"
                     else [b.id for b in [*rec.addressed_to, *rec.linked_bodies] if b.kind == "Body"])
            for item in items:
                named.setdefault(item, {})[case.recommendation_id(rec)] = rec.status
    assert {r["id"] for r in rows} == set(named) and rows
    for r in rows:
        statuses = named[r["id"]]
        assert r["recommendations"] == len(statuses), r["id"]
        assert r["accepted_share"] == round(100 * sum(s == "accepted" for s in statuses.values()) / len(statuses), 1)
        assert r["overdue"] == len(set(statuses) & overdue)
        assert len(r["top_forces"]) == min(3, r["forces"])
    assert [r["recommendations"] for r in rows] == sorted((r["recommendations"] for r in rows), reverse=True)
    by_forces = client.get("/patterns/compare", params={"by": by, "sort": "forces"}).json()
    assert [r["forces"] for r in by_forces] == sorted((r["forces"] for r in rows), reverse=True)
    table = list(csv.DictReader(io.StringIO(client.get("/patterns/compare", params={"by": by, "format": "csv"}).text)))
    assert [t["id"] for t in table] == [r["id"] for r in rows] and "top_forces" in table[0]
    refused = client.get("/patterns/compare", params={"by": by, "sort": "top_programmes"})
    assert refused.status_code == 422 and "top_programmes" in refused.text


def test_a_whole_second_since_keeps_the_changes_seen_later_in_that_second():
    """`changes --since` compares ISO times as text; observations carry fractions of a second, so the
    bound `…:10Z` must not sort after `…:10.95Z` (found by the revisit tests)."""
    from api.dates import parse_since

    seen = ["2026-12-08T03:00:09.990000Z", "2026-12-08T03:00:10Z", "2026-12-08T03:00:10.950000Z", "2026-12-08T03:00:11Z"]
    bound = parse_since("2026-12-08T03:00:10Z")
    assert [t for t in seen if t >= bound] == seen[1:]
    assert parse_since("2026-12-08T03:00:10.5Z") == "2026-12-08T03:00:10.5Z"
    assert parse_since("8 December 2026") == "2026-12-08"
