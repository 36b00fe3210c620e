"""The published ontology merged with a real export of the samples is OWL 2 DL, as the OWL API's
profile checker (OWL2DLProfile) sees it.

The OWL API's jars come from Maven Central (`pom.xml` here, resolved once by `mvn
dependency:copy-dependencies` into a cache keyed by the pom's hash); `ProfileCheck.java` is compiled
against them into the same cache, keyed by its own hash. Without Java or Maven the test skips and says
why, except in CI (CI=true), where it fails instead: a green CI run has run the checker.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph

from graph.export import export
from graph.open import open_store
from ingest.load import ingest_paths
from ontology import publish
from ontology.settings import Settings
from search.index import SearchIndex
from tests import maven
from tests.conftest import IN_CI, SAMPLES

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "ProfileCheck.java"
RUN_TIMEOUT_S = 600  # a cold JVM on a busy two-core machine; the check itself takes seconds


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI runs the OWL API profile check: {reason}", pytrace=False)
    pytest.skip(reason)


def _program(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        _unavailable(f"no {name}: the OWL API profile check needs it (`apt-get install {package}`, Debian)")
    return found


def _cache() -> Path:
    return maven.cache_dir("owlapi", HERE / "pom.xml")


def _jars() -> Path:
    """The OWL API's jars, resolved from Maven Central the first time and cached."""
    try:
        return maven.jars("owlapi", HERE / "pom.xml", "the OWL API's jars")
    except maven.Unavailable as e:
        _unavailable(str(e))


def _classes(javac: str, lib: Path) -> Path:
    """ProfileCheck compiled against the jars, once per version of its source."""
    out = _cache() / f"classes-{hashlib.sha256(CHECKER.read_bytes()).hexdigest()[:12]}"
    if (out / "ProfileCheck.class").exists():
        return out
    staging = Path(tempfile.mkdtemp(prefix="classes-", dir=out.parent))
    run = subprocess.run([javac, "-nowarn", "-d", str(staging), "-cp", f"{lib}/*", str(CHECKER)],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert run.returncode == 0, f"javac could not compile {CHECKER}:\n{run.stdout}{run.stderr}"
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def _merged_export(tmp_path: Path) -> Path:
    """The published ontology and the samples' Turtle export (ingested with the project's own code into
    a fresh data directory), merged as one RDF graph: the document a consumer of both loads."""
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    store = open_store(settings)
    index = SearchIndex(settings.index_dir)
    try:
        store.ensure_schema()
        ingest_paths([SAMPLES], store, index, log_path=settings.ingest_log)
        data = "".join(export(store, "ttl"))
    finally:
        index.close()
        store.close()
    merged = Graph()
    merged.parse(publish.HERE / "iopc.ttl")
    merged.parse(data=data, format="turtle")
    path = tmp_path / "merged.ttl"
    merged.serialize(path, format="turtle")
    return path


@pytest.mark.slow
def test_ontology_and_data_merged_are_owl2_dl(tmp_path):
    java = _program("java", "default-jre-headless")
    javac = _program("javac", "default-jdk-headless")
    lib = _jars()
    classes = _classes(javac, lib)
    merged = _merged_export(tmp_path)
    run = subprocess.run([java, "-cp", f"{lib}/*{os.pathsep}{classes}", "ProfileCheck", str(merged)],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    lines = run.stdout.splitlines()
    tally = dict(line.split("\t", 1) for line in lines if line.startswith(("AXIOMS\t", "TOTAL\t")))
    assert "TOTAL" in tally, f"the checker did not finish (exit {run.returncode}):\n{run.stdout}{run.stderr[-4000:]}"
    violations = [line.split("\t", 2)[1:] for line in lines if line.startswith("VIOLATION\t")]
    kinds = Counter(kind for kind, _ in violations)
    shown = "\n".join(f"  {kind}: {text}" for kind, text in violations[:200])
    assert not violations and run.returncode == 0, (
        f"{len(violations)} OWL 2 DL violations ({dict(kinds)}) in the ontology merged with the samples' export:\n{shown}")
    assert int(tally["AXIOMS"]) > 1000  # the data was parsed as OWL, not just the ontology's header
