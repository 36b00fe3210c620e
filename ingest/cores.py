"""How many worker processes a step of an ingest may fork: the cores there are, at most two, and one
(no fork) where this process runs other threads (a server, or a command called inside a test or a
notebook), since a child forked beside running threads can die on a lock one of them held (a
segfault under pytest with the Neo4j driver's and the sandbox's threads)."""

from __future__ import annotations

import os
import threading


def alone() -> bool:
    """Whether this process runs no other thread (the command line's ingest, not a server's)."""
    return threading.active_count() == 1


def procs() -> int:
    if not alone():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))
