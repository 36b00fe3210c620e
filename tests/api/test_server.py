"""The real thing: `iopc-kg ingest` then `iopc-kg serve` as processes, queried over HTTP on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import SAMPLES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_over_http(tmp_path):
    data = str(tmp_path / "data")
    cli = [sys.executable, "-m", "api.cli", "--data-dir", data]
    assert subprocess.run([*cli, "ingest", str(SAMPLES)], capture_output=True).returncode == 0
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "the server did not come up within 60 s"
            time.sleep(0.3)
        hits = httpx.get(f"{base}/search", params={"q": "governance group", "force": "essex"}).json()["hits"]
        assert [h["id"] for h in hits] == ["2022-178839-3"]
        response = httpx.get(f"{base}/forces/essex")
        assert response.json()["name"] == "Essex Police"
        assert "server" not in response.headers  # no banner naming the server and its version
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "iopc-kg"
        # A second writer is refused while the server holds the embedded graph, with a clear message.
        second = subprocess.run([*cli, "ingest", str(SAMPLES)], capture_output=True, text=True)
        assert second.returncode == 1 and "another process" in second.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    first_line = server.stdout.read().splitlines()[0]
    assert f"http://127.0.0.1:{port}/" in first_line
