"""Uploads of our JSON records and pages over HTTP, against the shared store and index (both stores):
a bad record fails alone and is named (file, record, field) while the rest is written; a mention
without a character span is written; an upload cannot rename what the gazetteers declare; a page
uploaded again leaves no orphan Source; no answer shows a server path; CSV cells are neutralised."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.deps import Services
from api.formats import safe_cell
from tests.conftest import SAMPLES

KEY = "records-test-key"
KENT = SAMPLES / "kent-police-2024-11.txt"


@pytest.fixture(scope="module")
def writer(services):
    """A client of an app with an API key over the shared store and index (they are written)."""
    keyed = services.settings.model_copy(update={"api_key": SecretStr(KEY)})
    with TestClient(create_app(keyed, Services(keyed, services.store, services.index, services.engine)),
                    base_url="http://127.0.0.1") as c:
        yield c


def upload(client, *files: tuple[str, bytes]) -> dict:
    r = client.post("/ingest", headers={"X-API-Key": KEY}, files=[("files", f) for f in files])
    assert r.status_code == 200, r.text
    return r.json()


def record(reference: str, **changes) -> dict:
    """A case record in our JSON schema, from the Kent sample's golden file."""
    [golden] = json.loads((SAMPLES / "kent-police-2024-11.expected.json").read_text())
    out = copy.deepcopy(golden)
    out.pop("id")
    for rec in out["recommendations"]:
        rec.pop("id")
    out |= {"reference": reference, "sources": [{"url": f"https://example.org/test/{reference}", "path": None, "layout": "JSON"}]}
    out |= changes
    return out


def jsonl(*records) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode()


def test_a_bad_record_fails_alone_named_by_file_record_and_field(writer):
    summary = upload(writer, ("batch.jsonl", jsonl(record("2023/910001"), record("2023/910002", sources=[{"url": None}]),
                                                 "{not json", record("2023/910003"))),
                     ("list.json", json.dumps([record("2023/910004"), record("2023/910005", force="kent")]).encode()))
    assert summary["written"] == 3 and summary["cases"] == 3
    failures = {f["path"]: f["message"] for f in summary["failures"]}
    assert set(failures) == {"batch.jsonl:2", "batch.jsonl:3", "list.json[1]"}, failures
    assert "sources[0].url" in failures["batch.jsonl:2"]
    assert "line 3 is not JSON" in failures["batch.jsonl:3"]
    assert "force" in failures["list.json[1]"]
    for ref in ("2023-910001", "2023-910003", "2023-910004"):
        assert writer.get(f"/cases/{ref}").status_code == 200
    assert writer.get("/cases/2023-910002").status_code == 404
    assert writer.get("/search", params={"q": 'reference:"2023/910003"'}).json()["total"] == 2


def test_programme_mentions_without_a_character_span_are_written(writer):
    rec = record("2023/910010")
    for r in rec["recommendations"]:
        r["mentions"] = [{"kind": "Programme", "id": "athena", "field": "text", "start": None, "end": None, "surface": None}]
    summary = upload(writer, ("nospan.jsonl", jsonl(rec)))
    assert summary["written"] == 1 and summary["failures"] == [], summary
    graph = writer.get("/graph/neighbourhood", params={"node": "recommendation:2023-910010-1", "depth": 1}).json()
    assert "programme:athena" in {n["key"] for n in graph["nodes"]}


