"""Java programs the tests run (the Neo4j test server, the OWL API's profile checker): their jars are
resolved from Maven Central by a pom.xml (`mvn dependency:copy-dependencies`) the first time, into a
cache under ~/.cache/iopc-kg/ (or IOPC_KG_TEST_CACHE) keyed by the pom's hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class Unavailable(Exception):
    """The program cannot run here; the message says why and what to install."""


def cache_dir(name: str, pom: Path) -> Path:
    base = os.environ.get("IOPC_KG_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "iopc-kg")
    return Path(base) / f"{name}-{hashlib.sha256(pom.read_bytes()).hexdigest()[:12]}"


def jars(name: str, pom: Path, what: str) -> Path:
    """The jars `pom` names, resolved once and cached (`what` names them in a failure)."""
    lib = cache_dir(name, pom) / "lib"
    if (lib / ".complete").exists():
        return lib
    mvn = shutil.which("mvn")
    if not mvn:
        raise Unavailable(f"Maven (mvn) is not installed: it fetches {what} from Maven Central")
    lib.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lib-", dir=lib.parent))
    run = subprocess.run([mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
                         capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = (run.stdout + run.stderr).strip().splitlines()[-15:]
        raise Unavailable(f"mvn could not fetch {what} from Maven Central:\n" + "\n".join(tail))
    (staging / ".complete").write_text(f"resolved from {pom.name} of {pom.parent.name}\n")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    return lib
