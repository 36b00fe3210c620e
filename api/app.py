"""The FastAPI service: `create_app(settings)` opens the store and the index in its lifespan."""

from __future__ import annotations

import gc
import sys
import logging
import threading

import anyio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from api import __version__, errors, lanes
from api.deps import Services, key_refusal, warm_in_background
from api.routes import admin, changes, compare, entities, linked, patterns, search, web
from ontology.settings import Settings
from graph.open import open_store
from ingest.load import needs_repair, repair
from search.index import SearchIndex
from search.limits import Caps
from search.query import Engine

log = logging.getLogger("iopc_kg.api")

DESCRIPTION = """\
A knowledge graph and full-text search over the learning recommendations of the Independent Office for
Police Conduct (IOPC) to the police forces of England and Wales, and the forces' responses.

Every resource has a stable id and links to related resources; every list is also CSV (`format=csv`);
neighbourhoods and pattern graphs are also GraphML and GEXF. Errors share one shape:
`{status, code, message, details}`. Every route is read-only except `POST /ingest`, which needs the
configured API key.
"""

TAGS = [
    {"name": "search", "description": "Keyword search, similar recommendations, recurring learning."},
    {"name": "resources", "description": "Cases, recommendations, forces, bodies, programmes and themes by id."},
    {"name": "patterns", "description": "Cross-force patterns: spread, similarity, co-occurrence, deadlines, acceptance, dependencies."},
    {"name": "graph", "description": "Neighbourhoods, shortest paths and read-only Cypher."},
    {"name": "linked data", "description": "RDF export, ontology, SHACL shapes, JSON-LD context, VoID and SPARQL."},
    {"name": "service", "description": "Health, statistics and ingest."},
]


def _warm_store(store) -> None:
    try:
        store.warm()
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first visitors wait for query plans
        log.exception("warming the graph's questions failed")


def open_services(settings: Settings) -> Services:
    """Open the store and the index for a starting app, put right what an interrupted ingest left,
    and start warming both in the background."""
    store = open_store(settings, read_only=settings.read_only)
    if not settings.read_only:
        store.ensure_schema()
    index = SearchIndex(settings.index_dir)
    if not settings.read_only:
        # An ingest that died (SIGKILL mid-upload) left its uploads and maybe an index behind the
        # graph; an index lost or built by an older release is empty. Both are put right here,
        # before the first request, and logged.
        clean_uploads(settings.uploads_dir)
        repair(store, index)
    elif reason := needs_repair(store, index):
        log.warning("the search index and the graph disagree (%s); this read-only server cannot repair it: "
                    "start one writing server (`iopc-kg serve`) or run `iopc-kg reindex`", reason)
    services = Services(settings, store, index, Engine(index, Caps.of(settings)))
    services.sandbox.start()
    quiet_collector()
    warm_in_background(services.engine)
    threading.Thread(target=_warm_store, args=(store,), name="iopc-kg-warm-store", daemon=True).start()
    return services


