"""How many worker processes a step of an ingest may fork: the cores there are, at most two, and one
(no fork) where this process runs other threads (a server, or a command called inside a test or a
notebook), since a child forked beside running threads can die on a lock one of them held (a
segfault under pytest with the Neo4j driver's and the sandbox's threads)."""

from __future__ import annotations

import os
import threading

from tqdm import tqdm
from tqdm._monitor import TMonitor

# Every tqdm bar, drawn or disabled, started a monitor thread, so a command-line ingest never looked
# alone: it wrote the index in one process and kept the graph's write memory (1.5x the time, +180 MiB
# at 30k cases). The monitor only tunes how often a slow bar redraws; it is not needed.
tqdm.monitor_interval = 0


def alone() -> bool:
    """Whether this process runs no other thread (the command line's ingest, not a server's); a tqdm
    monitor started before the setting above holds no lock a forked child needs."""
    return all(t is threading.main_thread() or isinstance(t, TMonitor) for t in threading.enumerate())


def procs() -> int:
    if not alone():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))
