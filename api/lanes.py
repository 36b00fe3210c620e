"""Two lanes of threads for the blocking work of routes, so heavy requests cannot starve light ones.

Sync routes and sync dependencies run on anyio's default thread limiter (`threads` tokens, set in
`api.app`): /health, one record, a list. Work whose length a client's input decides (a search with
its spelling suggestions and wildcard expansion, the rows of an export, a SPARQL answer made into a
spreadsheet) runs on the heavy lane instead, a limiter of its own (`search_threads` tokens, one by
default): however many heavy requests arrive, they wait for each other, never for the threads
/health needs, and the event loop only awaits them. One heavy thread also leaves the interpreter
lock to the light lane and the event loop most of the time; more throughput comes from processes. An export's body is pulled from its iterator on the heavy lane in
batches (`stream`), not a row per hop, with the cycle collector paused while a batch is made and
its young generations collected after it: an RDF export makes cyclic garbage (rdflib graphs) fast
enough to set off full collections, each a walk of the whole heap that stops every thread.

One limiter per event loop (an anyio limiter belongs to the loop it first waits on; tests start
several).
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from functools import partial
from typing import AsyncIterator, Callable, Iterable, TypeVar

import anyio
import anyio.to_thread

from search.fastmatch import no_cycle_collection
from search.limits import Deadline

T = TypeVar("T")
BATCH_BYTES = 64 * 1024  # what one hop to the heavy lane reads of an export's body
_tokens = 1
_limiters: "weakref.WeakKeyDictionary[object, anyio.CapacityLimiter]" = weakref.WeakKeyDictionary()


def configure(tokens: int) -> None:
    """Threads of the heavy lane (the `search_threads` setting)."""
    global _tokens
    _tokens = max(1, tokens)
    for limiter in _limiters.values():
        limiter.total_tokens = _tokens


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = anyio.CapacityLimiter(_tokens)
    return found


async def run(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` on the heavy lane."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=_limiter())


async def run_until(deadline: Deadline, fn: Callable[..., T], /, *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` on the heavy lane, given up with QueryTimeout if no thread is free by
    `deadline` (a search's: `fn` checks it itself once it runs)."""
    with anyio.move_on_after(deadline.remaining()) as scope:
        return await run(fn, *args, **kwargs)
    assert scope.cancelled_caught
    deadline.check(late=True)
    raise AssertionError("unreachable: the deadline has passed")


async def stream(pieces: Iterable[str | bytes]) -> AsyncIterator[bytes]:
    """A body's pieces, read from their (blocking) iterator on the heavy lane, about `BATCH_BYTES`
    at a time, encoded as UTF-8."""
    it = iter(pieces)

    def batch() -> bytes:
        out, size = [], 0
        with no_cycle_collection():
            for piece in it:
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                out.append(data)
                size += len(data)
                if size >= BATCH_BYTES:
                    break
        gc.collect(1)  # the batch's own cycles (an RDF export's graphs): a walk of what it made, not of the heap
        return b"".join(out)

    try:
        while chunk := await run(batch):
            yield chunk
    finally:
        close = getattr(it, "close", None)
        if close is not None:  # a client that went away: let the generator release what it holds
            await run(close)
