"""The server that serves a data directory, as other processes find it.

LadybugDB lets one process open a graph read-write, and a second process may open it read-only, but
that reader is not synchronised with the writer after it opens: the writer's checkpoints can move
pages under it, and opening while the writer appends to its log can read a torn record (LadybugDB
pull request #615 and issue #666 describe both races). So while `iopc-kg serve` holds the graph,
the command line does not open it at all: it asks the running server over HTTP. To find it,
`serve` writes `server.json` (its address and process id) into the data directory, and a random
key into `server.key`, readable by its owner only (0600), that the server accepts for ingest: the
person who can read the data directory may write to it through the server.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

STATE_FILE = "server.json"
KEY_FILE = "server.key"


@dataclass
class RunningServer:
    """What `server.json` says: where the server answers and who it is."""

    url: str
    pid: int
    store: str
    read_only: bool
    started: str
    key: str | None = None

    def describe(self) -> str:
        return f"the server at {self.url} (pid {self.pid})"


def announce(data_dir: Path, url: str, store: str, read_only: bool) -> str | None:
    """Write the state file and, for a server that can write, a fresh key; returns the key."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key = None if read_only else secrets.token_urlsafe(32)
    if key:
        path = data_dir / KEY_FILE
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
    state = {"url": url, "pid": os.getpid(), "store": store, "read_only": read_only,
             "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    tmp = data_dir / f".{STATE_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, data_dir / STATE_FILE)
    return key


def withdraw(data_dir: Path) -> None:
    """Remove the state file and key, if they are still this process's."""
    found = _read(data_dir)
    if found is not None and found.pid == os.getpid():
        (data_dir / STATE_FILE).unlink(missing_ok=True)
        (data_dir / KEY_FILE).unlink(missing_ok=True)


def find(data_dir: Path) -> RunningServer | None:
    """The server serving `data_dir`, if its process is alive (a state file left by a killed
    server is removed)."""
    found = _read(data_dir)
    if found is None:
        return None
    if not _alive(found.pid):
        for name in (STATE_FILE, KEY_FILE):
            (data_dir / name).unlink(missing_ok=True)
        return None
    try:
        found.key = (data_dir / KEY_FILE).read_text().strip() or None
    except OSError:
        found.key = None
    return found


def serving(data_dir: Path, store: str) -> RunningServer | None:
    """The server serving `data_dir` (as `find`), refused when it serves another store than the one
    asked for: the command would answer from the server's store while saying nothing of it."""
    server = find(data_dir)
    if server is not None and server.store != store:
        from ontology.exc import StoreUnavailable

        raise StoreUnavailable(
            f"{server.describe()} serves {data_dir} from the {server.store} store, so the {store} store asked for "
            f"(--store or IOPC_KG_STORE) cannot be used while it runs: leave --store out to use the server's store, "
            f"give another --data-dir, or stop the server (kill {server.pid}) and run this again")
    return server


def _read(data_dir: Path) -> RunningServer | None:
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text())
        return RunningServer(url=str(raw["url"]), pid=int(raw["pid"]), store=str(raw.get("store", "embedded")),
                             read_only=bool(raw.get("read_only")), started=str(raw.get("started", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def graph_writer(graph_path: Path) -> int | None:
    """The process id holding the embedded graph open read-write, if one does.

    LadybugDB takes a POSIX write lock on the database file for a read-write open; F_GETLK asks who
    holds it without taking it. Ask before this process opens the graph: closing any descriptor of
    a file drops every POSIX lock the process holds on it."""
    try:
        fd = os.open(graph_path, os.O_RDWR)
    except OSError:
        return None
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        l_type, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))
    except OSError:
        return None
    finally:
        os.close(fd)
    return pid if l_type != fcntl.F_UNLCK and pid else None
