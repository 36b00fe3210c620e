"""A server that listens at once: `iopc-kg serve` answers while the app is imported and opened.

Importing the web app and its libraries, opening the graph and repairing the index take seconds;
until they are done a server that does not listen looks dead (a command line waiting for it, a
load balancer, a person with curl). `Starting` is the ASGI app uvicorn serves: from the first
moment it answers `/health` with 503 and `"status": "starting"` (and any other request with 503
and a Retry-After), while a worker thread builds the real app and the app's own lifespan opens the
store and the index; from then on every request goes to the app, whose `/health` and
`/health/ready` say how warm it is. If the app fails to start, the server stops and `failed` says why.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from typing import Any, Callable

import anyio

log = logging.getLogger("iopc_kg.api")

STARTING_HEALTH = {"status": "starting", "store": "starting", "index": "starting", "ready": False, "warm": False}


class Starting:
    """An ASGI app that answers "starting" until the app `build()` makes has started, then is that app."""

    def __init__(self, build: Callable[[], Any], stop: Callable[[], None] | None = None):
        self.build = build
        self.stop = stop or _terminate  # called when the app fails to start
        self.app = None  # the started app: requests go to it
        self.failed: BaseException | str | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(scope, receive, send)
        if self.app is not None:
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return
        if scope["path"].rstrip("/") == "/health":
            body = STARTING_HEALTH
        else:
            body = {"status": 503, "code": "starting", "message": "the server is starting: ask again in a moment", "details": {}}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                                (b"retry-after", b"1"), (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]})
        await send({"type": "http.response.body", "body": data if scope["method"] != "HEAD" else b""})

    async def _lifespan(self, scope, receive, send):
        """Say started at once; build the app in a thread and run its lifespan; stop it on shutdown."""
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        to_app, app_receives = anyio.create_memory_object_stream(4)
        app_sends, from_app = anyio.create_memory_object_stream(4)

        async def run_app():
            try:
                app = await anyio.to_thread.run_sync(self.build)
                await to_app.send({"type": "lifespan.startup"})
                async with anyio.create_task_group() as tg:
                    tg.start_soon(app, {**scope}, app_receives.receive, app_sends.send)
                    answer = await from_app.receive()
                    if answer["type"] == "lifespan.startup.complete":
                        self.app = app
                    # else the app raises what stopped it (Starlette's lifespan does), or ends
            except Exception as e:  # noqa: BLE001 - reported, and the server stops
                self._fail(_reason(e))
            else:
                if self.app is None:
                    self._fail("the app did not start")

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_app)
            await receive()  # lifespan.shutdown
            if self.app is not None:
                await to_app.send({"type": "lifespan.shutdown"})
                await from_app.receive()
            tg.cancel_scope.cancel()
        await send({"type": "lifespan.shutdown.complete"})

    def _fail(self, why) -> None:
        self.failed = why
        self.stop()


def _reason(error: BaseException) -> str:
    """What went wrong, in words: the first error of a group (the app's lifespan runs in task groups);
    a traceback in the log for what is not one of iopc-kg's own errors (a bug)."""
    from ontology.exc import IopcKgError

    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if not isinstance(error, IopcKgError):
        log.error("the app did not start", exc_info=error)
    return str(error) or type(error).__name__


def _terminate() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn stops; `serve` reports `failed`


def from_environment() -> Starting:
    """What each `serve --workers N` process serves: the app from the environment's settings, behind `Starting`."""
    def build():
        from api.app import app_from_environment

        return app_from_environment()

    return Starting(build)
