"""Shared fixtures.

- `samples_dir`: the bundled sample corpus (samples/), real seed plus synthetic pages; use it for
  golden tests and for anything that needs a realistic small corpus.
- `sample_cases`: the sample corpus parsed and merged (session-wide; treat as read-only).
- `seed_path`: the real seed page in ../shared/seeds when present, else its copy in samples/.
- `settings`: a Settings pointing at a fresh temporary data directory; build your own for others.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from api.settings import Settings
from ingest.pipeline import parse_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seed_path() -> Path:
    shared = ROOT.parent / "shared" / "seeds" / "essex-police-2025-05.txt"
    return shared if shared.exists() else SAMPLES / "essex-police-2025-05.txt"


@pytest.fixture(scope="session")
def _parsed_samples():
    return parse_paths([SAMPLES])


@pytest.fixture
def sample_cases(_parsed_samples):
    return copy.deepcopy(_parsed_samples.cases)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)
