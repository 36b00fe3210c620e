"""Refresh the vendored browser libraries from the npm registry, or check them (the explorer's,
Swagger UI and ReDoc for /docs and /redoc, and the browser tests' axe-core).

    python -m api.web.vendor          # npm install into a temporary directory, copy, record sha256
    python -m api.web.vendor --check  # the committed files match their vendor.json

Two sets: the libraries the explorer serves (`static/vendor/`: Cytoscape and its fCoSE layout with
the layout's two dependencies) and axe-core, which only the browser tests inject (`tests/web/vendor/`,
never served). Each folder has a package.json naming exact versions and a vendor.json recording what
was copied from where, its licence and its sha256. The files are committed so that `pip install`, the
running service and the tests need neither npm nor a CDN.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "static" / "vendor"
MANIFEST = VENDOR / "vendor.json"
TEST_VENDOR = HERE.parent.parent / "tests" / "web" / "vendor"
# (folder the files go to, its package.json): package.json of the served set sits outside the
# static folder so the service does not serve it.
SETS = [(VENDOR, HERE / "package.json"), (TEST_VENDOR, TEST_VENDOR / "package.json")]


# Edits to a vendored file, applied after the copy and before the hash is recorded. ReDoc 2.5 always
# shows a "powered by" logo from cdn.redoc.ly: offline it is a failed request, and under /redoc's CSP a
# violation. An empty data: URL makes the image fail at once, and ReDoc then hides it.
PATCHES = {"redoc.standalone.js": [("https://cdn.redoc.ly/redoc/logo-mini.svg", "data:,")]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check() -> list[str]:
    """Problems with the vendored files (empty when every file matches its recorded hash)."""
    problems = []
    for folder, _ in SETS:
        manifest = folder / "vendor.json"
        if not manifest.exists():
            continue  # the test set is not installed with the package
        for name, entry in json.loads(manifest.read_text()).items():
            path = folder / name
            if not path.exists():
                problems.append(f"{path}: missing")
            elif sha256(path) != entry["sha256"]:
                problems.append(f"{path}: sha256 differs from vendor.json")
    return problems


def refresh(folder: Path, package_json: Path) -> None:
    manifest = json.loads((folder / "vendor.json").read_text())
    wanted = json.loads(package_json.read_text())["dependencies"]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(package_json, Path(tmp) / "package.json")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=tmp, check=True)
        for name, entry in manifest.items():
            package = Path(tmp) / "node_modules" / entry["package"]
            shutil.copy(package / entry["from"], folder / name)
            for old, new in PATCHES.get(name, []):
                text = (folder / name).read_text(encoding="utf-8")
                assert old in text, f"{name}: the patched text is gone ({old}); review PATCHES"
                (folder / name).write_text(text.replace(old, new), encoding="utf-8")
                entry["patched"] = f"{old} -> {new}"
            shutil.copy(package / "LICENSE", folder / f"{entry['package']}.LICENSE")
            if (package / "NOTICE").exists():  # Apache-2.0 (swagger-ui-dist): the NOTICE travels with the code
                shutil.copy(package / "NOTICE", folder / f"{entry['package']}.NOTICE")
            entry["version"] = json.loads((package / "package.json").read_text())["version"]
            assert entry["version"] == wanted[entry["package"]], (entry["version"], wanted)
            entry["sha256"] = sha256(folder / name)
    (folder / "vendor.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    if "--check" in sys.argv:
        found = check()
        print("\n".join(found) or "vendored files match vendor.json")
        sys.exit(1 if found else 0)
    for folder, package_json in SETS:
        refresh(folder, package_json)