def create_app(settings: Settings | None = None, services: Services | None = None, local_key: str | None = None) -> FastAPI:
    """The app. Pass `services` to share an open store and index (tests); otherwise they are opened
    from `settings` when the app starts and closed when it stops. `local_key` is the key `serve`
    left in the data directory for the command line (`api.running`): it may ingest."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Routes are CPU-bound Python: a few threads per process keep the GIL from thrashing
        # (anyio's default is 40). More throughput comes from `serve --workers`.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        lanes.configure(settings.search_threads)  # searches and exports have their own (api/lanes.py)
        if services is not None:
            app.state.services = services
        if getattr(app.state, "services", None) is not None:
            # Services given (to create_app, or attached before the start, as the schema fuzz test
            # does): the caller owns them. Opening the configured data directory here would replace
            # them with another store and cold query workers.
            yield
            return
        # Opened in a worker thread: the event loop goes on answering (`/health` says the server is
        # starting) while the graph opens and the index is repaired.
        app.state.services = await anyio.to_thread.run_sync(open_services, settings)
        services_ = app.state.services
        try:
            yield
        finally:
            services_.sparql.close()
            services_.sandbox.close()
            services_.index.close()
            services_.store.close()
            app.state.services = None  # a later start opens its own again

    # /docs and /redoc are served by api/routes/web.py from vendored files, under a CSP (FastAPI's
    # own pages load unpinned scripts from a CDN: blank offline, and no integrity check).
    app = FastAPI(title="iopc-kg", version=__version__, description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  license_info={"name": "Code: MIT; IOPC pages: Open Government Licence v3.0"})
    if services is not None:
        app.state.services = services
    app.state.local_key = local_key
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["X-API-Key", "Content-Type", "Accept"])

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, ingest_limit=settings.max_ingest_bytes)
    app.add_middleware(WriteGate)
    app.add_middleware(SafeHeaders)
    app.add_middleware(HeadAsGet)
    # Outermost: a request whose Host is not this service's (DNS rebinding: a page on evil.example
    # whose name now resolves to 127.0.0.1) is refused before anything else runs.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts())
    for module in (search, entities, patterns, compare, changes, linked, admin, web):
        app.include_router(module.router)
    web.mount(app)
    _publish_limits(app, settings)
    return app


class HeadAsGet:
    """HEAD wherever GET works (RFC 9110 9.3.2): the GET's status and headers, without its body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def send_headers_only(message):
            if message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class SafeHeaders:
    """Pure ASGI middleware (BaseHTTPMiddleware costs a stream per response): nosniff, a cache policy."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method = scope["method"]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"public, max-age=60" if method == "GET" else b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def clean_uploads(directory) -> None:
    """Remove what uploads an ingest left behind when its process died (each request removes its own)."""
    import shutil

    if directory.is_dir() and any(directory.iterdir()):
        log.warning("removing uploads left by an ingest that did not finish, in %s", directory.name)
        for entry in directory.iterdir():
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def quiet_collector() -> None:
    """Keep Python's cyclic garbage collector out of the latency tail.

    Under load, full collections walked every object the service holds (the app, the gazetteer,
    per-commit tables and caches) and stalled a worker for tens of milliseconds: they were the p99 at
    16 connections (146 ms; 30 ms without them, same run). Objects alive after start-up are frozen
    out of collection, and collections run less often; reference counting still frees everything
    that is not in a cycle, an ingest collects when it ends (its writer's cycles hold memory), and
    the soak bench watches memory."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    # A thread waiting for the interpreter lock gets it after at most this long: with searches and
    # exports busy in other threads, /health waits for the lock at each step, 5 ms each by default.
    sys.setswitchinterval(0.001)


WRITE_PATHS = {"/ingest"}


class WriteGate:
    """Write routes check the API key from the headers before a byte of the body is read: a large
    upload without the key is answered 401 at once, not after the server has taken it all in (pure
    ASGI, like SafeHeaders). The route's own dependency checks again."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") not in WRITE_PATHS:
            return await self.app(scope, receive, send)
        services = getattr(scope["app"].state, "services", None)
        if services is None:
            return await self.app(scope, receive, send)
        refusal = key_refusal(services.settings, dict(scope["headers"]).get(b"x-api-key"),
                              getattr(scope["app"].state, "local_key", None))
        if refusal is None:
            return await self.app(scope, receive, send)
        status, message = refusal
        headers = {"Connection": "close"} | ({"WWW-Authenticate": "X-API-Key"} if status == 401 else {})
        response = errors.error_response(status, "unauthorized" if status == 401 else "forbidden", message, headers=headers)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over the limit with 413, whether they announce their length or arrive
    chunked, before a route reads them whole (pure ASGI, like SafeHeaders)."""

    def __init__(self, app, limit: int, ingest_limit: int):
        self.app, self.limit, self.ingest_limit = app, limit, ingest_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.ingest_limit if scope["path"].rstrip("/") == "/ingest" else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await self._refuse(limit, scope, receive, send)
        received = 0
        over = sent = False

        async def counting_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def watching_send(message):
            nonlocal sent
            if over:  # whatever the route made of the cut-off body, the client hears 413
                if not sent:
                    sent = True
                    await self._refuse(limit, scope, receive, send)
                return
            sent = sent or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            if not sent:
                sent = True
                await self._refuse(limit, scope, receive, send)

    @staticmethod
    async def _refuse(limit, scope, receive, send):
        response = errors.error_response(413, "too_large", f"The request body is larger than {limit:,} bytes",
                                         {"body": f"at most {limit} bytes"}, headers={"Connection": "close"})
        await response(scope, receive, send)



def app_from_environment() -> FastAPI:
    """The app with settings from the environment: what each `uvicorn --workers` process builds."""
    return create_app(Settings())


def _publish_limits(app: FastAPI, settings: Settings) -> None:
    """Put the configured limits in the OpenAPI schema, so clients see them before they hit them."""
    limits = {"page_size": settings.max_page_size, "depth": settings.max_depth, "max_nodes": settings.max_nodes,
              "max_edges": settings.max_nodes}
    build = app.openapi

    def openapi():
        if app.openapi_schema is None:
            spec = build()
            for ops in spec["paths"].values():
                for op in ops.values():
                    for p in op.get("parameters", []):
                        if p["name"] in limits and p["in"] == "query":
                            p["schema"]["maximum"] = limits[p["name"]]
                            p["description"] = f"{p.get('description', '')} At most {limits[p['name']]}.".strip()
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi
