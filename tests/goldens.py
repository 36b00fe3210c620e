"""Golden files: `samples/X.expected.json` holds what `X` parses to.

Regenerate after a deliberate parser change with `python -m tests.goldens`, then read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import parse_file
from ingest.sources import walk
from ontology.exc import IopcKgError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def golden_path(path: Path) -> Path:
    return path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")


def actual(path: Path) -> dict | list:
    """What a sample parses to, with file paths made independent of the working directory."""
    try:
        cases = parse_file(path)
    except IopcKgError as e:
        return {"error": e.message.replace(str(path), path.name)}
    out = []
    for case in cases:
        d = case.to_dict()
        for s in d["sources"]:
            s["path"] = Path(s["path"]).name
        out.append(d)
    return out


def sample_files() -> list[Path]:
    return walk([SAMPLES])


if __name__ == "__main__":
    for path in sample_files():
        golden_path(path).write_text(json.dumps(actual(path), indent=2, ensure_ascii=False) + "\n")
        print("wrote", golden_path(path).relative_to(ROOT))
