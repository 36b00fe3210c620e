"""Dependencies without known vulnerabilities: pip-audit over the installed environment.

pip-audit asks PyPI's vulnerability data (or OSV) about every installed distribution. Where the
package index in use has no such data (a mirror: pip-audit then reports every distribution "not
found on PyPI"), nothing can be audited and the test skips saying so; wherever the data is
reachable, any known vulnerability fails it with the advisory ids.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_no_installed_dependency_has_a_known_vulnerability():
    exe = shutil.which("pip-audit", path=str(Path(sys.executable).parent)) or shutil.which("pip-audit")
    if not exe:
        pytest.skip("pip-audit is in the test extra: pip install -e '.[test]'")
    done = subprocess.run([exe, "--local", "--progress-spinner", "off", "-f", "json"], capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.skip(f"pip-audit could not reach vulnerability data: {done.stderr.strip()[-300:]}")
    deps = report["dependencies"]
    audited = [d for d in deps if "skip_reason" not in d]
    if not audited:
        pytest.skip(f"no vulnerability data reachable from here: pip-audit skipped all {len(deps)} distributions "
                    f"({deps[0]['skip_reason'] if deps else 'none installed'})")
    found = {d["name"]: [v["id"] for v in d["vulns"]] for d in audited if d.get("vulns")}
    assert not found, f"known vulnerabilities: {found}"
