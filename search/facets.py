"""Facets: per-commit tables of (document, value) pairs for every facet field, counted with numpy, and
the filter values a search is given, resolved through the gazetteer and checked against the corpus.

Counting over these tables rather than with Whoosh's groupedby (which scores and sorts every hit of
a broad query) makes a facet cost what the matches hold. Filters are disjunctive within a facet and
conjunctive across facets; each facet is counted with every filter applied but its own.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
from whoosh.searching import Searcher

from ontology.exc import InvalidData
from ontology.gazetteer import gazetteer
from ontology.types import STATUSES
from search.fields import FACETS, RELATION_KINDS


@dataclass
class FacetTable:
    """For one facet field: its values and the (document, value) pairs of the committed index."""

    values: list[str]
    index: dict[str, int]
    docs: np.ndarray
    vals: np.ndarray


@dataclass
class Tables:
    """Per-commit arrays over document numbers: live documents, facet pairs, date order."""

    n: int
    live: np.ndarray
    facets: dict[str, FacetTable]
    date_order: np.ndarray  # document numbers, newest first; undated last


def facet_tables(searcher: Searcher) -> Tables:
    """Read every facet field's postings and the date column once per commit (deleted documents left out)."""
    reader = searcher.reader()
    n = reader.doc_count_all()
    live = np.zeros(n, dtype=bool)
    live[list(reader.all_doc_ids())] = True
    facets = {}
    for name in FACETS:
        values, docs, vals = [], [], []
        for term in reader.lexicon(name):
            text = term.decode() if isinstance(term, bytes) else term
            ids = np.fromiter(reader.postings(name, term).all_ids(), dtype=np.int64)
            ids = ids[live[ids]]
            if not len(ids):
                continue
            docs.append(ids)
            vals.append(np.full(len(ids), len(values), dtype=np.int64))
            values.append(text)
        facets[name] = FacetTable(values, {v: i for i, v in enumerate(values)},
                                  np.concatenate(docs) if docs else np.zeros(0, np.int64),
                                  np.concatenate(vals) if vals else np.zeros(0, np.int64))
    if n == 0:
        return Tables(0, live, facets, np.zeros(0, np.int64))
    dates = np.array(_column_values(reader, "date_recommended", n), dtype=object)
    dated = np.array([bool(d) for d in dates], dtype=bool)
    keys = np.array([d.decode() if isinstance(d, bytes) else d for d in dates], dtype="U10")
    newest = np.lexsort((np.arange(n), keys))[::-1]  # descending date; ties by docnum
    order = np.concatenate([newest[dated[newest]], newest[~dated[newest]]])
    return Tables(n, live, facets, order[live[order]])


def _column_values(reader, name: str, n: int) -> list:
    """A column's value for every document number, segment by segment. Not Whoosh's multi-segment
    column reader: it leaves out the segments that lack the column (no document of theirs has a
    value) and then reads the next segment's values at the wrong offsets, past its end (an IndexError
    once an ingest of pages without dates was followed by one with dates)."""
    values: list = [b""] * n
    for leaf, offset in reader.leaf_readers():
        if not leaf.has_column(name):
            continue
        column = leaf.column_reader(name)
        for i in range(leaf.doc_count_all()):
            values[offset + i] = column[i] or b""
    return values


@dataclass
class Due:
    """Per commit, over document numbers: each recommendation's response due date ('' when none) and
    whether its response is awaited (no response text, or the status says awaiting), as the graph's
    `awaiting` (graph/rows.py)."""

    due: np.ndarray  # U10, ISO dates
    awaiting: np.ndarray  # bool


def due_table(searcher: Searcher, status: FacetTable) -> Due:
    """Read the due-date column and which documents have a response (their field length), once per
    commit; `status` is the commit's status facet."""
    reader = searcher.reader()
    n = reader.doc_count_all()
    due = np.array([d.decode() if isinstance(d, bytes) else d for d in _column_values(reader, "response_due", n)], dtype="U10")
    answered = np.zeros(n, dtype=bool)
    for docnum in reader.all_doc_ids():
        answered[docnum] = bool(reader.doc_field_length(docnum, "response", 0))
    return Due(due, ~answered | filter_mask(n, status, ["awaiting_response"]))


