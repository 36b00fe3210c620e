"""The SPARQL view on disk: built once per store version by a process of its own, read by every SPARQL worker.

The view is the export's N-Triples in an Oxigraph store on disk (RocksDB), in the named graph
`{base}dataset`. A worker opens it read-only: it holds only the pages its queries read (about 40 MiB
at 10k cases, where the same view in memory took 450 MiB in each worker), and a worker killed at a
deadline opens it again at once instead of rebuilding it.

Building takes memory that is not given back while the process lives (RocksDB's write buffers and
the read-only graph handle), so it happens in `python -m graph.view`, started by the server
(`Views`), which exits when the view is written. The jailed workers could not build it anyway: they
may write no file. The build loads the export in slices with Oxigraph's bulk loader, which keeps
its peak near 0.4 GiB at 10k cases (0.95 GiB when the whole export is bulk-loaded at once).
Oxigraph names blank nodes afresh in every load, so every piece that holds one (the export has
none today) is loaded in the last slice, together.

Directories are `{data_dir}/sparql-view/{server pid}-{store version}`: a store's version counts the
writes of one server process, so a view is never reused across processes (`serve --workers N`
builds N, one per process); a server removes the
views of processes no longer running when it starts, and its own older views once no worker holds them.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from ontology.exc import StoreUnavailable

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
SLICE_BYTES = 16 * 2**20  # N-Triples per bulk load: the build's peak grows with it
DIRECTORY = "sparql-view"
# The builder's page cache of the embedded graph: the export reads every case (at 10k cases it
# failed with 64 MiB, "the buffer pool is full"); the build's memory is given back when it exits.
BUILD_BUFFER_MB = 256
RETRY_AFTER = 60  # seconds before a failed build is tried again (a newer version is tried at once)


def build(store, terms, path: Path, slice_bytes: int = SLICE_BYTES) -> int:
    """Write the view of `store` into a new directory `path`; the number of triples loaded."""
    from graph.export import export

    return load(export(store, "nt", terms), str(terms.dataset), path, slice_bytes)


def load(pieces, graph_name: str, path: Path, slice_bytes: int = SLICE_BYTES) -> int:
    """Bulk-load N-Triples `pieces` into the graph `graph_name` of a new store at `path`, in slices
    of about `slice_bytes`; every piece that holds a blank node goes into the last slice, so that a
    blank node is one node however many pieces name it."""
    import pyoxigraph as ox

    dataset = ox.Store(str(path))
    graph = ox.NamedNode(graph_name)
    lines = 0

    def flush(batch: list[str]) -> None:
        nonlocal lines
        if batch:
            text = "".join(batch)
            lines += text.count("\n")
            # Lenient: a page's URL is kept as the page gave it, and Oxigraph's strict IRI check
            # refuses some that rdflib wrote (`?filter[year]=2024`, `%zz`).
            dataset.bulk_load(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)

    plain: list[str] = []
    blank: list[str] = []
    size = 0
    for piece in pieces:
        if "_:" in piece:
            blank.append(piece)
            continue
        plain.append(piece)
        size += len(piece)
        if size >= slice_bytes:
            flush(plain)
            plain, size = [], 0
    flush(plain)
    flush(blank)
    dataset.flush()
    dataset.optimize()
    del dataset
    return lines


class Views:
    """The server's side: which views exist, the one builder process, and their directories.

    A view is held (`acquire`, `release`) by each query from the moment it is chosen until its
    worker has answered, and by each worker that has it open; a view nobody holds is removed unless
    it is the newest. Versions only go forward: a query asked at an older version than a view built
    already reads the newer one, never builds the older one again."""

    def __init__(self, root: Path, settings: dict):
        self.root = root
        self.settings = settings  # the workers' settings: how to open the store read-only
        self.root.mkdir(parents=True, exist_ok=True)
        self._cond = threading.Condition()
        self._built: dict[int, Path] = {}
        self._holds: collections.Counter = collections.Counter()  # version -> queries and workers holding it
        self._failed: tuple[int, str, float] | None = None  # (version, why, when) of the last failed build
        self._building: int | None = None
        self._started = 0.0
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._remove_orphans()

    def acquire(self, version: int, deadline: float) -> tuple[int, Path]:
        """The newest view of `version` or later, built now if there is none, and held until
        `release`. StoreUnavailable (503) if the build goes on past `deadline` (it carries on: the
        next query finds it done) or failed less than RETRY_AFTER seconds ago."""
        with self._cond:
            while True:
                if self._closed:
                    raise StoreUnavailable("the server is stopping", errors={"retry": "later"})
                newest = max(self._built, default=-1)
                if newest >= version:
                    self._holds[newest] += 1
                    return newest, self._built[newest]
                if self._failed and self._failed[0] >= version and time.monotonic() - self._failed[2] < RETRY_AFTER:
                    # The reason is in the server's log: it may name the server's files.
                    raise StoreUnavailable("the SPARQL view of the graph could not be built (the server's log says why); "
                                           f"it is tried again {RETRY_AFTER} s after the failure", errors={"retry": "later"})
                if self._building is None:
                    self._start(version)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreUnavailable(f"the SPARQL view of the graph is being built after a change "
                                           f"({time.monotonic() - self._started:.0f} s so far); try again shortly",
                                           errors={"retry": "later"})
                self._cond.wait(min(remaining, 1.0))

    def hold(self, version: int) -> None:
        with self._cond:
            self._holds[version] += 1

    def release(self, version: int | None) -> None:
        """One hold of `version` fewer; a view nobody holds goes (in the background), unless it is the newest."""
        if version is None:
            return
        with self._cond:
            self._holds[version] -= 1
            newest = max(self._built, default=-1)
            gone = [self._built.pop(v) for v in list(self._built) if v != newest and self._holds[v] <= 0]
        for path in gone:
            threading.Thread(target=shutil.rmtree, args=(path, True), name="sparql-view-remove", daemon=True).start()

    def path_of(self, version: int) -> Path:
        with self._cond:
            return self._built[version]

    def close(self) -> None:
        """Stop a build under way and remove this server's views (queries waiting for one get 503)."""
        with self._cond:
            self._closed = True
            proc, thread = self._proc, self._thread
            self._cond.notify_all()
        if proc is not None and proc.poll() is None:
            proc.kill()
        if thread is not None:
            thread.join(10)
        for path in self.root.glob(f"{os.getpid()}-*"):
            shutil.rmtree(path, ignore_errors=True)

    def _start(self, version: int) -> None:
        self._building, self._started = version, time.monotonic()
        final = self.root / f"{os.getpid()}-{version}"
        partial = self.root / f"{os.getpid()}-{version}.partial"
        for leftover in (partial, final):
            shutil.rmtree(leftover, ignore_errors=True)
        self._thread = threading.Thread(target=self._run, args=(version, partial, final), name="sparql-view-build", daemon=True)
        self._thread.start()

    def _run(self, version: int, partial: Path, final: Path) -> None:
        error = None
        try:
            env = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1"}
            with self._cond:
                if self._closed:
                    raise RuntimeError("the server stopped")
                # The builder dies with this thread (and so with the server, however it ends).
                proc = subprocess.Popen([sys.executable, "-m", "graph.view"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=ROOT, env=env, close_fds=True, preexec_fn=_die_with_parent)
                self._proc = proc
            out, err = proc.communicate(json.dumps({"settings": self.settings, "path": str(partial)}).encode())
            reply = json.loads(out.splitlines()[-1]) if out.strip() else {}
            if proc.returncode != 0 or not reply.get("ok"):
                error = reply.get("message") or f"the builder stopped (exit {proc.returncode}): {err.decode(errors='replace')[-300:]}"
            else:
                with self._cond:
                    if self._closed:
                        raise RuntimeError("the server stopped")
                    partial.rename(final)
                log.info("SPARQL view of store version %s built in %.1f s: %s N-Triples lines", version,
                         time.monotonic() - self._started, reply.get("triples"))
        except Exception as e:  # noqa: BLE001 - reported to the queries that wait for it
            error = f"{type(e).__name__}: {e}"
        with self._cond:
            self._building, self._proc = None, None
            if error is None:
                self._built[version] = final
                older = [v for v in self._built if v < version and self._holds[v] <= 0]
                gone = [self._built.pop(v) for v in older]
            else:
                gone = []
                shutil.rmtree(partial, ignore_errors=True)
                if not self._closed:
                    log.error("building the SPARQL view of store version %s failed: %s", version, error)
                    self._failed = (version, error, time.monotonic())
            self._cond.notify_all()
        for path in gone:
            shutil.rmtree(path, ignore_errors=True)

    def _remove_orphans(self) -> None:
        """Views left by servers no longer running (killed before they could remove them)."""
        for path in self.root.iterdir():
            pid = path.name.split("-", 1)[0]
            if pid.isdigit() and (int(pid) == os.getpid() or not _running(int(pid))):
                shutil.rmtree(path, ignore_errors=True)


def _die_with_parent() -> None:
    """In the builder, before it runs: killed when the thread that started it ends (Linux)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> None:
    """The builder: reads {settings, path} on stdin, writes the view, answers one JSON line."""
    config = json.loads(sys.stdin.readline())
    os.nice(10)  # below the server, like the query workers
    try:
        from ontology.settings import Settings
        from graph.open import open_store
        from graph.rdf import Terms

        settings = {**config["settings"], "graph_buffer_mb": max(config["settings"].get("graph_buffer_mb") or 0, BUILD_BUFFER_MB)}
        store = open_store(Settings(**settings, _env_file=None), read_only=True)
        try:
            triples = build(store, Terms(config["settings"]["base_iri"]), Path(config["path"]))
        finally:
            store.close()
        reply = {"ok": True, "triples": triples}
    except Exception as e:  # noqa: BLE001 - the server reports it to the queries waiting
        reply = {"ok": False, "message": f"{type(e).__name__}: {str(e)[:500]}"}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
