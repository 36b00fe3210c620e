"""The bounds of one search: a deadline, and caps on how far a query may fan out.

A deadline stops a search that runs too long with `QueryTimeout` (504, the error shape of every
route), never with a partial answer: how far a search gets by its deadline depends on the machine's
load, and a count that changes from one asking to the next is worse for a researcher than an error
that says to narrow the query. It is checked between the steps that grow with the query (each query
node evaluated, each batch of words a wildcard walks, each word spelt out), through a context
variable set for the request's thread (`Deadline.active`), so the query objects themselves, which
are cached and shared between requests, hold no per-request state.

Caps are the opposite: they depend on the query and the index alone, so a capped answer is the same
every time, and it comes back with a notice naming what was left out. A prefix, wildcard, fuzzy
term or range reaches at most `Caps.expansions` words of a field (the first ones in the index's
alphabetical order, as Elasticsearch's `max_expansions` keeps them); a fuzzy term allows at most
`Caps.max_edits` edits (a larger distance makes an automaton that cannot be interrupted); "did you
mean" spells out at most `Caps.suggest_words` unknown words of a query.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic
from typing import Iterator

from whoosh import query as wq

from ontology.exc import QueryTimeout

CHECK_EVERY = 256  # words walked between two looks at the clock


@dataclass(frozen=True)
class Caps:
    """How far one query may fan out (the settings `search_max_expansions`, `search_suggest_words`)."""

    expansions: int = 1000
    suggest_words: int = 5  # the defaults are the settings' (ontology/settings.py)
    max_edits: int = 2

    @classmethod
    def of(cls, settings) -> "Caps":
        """The caps the settings give (ontology.settings.Settings, or anything with those fields)."""
        return cls(expansions=settings.search_max_expansions, suggest_words=settings.search_suggest_words)


class Deadline:
    """When the search of one request must have finished; `ms` None for no limit."""

    def __init__(self, ms: int | None):
        self.ms = ms
        self.at = None if not ms else monotonic() + ms / 1000

    def remaining(self) -> float:
        """Seconds left (infinity without a limit)."""
        return float("inf") if self.at is None else max(0.0, self.at - monotonic())

    def check(self, late: bool = False) -> None:
        """QueryTimeout if the deadline has passed (or `late`: the caller knows it has)."""
        if self.at is not None and (late or monotonic() > self.at):
            raise QueryTimeout(f"the search ran past its limit of {self.ms} ms: narrow the query "
                               "(fewer words, fewer wildcards) or add filters",
                               errors={"q": "took too long", "timeout_ms": self.ms})

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this the deadline `check()` enforces in this thread (context) until the block ends."""
        token = _current.set(self)
        try:
            self.check()  # time spent waiting for a thread counts
            yield
        finally:
            _current.reset(token)


_current: ContextVar[Deadline | None] = ContextVar("search_deadline", default=None)
_reached: ContextVar[set | None] = ContextVar("search_caps_reached", default=None)


def check() -> None:
    """Raise QueryTimeout if the search running in this context is past its deadline."""
    deadline = _current.get()
    if deadline is not None:
        deadline.check()


@contextmanager
def recording() -> Iterator[set]:
    """Collect the expansions that reached their cap while the block runs (their query text)."""
    found: set = set()
    token = _reached.set(found)
    try:
        yield found
    finally:
        _reached.reset(token)


class Expansion(wq.MultiTerm):
    """A prefix, wildcard, fuzzy term or range that reaches at most `cap` words: the first `cap` of
    the words the query it wraps expands to. Reads, prints, compares and scores as that query."""

    def __init__(self, inner: wq.MultiTerm, cap: int):
        self.inner, self.cap = inner, cap
        self.fieldname, self.text, self.boost = inner.fieldname, getattr(inner, "text", None), inner.boost
        self.constantscore = inner.constantscore
        self.startchar, self.endchar = inner.startchar, inner.endchar

    def _btexts(self, ixreader):
        for n, btext in enumerate(self.inner._btexts(ixreader)):
            if n % CHECK_EVERY == 0:
                check()
            if n >= self.cap:
                found = _reached.get()
                if found is not None:
                    found.add(str(self.inner).split(":", 1)[-1])
                return
            yield btext

    def __unicode__(self):
        return str(self.inner)

    __str__ = __unicode__

    def __repr__(self):
        return f"Expansion({self.inner!r}, {self.cap})"

    def __eq__(self, other):
        return isinstance(other, Expansion) and (self.inner, self.cap) == (other.inner, other.cap)

    def __hash__(self):
        return hash((self.inner, self.cap))


def capped(q: wq.Query, caps: Caps) -> tuple[wq.Query, list[str]]:
    """`q` with every expanding term wrapped in an `Expansion` and fuzzy distances clamped to
    `caps.max_edits`; the notices the clamping gives."""
    notes: list[str] = []

    def walk(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.FuzzyTerm) and node.maxdist > caps.max_edits:
            notes.append(f"{node.text}~{node.maxdist:g} allows at most {caps.max_edits} edits: searched with {caps.max_edits}")
            node = node.copy()
            node.maxdist = caps.max_edits
        if isinstance(node, wq.MultiTerm) and not isinstance(node, Expansion):
            return Expansion(node, caps.expansions)
        if node.children():
            return node.apply(walk)
        return node

    return walk(q), list(dict.fromkeys(notes))


def expansion_notice(reached: set | frozenset, cap: int) -> str | None:
    if not reached:
        return None
    terms = ", ".join(sorted(reached))
    return (f"{terms} reaches more than {cap:,} words: only the first {cap:,} in alphabetical order were searched "
            "(the search_max_expansions setting); make the pattern longer to search the rest")