def overdue_mask(table: Due, on: str) -> np.ndarray:
    """The documents whose response is overdue on `on` (ISO): awaited, and due before that day."""
    return table.awaiting & (table.due != "") & (table.due < on)


def count_values(table: FacetTable, mask: np.ndarray) -> np.ndarray:
    """How many of the documents in `mask` have each value of the facet: the values of the matched
    documents gathered from the table's pairs ordered by document (built once per commit), so a
    count costs what the matches hold, not a pass over every pair of the corpus."""
    by_doc = table.__dict__.get("_by_doc")
    if by_doc is None:  # not kept with the table on disk: made on the first count of a commit
        order = np.argsort(table.docs, kind="stable")
        by_doc = table.__dict__["_by_doc"] = (np.searchsorted(table.docs[order], np.arange(len(mask) + 1)), table.vals[order])
    offsets, vals = by_doc
    matched = np.flatnonzero(mask)
    starts = offsets[matched]
    lengths = offsets[matched + 1] - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(len(table.values), dtype=np.int64)
    at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    return np.bincount(vals[at], minlength=len(table.values))


def filter_mask(n: int, table: FacetTable, values: list[str]) -> np.ndarray:
    wanted = [table.index[v] for v in values if v in table.index]
    mask = np.zeros(n, dtype=bool)
    if wanted:
        mask[table.docs[np.isin(table.vals, wanted)]] = True
    return mask

def counts(table: FacetTable, mask: np.ndarray, selected: list[str], chronological: bool = False) -> list[dict]:
    """A facet's values with their counts, most frequent first; years newest first (a timeline)."""
    counts = count_values(table, mask).tolist() if len(table.values) else []  # Python ints: no numpy scalar per value
    rows = [{"value": v, "label": LABELS[v], "count": int(c), "selected": v in selected}
            for v, c in zip(table.values, counts) if c or v in selected]
    if chronological:
        return sorted(rows, key=lambda r: r["value"], reverse=True)
    return sorted(rows, key=lambda r: (-r["count"], r["value"]))

def resolve(facet: str, values: list[str]) -> list[str]:
    """Filter values as ids: names and aliases resolve through the gazetteer ("Essex Police" -> essex)."""
    kinds = RELATION_KINDS.get(facet)
    out = []
    for v in values:
        v = str(v).strip()
        out.append((gazetteer().lookup(kinds, v) or v.lower()) if kinds else v)
    return out


class Labels(dict):
    """Display names of facet values: gazetteer names, status words; other values show as themselves."""

    def __missing__(self, key):
        g = gazetteer()
        entry = next((e for kind in ("Force", "Body", "Programme", "Theme") if (e := g.get(kind, key))), None)
        self[key] = entry.name if entry else key.replace("_", " ").capitalize() if key in STATUSES else key
        return self[key]

    def get(self, key, default=None):
        return self[key]


LABELS = Labels()


def check_filters(resolved: dict[str, list[str]], given: dict[str, list[str]], tables: Tables) -> None:
    """Filter values the corpus could hold, or a 422 naming the value (and the nearest known ones):
    `status=yes` or `force=nowhere` is a mistake to report, not a search with no hits."""
    for facet, values in resolved.items():
        kinds = RELATION_KINDS.get(facet)
        known = tables.facets[facet].index
        for value, raw in zip(values, given[facet]):
            if value in known:
                continue
            if facet == "status" and value in STATUSES:
                continue
            if facet == "year" and str(value).isdigit() and len(str(value)) == 4:
                continue
            if kinds and any(gazetteer().get(k, value) for k in kinds):
                continue
            if facet == "status":
                hint = f"one of {', '.join(STATUSES)}"
            elif facet == "year":
                hint = "a year, e.g. 2024"
            else:
                names = sorted({e.name for k in kinds for e in gazetteer().by_key.values() if e.kind == k} | set(known))
                near = difflib.get_close_matches(str(raw), names, n=3, cutoff=0.5)
                plural = {"body": "bodies"}.get(facet, facet + "s")
                hint = (f"did you mean {' or '.join(repr(x) for x in near)}" if near
                        else f"`iopc-kg {plural}` or GET /{plural} lists them")
            raise InvalidData(f"Unknown {facet} {raw!r}: {hint}", errors={facet: f"unknown value {raw!r}; {hint}"})
