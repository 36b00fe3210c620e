"""What the routes depend on: the settings, the graph store, the search index. Opened once in the
app's lifespan and handed to routes through `Annotated` dependencies."""

from __future__ import annotations

import hmac
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from api.settings import Settings
from graph.rdf import Terms
from graph.sandbox import Sandbox
from graph.sparql import Sparql
from graph.store import GraphStore
from search.index import SearchIndex
from search.query import Engine


@dataclass
class Services:
    settings: Settings
    store: GraphStore
    index: SearchIndex
    engine: Engine
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    sparql: Sparql | None = None
    sandbox: Sandbox | None = None  # the one gate for users' Cypher and SPARQL (graph/sandbox.py)

    def __post_init__(self):
        self.terms = Terms(self.settings.base_iri)
        if self.sandbox is None:
            self.sandbox = Sandbox(self.store, self.settings)
        if self.sparql is None:
            self.sparql = Sparql(self.store, self.terms, self.settings.query_timeout_ms, self.settings.max_rows,
                                 self.sandbox, frozenset(self.settings.sparql_endpoints))


def services(request: Request) -> Services:
    return request.app.state.services


def _settings(request: Request) -> Settings:
    return request.app.state.services.settings


def _store(request: Request) -> GraphStore:
    return request.app.state.services.store


def _index(request: Request) -> SearchIndex:
    return request.app.state.services.index


def _engine(request: Request) -> Engine:
    return request.app.state.services.engine


ServicesDep = Annotated[Services, Depends(services)]
SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[GraphStore, Depends(_store)]
IndexDep = Annotated[SearchIndex, Depends(_index)]
EngineDep = Annotated[Engine, Depends(_engine)]


def _matches(given: str | None, key: str | None) -> bool:
    return bool(given and key) and hmac.compare_digest(given.encode(), key.encode())


def require_api_key(request: Request, settings: SettingsDep, x_api_key: Annotated[str | None, Header(description="The API key configured as IOPC_KG_API_KEY (or the server's local key, for the command line).")] = None) -> None:
    """Write routes: refused unless this request carries the configured key or the key the server
    left in its data directory for the command line (`api.running`), compared in constant time."""
    if _matches(x_api_key, getattr(request.app.state, "local_key", None)):
        return
    configured = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not configured:
        raise HTTPException(403, "writes over HTTP are disabled: no API key is configured (IOPC_KG_API_KEY)")
    if not _matches(x_api_key, configured):
        raise HTTPException(401, "a valid X-API-Key header is required", headers={"WWW-Authenticate": "X-API-Key"})


def require_local_key(request: Request, x_api_key: Annotated[str | None, Header(description="The key the server wrote to `server.key` in its data directory.")] = None) -> None:
    """Routes that read files of the server's machine: only for who can read its data directory."""
    if not _matches(x_api_key, getattr(request.app.state, "local_key", None)):
        raise HTTPException(403, "this route is for the command line on the server's machine (the key in the data directory's server.key)")


ApiKeyDep = Depends(require_api_key)
LocalKeyDep = Depends(require_local_key)

log = logging.getLogger("iopc_kg.api")


def warm_in_background(engine: Engine) -> None:
    """Build the index's per-commit tables in a daemon thread (see `Engine.warm`)."""
    def run():
        try:
            engine.warm()
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first request builds them
            log.exception("warming the search tables failed")

    threading.Thread(target=run, name="iopc-kg-warm", daemon=True).start()
