"""The command line's way to the data: the HTTP API, of the running server or run in this process.

Every read command asks the API, so the command line answers exactly what the server answers, in
the same shapes and with the same validation. When `iopc-kg serve` serves the data directory, the
request goes to it over HTTP (`api.running` explains why the graph is not opened a second time);
otherwise the questions asked most are answered in this process by the functions the routes call
(`api.direct`), and any other is asked of the app, built in this process over the graph opened
read-only when first needed and called without a socket (httpx's ASGI transport). The graph, the
index and the app are each opened when a request first needs them: a search opens the index only.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from api import running
from ontology.settings import Settings
from ontology.exc import IopcKgError, StoreUnavailable

if TYPE_CHECKING:
    import httpx


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
        import httpx

        self.server = server
        self.where = server.describe()
        headers = {"X-API-Key": server.key} if server.key else {}
        self.http = httpx.Client(base_url=server.url, headers=headers, timeout=httpx.Timeout(600, connect=5))

    def _send(self, method, path, **kwargs):
        import httpx

        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise StoreUnavailable(f"{self.where} did not answer ({e}); is it still running? "
                                   f"Stop it (kill {self.server.pid}) or wait for it, then run the command again") from None

    @contextmanager
    def stream(self, path, params=None):
        import httpx

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
    """The API in this process, over the graph opened read-only and the search index."""

    def __init__(self, settings: Settings):
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
        self.settings = settings.model_copy(update={"read_only": True})
        self.base = f"http://{settings.host}:{settings.port}"
        self._store = self._index = self._engine = self._app = None

    @property
    def store(self):
        if self._store is None:
            from graph.open import open_store

            self._store = open_store(self.settings, read_only=self.settings.store == "embedded")
        return self._store

    @property
    def index(self):
        if self._index is None:
            from search.index import SearchIndex

            self._index = SearchIndex(self.settings.index_dir)
            if self._index.damaged:  # it could not be read: rebuilt from the graph, said on one line
                from ingest.load import repair

                repair(self.store, self._index)
        return self._index

    @property
    def engine(self):
        if self._engine is None:
            from search.limits import Caps
            from search.query import Engine

            self._engine = Engine(self.index, Caps.of(self.settings))
        return self._engine

    @property
    def app(self):
        """The web app over this client's store and index, built when a request first needs it."""
        if self._app is None:
            from api.app import create_app
            from api.deps import Services

            self._app = create_app(self.settings, Services(self.settings, self.store, self.index, self.engine))
        return self._app

    def _send(self, method, path, **kwargs):
        from api.direct import answer

        found = answer(self, method, path, kwargs.get("params"))
        if found is not None:
            return found
        import anyio
        import httpx

        app = self.app

        async def call():
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=self.base) as http:
                response = await http.request(method, path, **kwargs)
                await response.aread()
                return response

        return anyio.run(call)

    def close(self):
        if self._index is not None:
            self._index.close()
        if self._store is not None:
            self._store.close()


def _present(params: dict) -> dict:
    """Query parameters that are given: an unset option is not sent (not even as an empty value)."""
    return {k: v for k, v in params.items() if v is not None and v != []}


def connect(settings: Settings, wait: float = 15.0) -> Client:
    """The running server of this data directory if there is one, else the API in this process."""
    server = running.serving(settings.data_dir, settings.store)
    if server is None:
        return LocalClient(settings)
    return RemoteClient(ready(server, settings.data_dir, wait))


def ready(server: running.RunningServer, data_dir, wait: float = 15.0) -> running.RunningServer:
    """The server, once it answers: one that is starting (opening the graph, rebuilding the index)
    says so (`api.starting`) and answers soon."""
    import httpx

    deadline = time.monotonic() + wait
    while True:
        try:
            answer = httpx.get(f"{server.url}/health", timeout=2)
            if answer.status_code == 200 or (answer.status_code == 503 and not _starting(answer)):
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or running.find(data_dir) is None:
            raise StoreUnavailable(f"{server.describe()} serves {data_dir} but does not answer; "
                                   f"wait for it to start, or stop it (kill {server.pid}) and run the command again")
        time.sleep(0.3)


def _starting(answer) -> bool:
    try:
        return answer.json().get("status") == "starting"
    except ValueError:
        return False
