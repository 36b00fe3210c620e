"""Browser-test fixtures.

- `chromium` (session): Debian's Chromium driven by Playwright (skipped with a hint when absent).
- `samples_url` (session): `iopc-kg serve` over the sample corpus.
- `corpus_url` (session): `iopc-kg serve` over a 2,000-case corpus from ingest/generator.py, built
  once per test session in a temporary directory (about a minute: the slowest fixture here).
- `viewed(url, width)`: a new page of that width with console errors and failed requests collected;
  use `page.problems` after.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import SAMPLES, served
from tests.web.browser import FLAGS, chromium_or_skip

pw = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: pip install -e '.[test]'")

CORPUS_CASES = 2000
BUILD = """
import sys
from pathlib import Path
from ontology.settings import Settings
from graph.open import open_store
from ingest.generator import generate
from ingest.load import write_cases
from search.index import SearchIndex
settings = Settings(data_dir=Path(sys.argv[1]), _env_file=None)
store = open_store(settings)
store.ensure_schema()
index = SearchIndex(settings.index_dir)
write_cases(generate(int(sys.argv[2]), seed=7), store, index)
index.close()
store.close()
"""


@pytest.fixture(scope="session")
def chromium():
    executable = chromium_or_skip()
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def samples_url(tmp_path_factory):
    data = tmp_path_factory.mktemp("samples") / "data"
    done = subprocess.run([sys.executable, "-m", "api.cli", "--data-dir", str(data), "ingest", str(SAMPLES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with served(data) as (url, _, _):
        yield url


@pytest.fixture(scope="session")
def corpus_url(tmp_path_factory):
    data = tmp_path_factory.mktemp("corpus") / "data"
    done = subprocess.run([sys.executable, "-c", BUILD, str(data), str(CORPUS_CASES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with served(data) as (url, _, _):
        yield url


@pytest.fixture
def viewed(chromium):
    contexts = []

    def open_page(url: str, width: int):
        context = chromium.new_context(base_url=url, accept_downloads=True,
                                       viewport={"width": width, "height": 844 if width < 600 else 900})
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
        page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
