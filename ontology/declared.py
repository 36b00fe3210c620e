"""Reading a declaration file (the sources, the page kinds): YAML holding a mapping of names to
entries, with every error naming the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from ontology.exc import InvalidSource


def load_mapping(path: Path, what: str) -> dict:
    """The file's mapping of names to entries; InvalidSource naming the file when it cannot be read,
    is not YAML, or holds no such mapping. `what` names the file's kind ("sources", "kinds")."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InvalidSource(f"{path}: cannot read the {what} file: {e.strerror or e}", errors={"file": str(path)}) from None
    except yaml.YAMLError as e:
        raise InvalidSource(f"{path}: not valid YAML: {e}", errors={"file": str(path)}) from None
    if not isinstance(data, dict) or not data:
        raise InvalidSource(f"{path}: expected a mapping of {what[:-1] if what.endswith('s') else what} names to {what}",
                            errors={"file": str(path)})
    return data