def test_an_upload_cannot_rename_what_the_gazetteers_declare(writer, services):
    rec = record("2023/910020", force={"id": "kent", "name": "Pwned Police"})
    rec["recommendations"][0]["addressed_to"] = [{"id": "college-of-policing", "name": "Pwned College", "kind": "Body"}]
    rec["recommendations"][0]["programmes"] = [{"id": "athena", "name": "Pwned", "kind": "unit", "new": True}]
    summary = upload(writer, ("rename.jsonl", jsonl(rec)))
    assert summary["written"] == 1, summary
    case = writer.get("/cases/2023-910020").json()
    assert "Pwned" not in json.dumps(case)
    assert case["force"]["name"] == "Kent Police"
    assert any("gazetteer" in w for w in case["warnings"])
    # The nodes themselves (one lookup each: a force profile's many questions can meet the query
    # time limit on a busy Neo4j, which is not what this test is about).
    assert services.store.get_node("Force", "kent")["name"] == "Kent Police"
    assert services.store.get_node("Programme", "athena")["name"] == "Athena"
    assert services.store.get_node("Body", "college-of-policing")["name"] == "College of Policing"


def test_uploading_a_page_again_replaces_it_and_a_copy_is_a_second_source(writer):
    """A place read again replaces what it gave; the same text read at another place (a copy under
    another name) is a second source of the case, as it is when both come in one upload."""
    sources = lambda: writer.get("/stats").json()["counts"]["Source"]  # noqa: E731
    page = KENT.read_bytes()
    upload(writer, ("other.txt", b"nothing to see"), ("kent-police-2024-11.txt", page))
    before = sources()
    again = upload(writer, ("kent-police-2024-11.txt", page))
    assert again["unchanged"] == 1 and again["written"] == 0 and sources() == before
    copied = upload(writer, ("kent-copy.txt", page))
    assert copied["written"] == 1 and sources() == before + 1
    case = writer.get("/cases/2023-201455").json()
    assert sorted(s["path"] for s in case["sources"]) == ["kent-copy.txt", "kent-police-2024-11.txt"]
    assert upload(writer, ("kent-copy.txt", page))["unchanged"] == 1 and sources() == before + 1


def test_no_answer_shows_a_server_path(writer, api_settings):
    summary = upload(writer, ("junk.txt", b"\x00\x01 nothing here"), ("bad.jsonl", b"{"))
    stats = writer.get("/stats").text
    case = writer.get("/cases/2023-201455").text
    for text in (json.dumps(summary), stats, case):
        assert str(api_settings.data_dir) not in text and "/uploads/" not in text and "/tmp" not in text, text[:2000]
    assert {f["path"] for f in summary["failures"]} == {"junk.txt", "bad.jsonl:1"}
    assert json.loads(stats)["last_ingest"]["sources"] == ["junk.txt", "bad.jsonl"]
    assert not [p for p in api_settings.uploads_dir.rglob("*") if p.is_file()]  # removed after the upload


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(writer):
    rec = record("2023/910030", title="=HYPERLINK(\"http://evil.example\",\"x\")")
    rec["recommendations"][0]["text"] = "=cmd|' /C calc'!A0 the IOPC recommends zebrafinch reminders"
    rec["recommendations"][0]["status_label"] = "@SUM(1+1)"
    rec["recommendations"][1]["text"] = "-2+3+cmd|' /C calc'!A0 zebrafinch again"
    rec["recommendations"][1]["response"] = "\tTAB then zebrafinch"
    assert upload(writer, ("csv.jsonl", jsonl(rec)))["written"] == 1
    body = writer.get("/search", params={"q": "zebrafinch", "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)
    assert any(cell.startswith("'=cmd") for row in rows for cell in row.values())
    assert any(cell.startswith("'-2+3") for row in rows for cell in row.values())
    # SPARQL's CSV results too.
    query = 'SELECT ?t WHERE { ?s <http://purl.org/dc/terms/title> ?t FILTER(STRSTARTS(STR(?t), "=HYPERLINK")) }'
    sparql = writer.get("/sparql", params={"query": query, "format": "csv"})
    assert sparql.status_code == 200, sparql.text
    assert list(csv.reader(io.StringIO(sparql.text))) == [["t"], ["'=HYPERLINK(\"http://evil.example\",\"x\")"]]


@pytest.mark.parametrize("raw, out", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
                                      ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), (-1, -1), (2.5, 2.5), (None, None)])
def test_safe_cell(raw, out):
    assert safe_cell(raw) == out
