"""Ingest over HTTP: only with the configured key; file names from the request never leave the data directory."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from ontology.settings import Settings
from tests.conftest import SAMPLES


def test_ingest_over_http_needs_the_right_key_and_stays_inside_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", api_key="s3cret-key", _env_file=None)
    page = (SAMPLES / "kent-police-2024-11.txt").read_bytes()
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        assert client.post("/ingest", files={"files": ("kent.txt", page)}).status_code == 401
        wrong = client.post("/ingest", files={"files": ("kent.txt", page)}, headers={"X-API-Key": "s3cret-kez"})
        assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"
        ok = client.post("/ingest", headers={"X-API-Key": "s3cret-key"},
                         files=[("files", ("../../../../tmp/evil.txt", page)), ("files", ("junk.txt", b"\x00\x01 nothing here"))])
        assert ok.status_code == 200, ok.text
        summary = ok.json()
        assert summary["cases"] == 1 and summary["written"] == 1 and len(summary["failures"]) == 1
        assert "junk.txt" in summary["failures"][0]["path"]
        assert client.get("/cases/2023-201455").json()["force"]["id"] == "kent"
        assert client.get("/search", params={"q": "cell entry"}).json()["total"] >= 1
        assert client.get("/stats").json()["last_ingest"]["cases"] == 1
    assert not (tmp_path / "evil.txt").exists()
    assert not list((tmp_path / "data" / "uploads").rglob("*.txt"))  # uploads are removed after the ingest
