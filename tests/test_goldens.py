"""Every sample page parses to the golden `*.expected.json` beside it."""

import json

import pytest

from tests.goldens import actual, golden_path, sample_files


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_sample_matches_golden(path):
    golden = golden_path(path)
    assert golden.exists(), f"{golden.name} is missing: run python -m tests.goldens"
    assert actual(path) == json.loads(golden.read_text())


def test_every_layout_is_in_the_samples():
    layouts = set()
    for path in sample_files():
        result = actual(path)
        if isinstance(result, list):
            layouts.update(c["layout"] for c in result)
        else:
            layouts.add(result["error"].rsplit("layout ", 1)[-1].rstrip(")"))
    assert layouts >= {"PC-A", "PC-B", "PC-C", "PC-INV", "AI-A", "AI-B", "AI-C", "LEGACY-IPCC-2016", "LEGACY-2018", "JUNK-GLOSSARY", "JSON",
                       "FORCE-FOI", "HMICFRS-TRACKER"}
