"""The explorer's History timeline on a recommendation page, in a real Chromium against a real server,
for a recommendation whose page two crawls saw change (archived with ingest/archive.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from ingest.archive import ArchiveWriter
from tests.conftest import served
from tests.crawl.site import ESSEX_ACCEPTED, ESSEX_AWAITING, page_html
from tests.web.browser import FLAGS, chromium_or_skip

pw = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: pip install -e '.[test]'")
URL = "http://127.0.0.1:9/our-work/learning/recommendation-essex-police-march-2025"


def test_recommendation_page_shows_the_history_of_its_status(tmp_path):
    executable = chromium_or_skip()
    w = ArchiveWriter(tmp_path / "warc")
    for day, text in ((1, ESSEX_AWAITING), (9, ESSEX_ACCEPTED)):
        w.exchange("GET", URL, {}, 200, "OK", [("Content-Type", "text/html")], page_html(text), datetime(2026, 3, day, tzinfo=timezone.utc))
    w.close()
    sources = tmp_path / "sources.yaml"
    sources.write_text("t:\n  label: T\n  start: ['http://127.0.0.1:9/']\n  pages: ['/our-work/learning/recommendation-[a-z0-9-]+']\n")
    env = {"IOPC_KG_SOURCES_FILE": str(sources)}
    data = tmp_path / "data"
    done = subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(tmp_path / "warc")],
                          capture_output=True, text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    errors: list[str] = []
    with served(data, env=env) as (base, _, _), pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        page = browser.new_page(base_url=base)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(20_000)
        page.goto("/#/recommendation/2024-300001-1")
        page.wait_for_selector("ol.timeline li")
        items = page.locator("ol.timeline li").all_inner_texts()
        browser.close()
    assert not errors
    assert len(items) == 2
    assert items[0].startswith("2026-03-01") and "first seen" in items[0]
    assert items[1].startswith("2026-03-09") and "status+response changed" in items[1] and "custody bulletin" in items[1]
