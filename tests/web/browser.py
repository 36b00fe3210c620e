"""Finding (and in CI installing) the Chromium the end-to-end tests drive.

Playwright's own browser download needs a CDN; these tests use Debian's `chromium` instead, found or
(in CI) installed like every other program the tests drive (tests/system.py).
"""

from __future__ import annotations

import os
import shutil

from tests import system

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


def chromium_or_skip() -> str:
    given = os.environ.get("IOPC_KG_CHROMIUM")
    return given or system.require("chromium", *CANDIDATES[1:])
