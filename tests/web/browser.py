"""Finding (and in CI installing) the Chromium the end-to-end tests drive.

Playwright's own browser download needs a CDN; these tests use Debian's `chromium` instead. Outside
CI a missing browser skips the tests and says how to get one; in CI (CI=true) the test set-up installs
it with apt-get (as root), and failing that the tests fail: a green CI run has driven a real browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Headless on a machine with no network but loopback: without the background-networking flags
# Chromium keeps trying Google's hosts.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def find() -> str | None:
    given = os.environ.get("IOPC_KG_CHROMIUM")
    if given:
        return given
    return next((p for name in CANDIDATES if (p := shutil.which(name))), None)


def install() -> str:
    """apt-get install chromium (CI only); the output is kept for the failure message."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = []
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        log.append(f"$ {' '.join(cmd)} -> {done.returncode}\n{done.stderr[-2000:]}")
        if done.returncode and cmd[1] == "install":
            break
    return "\n".join(log)


def chromium_or_skip() -> str:
    found = find()
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        if shutil.which("apt-get") and os.geteuid() == 0:
            log = install()
            found = find()
            assert found, f"could not install Debian's chromium for the browser tests:\n{log}"
            return found
        pytest.fail("CI needs Chromium for the browser tests: install Debian's chromium or set IOPC_KG_CHROMIUM")
    pytest.skip("no Chromium: `apt-get install chromium` (Debian) or set IOPC_KG_CHROMIUM to a Chromium binary")
