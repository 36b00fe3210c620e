"""WARC in and out: request and response records with their dates, revisits for 304s, a damaged
tail survived, and `iopc-kg parse` / `ingest` reading archives as they read pages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from api.cli import main
from ingest.archive import ArchiveWriter, read_archive
from tests.crawl.site import KENT, page_html

WHEN = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
URL = "http://127.0.0.1:9/our-work/learning/recommendation-kent-police-november-2024"


def _write(directory):
    w = ArchiveWriter(directory)
    first = w.exchange("GET", URL, {"User-Agent": "iopc-kg/test"}, 200, "OK",
                       [("Content-Type", "text/html"), ("ETag", '"k1"'), ("Transfer-Encoding", "chunked")], page_html(KENT), WHEN)
    again = w.exchange("GET", URL, {"If-None-Match": '"k1"'}, 304, "Not Modified", [("ETag", '"k1"')], b"",
                       WHEN.replace(day=2), revisit_of=first)
    w.close()
    return w.path, first, again


def test_exchanges_are_written_as_response_request_and_revisit_records(tmp_path):
    path, first, again = _write(tmp_path)
    with open(path, "rb") as f:
        kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Date")) for r in ArchiveIterator(f)]
    assert [k for k, _ in kinds] == ["warcinfo", "response", "request", "revisit", "request"]
    assert kinds[1][1] == "2026-03-01T09:30:15.123456Z"
    records = list(read_archive(path))
    assert [(r.kind, r.status) for r in records] == [("response", 200), ("revisit", 304)]
    assert records[0].offset == first.offset and records[0].body == page_html(KENT)
    assert records[1].refers_to_date == first.date and records[1].digest == first.digest


def test_a_damaged_tail_keeps_the_records_before_it(tmp_path):
    path, first, again = _write(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:again.offset + 40])  # a crawl killed while writing the revisit
    records = list(read_archive(path))
    assert [r.kind for r in records] == ["response"]


def test_parse_and_ingest_read_archives_like_pages(tmp_path):
    _write(tmp_path / "warc")
    sources = tmp_path / "sources.yaml"
    sources.write_text("t:\n  label: T\n  start: ['http://127.0.0.1:9/']\n  pages: ['/our-work/learning/recommendation-[a-z0-9-]+']\n")
    env = {"IOPC_KG_SOURCES_FILE": str(sources)}
    parsed = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "parse", str(tmp_path / "warc")], env=env)
    assert parsed.exit_code == 0, parsed.output
    case = json.loads(parsed.stdout)
    assert case["reference"] == "2024/300002"
    assert case["sources"][0]["retrieved"] == "2026-03-02T09:30:15.123456Z" and case["sources"][0]["offset"] > 0
    [seen] = case["recommendations"][0]["history"]
    assert (seen["first_seen"], seen["last_seen"], seen["status"]) == ("2026-03-01T09:30:15.123456Z", "2026-03-02T09:30:15.123456Z", "accepted")
    ingested = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "ingest", "--json", str(tmp_path / "warc")], env=env)
    assert ingested.exit_code == 0, ingested.output
    assert json.loads(ingested.stdout)["cases"] == 1
