"""The test session's own Neo4j 5.26 Community server.

Its jars come from Maven Central (`tests/neo4j/pom.xml`, resolved once by `mvn
dependency:copy-dependencies` into a cache keyed by the pom's hash, so later runs start in seconds);
`tests/neo4j/Neo4jTestServer.java` runs them as a single source file (no build) on a free loopback
port, with a fresh store in a temporary directory and the settings of `tests/neo4j/neo4j.conf`. The
server stops when the test session ends: it exits when its standard input closes, so it cannot
outlive pytest even when pytest is killed.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests import maven
from tests.maven import Unavailable  # noqa: F401 - what the conftest catches

HERE = Path(__file__).resolve().parent / "neo4j"
START_TIMEOUT_S = 300  # a cold JVM compiling the launcher on a busy two-core machine


def cache_dir() -> Path:
    return maven.cache_dir("neo4j-test-server", HERE / "pom.xml")


def jars() -> Path:
    """The server's jars, resolved from Maven Central the first time and cached."""
    return maven.jars("neo4j-test-server", HERE / "pom.xml", "Neo4j's jars")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    uri: str
    version: str
    process: subprocess.Popen
    home: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def start() -> Server:
    """Start a server with a fresh store; raise Unavailable with the reason if it cannot run."""
    java = shutil.which("java")
    if not java:
        raise Unavailable("Java 17+ is not installed: the test Neo4j server runs on the JVM")
    lib = jars()
    home = Path(tempfile.mkdtemp(prefix="iopc-kg-neo4j-"))
    port = _free_port()
    conf = home / "neo4j.conf"
    conf.write_text((HERE / "neo4j.conf").read_text()
                    + f"server.bolt.listen_address=127.0.0.1:{port}\n"
                    + f"server.directories.import={home / 'import'}\n")
    log = open(home / "server.log", "w+")
    process = subprocess.Popen(
        [java, "-Xms256m", "-Xmx1g", "-XX:+UseParallelGC", "-cp", f"{lib}/*",
         str(HERE / "Neo4jTestServer.java"), str(home / "data"), str(conf)],
        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        log.seek(0)
        output = log.read()
        if "READY" in output:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            shutil.rmtree(home, ignore_errors=True)
            tail = "\n".join(output.strip().splitlines()[-20:])
            raise Unavailable(f"the test Neo4j server did not start (exit {process.poll()}):\n{tail}")
        time.sleep(0.25)
    version = next((m[1] for p in lib.glob("neo4j-kernel-*.jar") if (m := re.fullmatch(r"neo4j-kernel-(\d[\w.]*)\.jar", p.name))), "5")
    return Server(f"bolt://127.0.0.1:{port}", version, process, home)
