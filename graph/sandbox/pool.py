"""The server's side of the gate: worker processes, the pipe to each, and the one deadline. Server
threads never run a query, they wait on a pipe: a query cannot hold the interpreter that answers /health.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from ontology.exc import QueryRefused, QueryTimeout, StoreUnavailable

log = logging.getLogger(__name__)
# The largest answer, as JSON: each copy (the child's, the worker's, the server's) is memory the caps
# do not bound. A CONSTRUCT of much of the graph is refused (the export is the way to have all of it).
MAX_ANSWER_BYTES = 16 * 2**20
MODULE = "graph.sandbox.jail"  # a worker's command line is `python -m MODULE ROLE` (ROLE: cypher or sparql)
GRACE = 0.6  # seconds past a deadline before a silent worker is killed
START_TIMEOUT = 120  # seconds a new worker may take to import, open the store and lock itself in
QUARANTINE = 60  # seconds a query text that stopped its worker is refused without a worker
QUARANTINED = 1000  # texts remembered at most (the oldest go first)
ERRORS = {"query_refused": QueryRefused, "query_timeout": QueryTimeout, "store_unavailable": StoreUnavailable}


class Worker:
    """One jailed process and the pipe to it."""

    def __init__(self, config: dict):
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        # The role in the command line is for `ps` and bench/abuse.py; the worker reads it from the config.
        self.proc = subprocess.Popen([sys.executable, "-m", MODULE, config["role"]], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2], env=env, close_fds=True)
        self._buffer, self.killed = b"", False
        self.view_version = None  # the version of the SPARQL view (graph/view.py) the worker has open
        self.send(config)
        hello = self.read(time.monotonic() + START_TIMEOUT)
        if hello is None:
            self.kill()
            raise StoreUnavailable("the query worker did not start in time")
        log.info("query worker %s: %s", self.proc.pid, hello.get("hello"))

    @property
    def alive(self) -> bool:
        return not self.killed and self.proc.poll() is None

    def send(self, request: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # it died while idle (killed from outside, or the engine crashed on reopening)
            self.kill()
            raise StoreUnavailable("a query worker stopped; another is starting: try again shortly", errors={"retry": "later"}) from None

    def read(self, deadline: float) -> dict | None:
        """The next reply, or None if the deadline passed first. A dead worker raises QueryRefused."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not select.select([fd], [], [], remaining)[0]:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(0.5)
                code = self.proc.returncode
                self.kill()
                how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                raise QueryRefused(f"the query stopped its worker ({how}: past its memory limit, or it crashed the engine); "
                                   f"the same query is refused for {QUARANTINE} s", errors={"query": "worker stopped"})
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER_BYTES:
                self.kill()
                raise QueryRefused(f"the answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB", errors={"query": "too large"})
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        self.killed = True
        self.proc.kill()  # a no-op if it has exited
        # Reaped in the background: tearing a big process down can take a while, and a client waits.
        threading.Thread(target=self.proc.wait, name="sandbox-reap", daemon=True).start()
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class Pool:
    """A few workers of one kind; a query takes an idle one or waits for one until its deadline."""

    def __init__(self, config: dict, size: int, name: str, views=None):
        self.config, self.size, self.name = config, size, name
        self.views = views  # the SPARQL views on disk (graph/view.py), for a pool of SPARQL workers
        self._idle: list[Worker] = []
        self._cond = threading.Condition()
        self._live, self._closed, self._warm = 0, False, False  # live: idle, busy and starting; warm: answered once
        self._crashed: dict[str, float] = {}  # query text (whitespace collapsed) -> when it stopped a worker
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        with self._cond:
            if self._closed or self._live >= self.size:
                return
            self._live += 1

        def start():
            try:
                worker = Worker(self.config)
            except Exception:  # noqa: BLE001 - logged; the next query finds no worker and waits or times out
                log.exception("starting a %s query worker failed", self.name)
                with self._cond:
                    self._live -= 1
                    self._cond.notify_all()
            else:
                self.give(worker)

        threading.Thread(target=start, name=f"sandbox-{self.name}-start", daemon=True).start()

    def take(self, deadline: float, timeout_ms: int) -> Worker:
        while True:
            self._spawn()  # a no-op unless a worker is missing (a start that failed is tried again)
            with self._cond:
                if self._idle:
                    return self._idle.pop()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryTimeout(f"the query waited its whole limit of {timeout_ms} ms for a free query worker "
                                       "(others were running)", errors={"timeout_ms": timeout_ms})
                self._cond.wait(min(remaining, 1.0))

    def give(self, worker: Worker) -> None:
        with self._cond:
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                self._live -= 1
                worker.kill()
            self._cond.notify_all()
        if not worker.alive:
            if self.views is not None:
                self.views.release(worker.view_version)  # its view may go now
            worker.view_version = None
            self._spawn()  # a replacement, started now rather than by the next query

    def ask(self, request: dict, timeout_ms: int, version) -> dict:
        """The worker's reply, or QueryTimeout at `timeout_ms`: the one deadline of both languages (a
        worker silent GRACE later is killed, in the background). A query whose worker dies under it is
        refused, and its text (whitespace aside) at once for QUARANTINE s: a crash loop costs no worker."""
        key = " ".join(request["query"].split())
        with self._cond:
            since = self._crashed.get(key)
        if since is not None and time.monotonic() - since < QUARANTINE:
            raise QueryRefused(f"this query stopped its worker (past its memory limit, or it crashed the engine) less than "
                               f"{QUARANTINE} s ago: it is refused until then", errors={"query": "quarantined"})
        # A cold start (and the first view) is not the query's doing: later, waiting counts against its limit.
        cold = not self._warm
        deadline = time.monotonic() + (START_TIMEOUT if cold else timeout_ms / 1000)
        held = self.views.acquire(version, deadline)[0] if self.views is not None else None
        try:
            for _ in range(self.size + 1):  # a worker that can no longer read the graph is replaced, once each
                worker = self.take(deadline, timeout_ms)
                if cold:
                    self._warm = True
                    deadline = time.monotonic() + timeout_ms / 1000
                settling = False
                try:
                    if held is not None:  # the view held for the query, or the worker's own if newer
                        view = max(held, worker.view_version or held)
                        request = {**request, "view": view, "path": str(self.views.path_of(view))}
                    left = int((deadline - time.monotonic()) * 1000)
                    if left <= 0:
                        raise QueryTimeout.after(timeout_ms)
                    worker.send({**request, "timeout_ms": left, "version": version})
                    try:
                        reply = worker.read(deadline)
                    except QueryRefused:  # the worker died under the query
                        with self._cond:
                            self._crashed.pop(key, None)
                            self._crashed[key] = time.monotonic()
                            while len(self._crashed) > QUARANTINED:
                                self._crashed.pop(next(iter(self._crashed)))
                        raise
                    if reply is None:
                        settling = True
                        self._settle(worker, deadline + GRACE, timeout_ms)
                        raise QueryTimeout.after(timeout_ms)
                    self._note_view(worker, reply)
                    if reply.get("code") == "worker_stale":
                        worker.kill()
                        continue
                    if not reply["ok"]:
                        raise ERRORS.get(reply["code"], QueryRefused)(reply["message"], errors=reply.get("errors") or {})
                    return reply
                finally:
                    if not settling:
                        self.give(worker)
            raise StoreUnavailable("no query worker could open the graph; try again shortly", errors={"retry": "later"})
        finally:
            if held is not None:
                self.views.release(held)

    def _note_view(self, worker: Worker, reply: dict) -> None:
        """The worker says which view it has open (after any reply): the pool holds that one for it."""
        view = reply.get("view")
        if self.views is not None and view is not None and view != worker.view_version:
            self.views.hold(view)
            self.views.release(worker.view_version)
            worker.view_version = view

    def _settle(self, worker: Worker, until: float, timeout_ms: int) -> None:
        """In the background: a late reply (the client had its 504) is dropped; a worker silent at `until` is killed."""
        def run():
            try:
                reply = worker.read(until)
                if reply is None:
                    log.warning("query worker %s ran past its deadline of %d ms: killed", worker.proc.pid, timeout_ms)
                    worker.kill()
                else:
                    self._note_view(worker, reply)
            except Exception:  # noqa: BLE001 - it died meanwhile (read raised) or answered garbage: replaced
                worker.kill()
            finally:
                self.give(worker)

        try:
            threading.Thread(target=run, name=f"sandbox-{self.name}-settle", daemon=True).start()
        except RuntimeError:  # no thread to be had: the worker is not waited for
            worker.kill()
            self.give(worker)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
        if self.views is not None:
            self.views.close()
