"""What identifies a case across its renderings: the keys by which two renderings may be one case, and
the facts a page states that two renderings of one case must agree on.

Keys make finding candidates linear: a rendering is compared only with those sharing a key (in a batch
through a dict, in the graph through a key table, graph/cypher.py), never with every case. A key is
the case's reference (`r:`), an id it has alone (`i:`), a band of the MinHash signature of a
recommendation's word set (`t` for a rendering without a reference, `T` with one: texts alike at
Jaccard 0.6 share a band with high probability), or, for a header-only rendering, a band of its
title's signature under its force (`h` for a header-only rendering, `H` for a complete one). Two renderings with references are never compared by text
(their references decide), so a templated sentence shared by thousands of cases costs nothing.
Word sets and signatures are computed once per text.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from ontology.records import CaseRecord, fingerprint

# 10 bands of 2 hashes: two texts at Jaccard 0.6 share a band with probability 1 - (1 - 0.36)^10 = 0.99;
# titles use 6 bands of 3 (at 0.8: 0.99). A band's value is the pair (or triple) of minima.
TEXT_BANDS, TEXT_ROWS = 10, 2
TITLE_BANDS, TITLE_ROWS = 6, 3
_HASHES = max(TEXT_BANDS * TEXT_ROWS, TITLE_BANDS * TITLE_ROWS)
_rng = np.random.default_rng(20261207)
_A = _rng.integers(1, 2**63, size=_HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=_HASHES, dtype=np.uint64)
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(19[89]\d|20\d\d)\b", re.I)


def _periods(title: str | None) -> frozenset[str]:
    """The years a title names, and the months (`2024-01`) it names with a year."""
    text = title or ""
    months = {f"{y}-{_MONTHS.index(m.lower()) + 1:02d}" for m, y in _MONTH_YEAR.findall(text)}
    return frozenset(_YEAR.findall(text)) | months


def words(text: str | None) -> frozenset[str]:
    """The word set texts are compared by (the fingerprint's words)."""
    return frozenset(fingerprint(text or "").split())


def _signature(ws: frozenset[str]) -> np.ndarray:
    """MinHash of a word set: `_HASHES` minima of (a * crc32(word) + b) mod 2^64, top 32 bits."""
    h = np.fromiter((zlib.crc32(w.encode()) for w in ws), dtype=np.uint64, count=len(ws))
    with np.errstate(over="ignore"):
        return ((h[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)).min(axis=0)


def _bands(ws: frozenset[str], bands: int, rows: int, prefix: str) -> list[str]:
    if not ws:
        return []
    sig = _signature(ws)
    return [f"{prefix}{b}:" + "".join(f"{int(v):08x}" for v in sig[b * rows:(b + 1) * rows]) for b in range(bands)]


@dataclass(slots=True)
class Signature:
    """What finding and checking candidates need of one rendering, computed once."""

    id: str  # the id it has alone
    emits: frozenset[str]  # keys others find it by
    probes: frozenset[str]  # keys it looks others up by
    reference: str | None
    force: str | None
    date: str | None
    years: frozenset[str]  # years its title names, and months with their year (`2024-01`)
    incomplete: bool


def signature(case: CaseRecord) -> Signature:
    """The keys and facts of one rendering. A rendering with a reference finds others only by it (two
    referenced renderings are one case exactly when their references agree), and is found by its text
    by those without one."""
    lone = {f"i:{case.id}"} | ({f"r:{case.reference}"} if case.reference else set())
    bands = [b for rec in case.recommendations for b in _bands(words(rec.text), TEXT_BANDS, TEXT_ROWS, "")]
    unreferenced = {f"t{b}" for b in bands}  # the text keys of a rendering without a reference
    referenced = {f"T{b}" for b in bands}  # and of one with
    # Titles are compared only when one side is header-only: `h` keys of a header-only rendering, `H`
    # of a complete one; a header-only rendering finds both, a complete one the header-only ones.
    header = complete = set()
    if case.force and case.title:
        bands = _bands(words(case.title), TITLE_BANDS, TITLE_ROWS, f":{case.force.id}:")
        header, complete = {f"h{b}" for b in bands}, {f"H{b}" for b in bands}
    if case.reference:  # found by text by renderings without one; finds those by text
        emits, probes = lone | referenced, lone | unreferenced
    else:
        emits, probes = lone | unreferenced, lone | unreferenced | referenced
    if case.incomplete:
        emits, probes = emits | header, probes | header | complete
    else:
        emits, probes = emits | complete, probes | header
    return Signature(case.id, frozenset(emits), frozenset(probes), case.reference, case.force.id if case.force else None,
                     case.date_recommended, _periods(case.title), case.incomplete)


def case_keys(case: CaseRecord) -> list[str]:
    """Every key a stored case is found by: those of each of its renderings (the case itself when it
    has one), and the ids it replaces."""
    keys = set()
    for r in case.renderings or [case]:
        keys |= signature(r).emits
    keys |= {f"i:{x}" for x in case.replaces}
    return sorted(keys)


@dataclass
class Facts:
    """The facts a group of renderings states; two groups whose facts contradict are never one case."""

    references: set[str]
    forces: set[str]
    dates: set[str]
    years: frozenset[str] | None  # the years every title naming one names (None: no title names one)

    @classmethod
    def of(cls, s: Signature) -> Facts:
        return cls({s.reference} - {None}, {s.force} - {None}, {s.date} - {None}, s.years or None)

    def contradicts(self, other: Facts) -> bool:
        years = False
        if self.years is not None and other.years is not None:
            # Years must meet; months, where both titles name one, too ("June 2021" is not "March 2021").
            mine, theirs = {y for y in self.years if len(y) == 4}, {y for y in other.years if len(y) == 4}
            months, their_months = self.years - mine, other.years - theirs
            years = not (mine & theirs) or bool(months and their_months and not (months & their_months))
        return (len(self.references | other.references) > 1 or len(self.forces | other.forces) > 1
                or len(self.dates | other.dates) > 1 or years)

    def join(self, other: Facts) -> Facts:
        years = self.years if other.years is None else other.years if self.years is None else self.years & other.years
        return Facts(self.references | other.references, self.forces | other.forces, self.dates | other.dates, years)
