"""The command line's way to the data: the HTTP API, of the running server or run in this process.

Every read command asks the API, so the command line answers exactly what the server answers, in
the same shapes and with the same validation. When `iopc-kg serve` serves the data directory, the
request goes to it over HTTP (`api.running` explains why the graph is not opened a second time);
otherwise the app is built in this process over the graph opened read-only, and called without a
socket (httpx's ASGI transport).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

import httpx

from api import running
from api.settings import Settings
from ontology.exc import IopcKgError, StoreUnavailable


class ApiError(IopcKgError):
    """An error answer of the API, in its one shape: status, code, message, details."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message, errors=details or {})
        self.status = status
        self.code = code

    @classmethod
    def of(cls, response: httpx.Response) -> "ApiError":
        try:
            body = response.json()
            return cls(response.status_code, body.get("code", "error"), body.get("message") or response.reason_phrase,
                       body.get("details") or {})
        except ValueError:
            return cls(response.status_code, "error", f"HTTP {response.status_code}: {response.text[:200]}")


class Client:
    """Requests to the API; `remote` tells whether a server answers them."""

    remote = False
    where = "this process"

    def get(self, path: str, params: dict | None = None) -> httpx.Response:
        return self.request("GET", path, params=params)

    def json(self, path: str, params: dict | None = None) -> Any:
        return self.get(path, params).json()

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        if kwargs.get("params"):
            kwargs["params"] = _present(kwargs["params"])
        response = self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError.of(response)
        return response

    @contextmanager
    def stream(self, path: str, params: dict | None = None) -> Iterator[httpx.Response]:
        """A GET whose body is read in pieces as they arrive (`response.iter_bytes()`)."""
        yield self.request("GET", path, params=params)

    def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        raise NotImplementedError

    def close(self) -> None:
        pass


class RemoteClient(Client):
    """The running server, over HTTP; writes carry the key it left in the data directory."""

    remote = True

    def __init__(self, server: running.RunningServer):
        self.server = server
        self.where = server.describe()
        headers = {"X-API-Key": server.key} if server.key else {}
        self.http = httpx.Client(base_url=server.url, headers=headers, timeout=httpx.Timeout(600, connect=5))

    def _send(self, method, path, **kwargs):
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise StoreUnavailable(f"{self.where} did not answer ({e}); is it still running? "
                                   f"Stop it (kill {self.server.pid}) or wait for it, then run the command again") from None

    @contextmanager
    def stream(self, path, params=None):
        try:
            with self.http.stream("GET", path, params=_present(params or {})) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError.of(response)
                yield response
        except httpx.TransportError as e:
            raise StoreUnavailable(f"{self.where} stopped answering ({e})") from None

    def close(self):
        self.http.close()


class LocalClient(Client):
    """The app in this process, over the graph opened read-only and the search index."""

    def __init__(self, settings: Settings):
        from api.app import create_app
        from api.deps import Services
        from graph.open import open_store
        from search.index import SearchIndex
        from search.query import Engine

        if settings.store == "embedded":
            if not settings.graph_path.exists():
                raise StoreUnavailable(f"no graph in {settings.data_dir}: run `iopc-kg ingest PATH` first "
                                       f"(or give the data directory with --data-dir)")
            writer = running.graph_writer(settings.graph_path)
            if writer is not None:
                raise StoreUnavailable(f"the graph at {settings.graph_path} is being written by process {writer} "
                                       f"(an `iopc-kg ingest`?); wait for it to finish and run the command again")
        if not settings.index_dir.exists():
            raise StoreUnavailable(f"no search index in {settings.data_dir}: run `iopc-kg ingest PATH` first")
        settings = settings.model_copy(update={"read_only": True})
        self.store = open_store(settings, read_only=settings.store == "embedded")
        self.index = SearchIndex(settings.index_dir)
        if self.index.damaged:  # it could not be read: rebuilt from the graph, said on one line
            from ingest.load import repair

            repair(self.store, self.index)
        self.settings = settings
        self.app = create_app(settings, Services(settings, self.store, self.index, Engine(self.index)))
        self.base = f"http://{settings.host}:{settings.port}"

    def _send(self, method, path, **kwargs):
        import anyio

        async def call():
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=self.base) as http:
                response = await http.request(method, path, **kwargs)
                await response.aread()
                return response

        return anyio.run(call)

    def close(self):
        self.index.close()
        self.store.close()


def _present(params: dict) -> dict:
    """Query parameters that are given: an unset option is not sent (not even as an empty value)."""
    return {k: v for k, v in params.items() if v is not None and v != []}


def connect(settings: Settings, wait: float = 15.0) -> Client:
    """The running server of this data directory if there is one, else the API in this process."""
    server = running.find(settings.data_dir)
    if server is None:
        return LocalClient(settings)
    return RemoteClient(ready(server, settings.data_dir, wait))


def ready(server: running.RunningServer, data_dir, wait: float = 15.0) -> running.RunningServer:
    """The server, once it answers: one that is starting (opening the graph, rebuilding the index)
    answers soon."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code in (200, 503):
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or running.find(data_dir) is None:
            raise StoreUnavailable(f"{server.describe()} serves {data_dir} but does not answer; "
                                   f"wait for it to start, or stop it (kill {server.pid}) and run the command again")
        time.sleep(0.3)
