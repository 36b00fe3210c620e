"""HTTP hardening against a real server process (`iopc-kg serve` with an API key, on loopback): a
write without the key is refused before its body is read; a Host that is not this service's is
refused (DNS rebinding); and a server started over a data directory that a killed ingest left
uploads in removes them."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.conftest import http, served

KEY = "hardening-test-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("hardening") / "data"
    dead = data / "uploads" / "tmpdeadrequest" / "0000"
    dead.mkdir(parents=True)
    (dead / "page.txt").write_bytes(b"x" * 100_000)  # what a request killed mid-ingest leaves behind
    with served(data, env={"IOPC_KG_API_KEY": KEY}) as (base, process, _cli):
        yield base, data, process


def raw_request(base: str, head: str, timeout: float = 20.0) -> str:
    """Send the request line and headers only, never the body they announce; return what the server
    answers (empty if it waits for the body)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        s.settimeout(timeout)
        answer = b""
        try:
            while chunk := s.recv(65536):  # the server closes the connection after refusing
                answer += chunk
        except TimeoutError:
            pass
        return answer.decode("latin-1")


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_large_upload_without_the_key_is_refused_before_its_body_is_read(server, key):
    base, _, _ = server
    head = ("POST /ingest HTTP/1.1\nHost: 127.0.0.1\nContent-Type: multipart/form-data; boundary=xyz\n"
            f"Content-Length: {95 * 1024 * 1024}\n" + (f"X-API-Key: {key}\n" if key else ""))
    started = time.monotonic()
    answer = raw_request(base, head)
    assert answer.startswith("HTTP/1.1 401"), answer[:500] or "no answer: the server waited for the 95 MB body"
    assert '"code":"unauthorized"' in answer and time.monotonic() - started < 20


def test_a_host_that_is_not_this_service_is_refused(server):
    base, _, _ = server
    port = base.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "attacker.localhost.evil"):
        r = http.get(f"{base}/forces", headers={"Host": host})
        assert r.status_code == 400, (host, r.status_code)
        r = http.post(f"{base}/query/cypher", headers={"Host": host}, json={"query": "MATCH (f:Force) RETURN f.id LIMIT 1"})
        assert r.status_code == 400, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        assert http.get(f"{base}/health", headers={"Host": host}).status_code == 200, host


def test_uploads_a_killed_ingest_left_are_removed_at_start(server):
    _, data, _ = server
    assert not list((data / "uploads").iterdir())
