"""Programs the tests drive that are not Python packages: found on PATH, and in CI installed.

Each is a Debian package (`TOOLS` names it). Outside CI a missing program skips its tests with the
command that installs it. In CI (CI=true) the test set-up installs it with apt-get (CI runs as root on
a fresh machine, where nothing was installed by hand), and failing that the tests fail: a green CI run
has used every program, on both store legs alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

# program -> the Debian package that provides it
TOOLS = {"chromium": "chromium", "rapper": "raptor2-utils"}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_lock = threading.Lock()
_updated: list[bool] = []


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=900)


def install(package: str) -> str:
    """apt-get install PACKAGE (CI only); the output is kept for the failure message."""
    with _lock:
        log = []
        if not _updated:
            done = _apt("update", "-q")
            log.append(f"$ apt-get update -> {done.returncode}\n{done.stderr[-2000:]}")
            _updated.append(True)
        done = _apt("install", "-y", "-q", "--no-install-recommends", package)
        log.append(f"$ apt-get install {package} -> {done.returncode}\n{done.stderr[-2000:]}")
        return "\n".join(log)


def require(program: str, *candidates: str) -> str:
    """The path of PROGRAM (or of the first of CANDIDATES found); in CI installed if missing, else a skip."""
    names = (program, *candidates)
    found = next((p for name in names if (p := shutil.which(name))), None)
    if found:
        return found
    package = TOOLS[program]
    if IN_CI:
        if shutil.which("apt-get") and os.geteuid() == 0:
            log = install(package)
            found = next((p for name in names if (p := shutil.which(name))), None)
            assert found, f"could not install Debian's {package} for the tests:\n{log}"
            return found
        pytest.fail(f"CI needs {program}: install Debian's {package}", pytrace=False)
    pytest.skip(f"no {program}: `apt-get install {package}` (Debian)")
