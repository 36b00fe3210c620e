"""Every match of a query with its score, computed with numpy from posting lists.

Whoosh matches a query by walking a tree of matcher objects one document at a time, in Python; at
10,000 cases a two-word query visits thousands of documents through a dozen method calls each (py-spy
and cProfile put 95% of a first search there). Here each term's postings are read a block at a time
into arrays, and the tree is evaluated as set operations over sorted document numbers with scores
added as arrays. The scores are Whoosh's own (BM25F with its parameters, its quantised field lengths,
its idf, boosts, constant-scored prefixes), so a query ranks the same either way; `tests/search`
checks the two agree on every query form. Query nodes this module does not know (ranges, nested
spans, ...) are matched by Whoosh for their subtree only.
"""

from __future__ import annotations

import gc
import pickle
import threading
from contextlib import contextmanager
from itertools import chain

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from search.limits import check

_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float64))


class Lengths:
    """Per-commit field lengths of every document, as Whoosh quantises them, read once per field."""

    def __init__(self, searcher: Searcher, eager=()):
        self.n = searcher.doc_count_all()
        self.by_field: dict[str, np.ndarray] = {}
        for name in eager:
            self(name, searcher)

    def __call__(self, name: str, searcher: Searcher) -> np.ndarray:
        """The lengths of field `name`, read through `searcher` (a reader of this commit) if not yet read."""
        found = self.by_field.get(name)
        if found is None:  # two threads may both read it: the same array, one kept
            found = self.by_field[name] = _column_lengths(searcher, name, self.n)
            if found is None:
                found = self.by_field[name] = np.fromiter(
                    (searcher.doc_field_length(d, name, 1) or 0 for d in range(self.n)), dtype=np.float64, count=self.n)
        return found


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _column_lengths(searcher: Searcher, name: str, n: int) -> np.ndarray | None:
    """A field's lengths read as each segment stores them (one byte per document, Whoosh's
    quantised length) in one read per segment rather than one call per document (4 s -> 0.05 s
    for three fields at 10k cases); None if a segment is not Whoosh's W3 format."""
    out = np.zeros(n, dtype=np.float64)
    leaves = list(searcher.leaf_searchers()) if not searcher.is_atomic() else [(searcher, 0)]
    for sub, offset in leaves:
        perdoc = getattr(sub.reader(), "_perdoc", None)
        if not isinstance(perdoc, W3PerDocReader):
            return None
        column = perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        if column is None:  # the field occurs in no document of this segment: Whoosh reads the default
            out[offset:offset + perdoc.doc_count_all()] = 1.0
            continue
        count = min(column._count, perdoc.doc_count_all())
        raw = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
        out[offset:offset + count] = _BYTE_TO_LENGTH[raw]
    return out


class SegmentPostings:
    """Every term's postings in one field of one segment, as arrays: document numbers (local to the
    segment) and weights, term after term, with each term's slice.

    Whoosh stores a term's postings in blocks of 128, each a zlib-compressed pickle of (ids,
    weights, positions); a first search at 10k cases spent 60% of its time unpickling blocks,
    positions included, to use ids and weights alone (cProfile, docs/BENCHMARKS.md). A segment never
    changes once written (a deletion is kept beside it, and masked by the live table), so its
    postings are decoded once, when the segment is first searched (or at warm-up), and kept until
    a merge retires the segment; `SearchIndex.per_segment` also keeps them beside the index.
    """

    def __init__(self, reader, field: str):
        self.slices: dict[bytes, tuple[int, int]] = {}
        ids_parts, w_parts, at = [], [], 0
        if field in reader.schema:
            for btext in reader.lexicon(field):
                ids, weights = _read_blocks(reader.postings(field, btext))
                self.slices[btext] = (at, at + len(ids))
                at += len(ids)
                ids_parts.append(ids.astype(np.int32))
                w_parts.append(weights.astype(np.float32))
        self.ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, np.int32)
        self.weights = np.concatenate(w_parts) if w_parts else np.zeros(0, np.float32)

    def get(self, btext: bytes | str):
        if isinstance(btext, str):  # fuzzy terms expand to text, not bytes
            btext = btext.encode("utf-8")
        found = self.slices.get(btext)
        if found is None:
            return None
        return self.ids[found[0]:found[1]], self.weights[found[0]:found[1]]


def _read_blocks(m, positions: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A term's (segment-local) ids and weights from its matcher, a block at a time where it can."""
    while isinstance(m, FilterMatcher):  # deleted documents: masked by the caller's live table
        m = m.child
    ids_parts, w_parts = [], []
    if not hasattr(m, "_byteids"):  # not Whoosh's W3 block matcher: walk it a posting at a time
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            if positions is not None:
                positions.append(m.value())
            m.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    while m.is_active():  # W3 blocks: ids delta-coded unless stored as bytes, weights as arrays
        if m._data is None:
            m._read_data()
        raw = m._data[0]
        ids_parts.append(np.asarray(raw, dtype=np.int64) if m._byteids else np.cumsum(np.asarray(raw, dtype=np.int64)))
        m._read_weights()
        w_parts.append(np.asarray(m._weights, dtype=np.float64))
        if positions is not None:
            m._read_values()
            positions.extend(m._values)
        m._next_block()
    if not ids_parts:
        return _EMPTY
    return np.concatenate(ids_parts), np.concatenate(w_parts)


class Evaluator:
    """Evaluates a parsed Whoosh query against one searcher (one commit)."""

    def __init__(self, searcher: Searcher, lengths: Lengths, fallback, segment_postings=None):
        self.s = searcher
        self.reader = searcher.reader()
        self.lengths = lengths
        self.fallback = fallback  # (searcher, query) -> (docs, scores), Whoosh's own matching
        # (segment reader, field) -> SegmentPostings or None; None: read Whoosh's blocks each time
        self.segment_postings = segment_postings
        self.leaves = list(searcher.leaf_searchers()) if not searcher.is_atomic() else [(searcher, 0)]
        weighting = searcher.weighting
        self.B, self.K1 = getattr(weighting, "B", 0.75), getattr(weighting, "K1", 1.2)
        self.field_B = getattr(weighting, "_field_B", {})

    # -- postings --------------------------------------------------------------------------------

    def postings(self, field: str, btext: bytes, positions: bool = False):
        """(document numbers, weights[, positions per document]) of one term, across segments."""
        ids_parts, w_parts, pos = [], [], []
        for sub, offset in self.leaves:
            r = sub.reader()
            table = self.segment_postings(r, field) if self.segment_postings and not positions else None
            if table is not None:
                found = table.get(btext)
                if found is not None:
                    ids_parts.append(found[0] + offset)  # int32: widened below
                    w_parts.append(found[1])
                continue
            if (field, btext) not in r:
                continue
            ids, weights = _read_blocks(r.postings(field, btext), pos if positions else None)
            ids_parts.append(ids + offset)
            w_parts.append(weights)
        if not ids_parts:
            return (*_EMPTY, []) if positions else _EMPTY
        ids = np.concatenate(ids_parts).astype(np.int64, copy=False)
        weights = np.concatenate(w_parts).astype(np.float64, copy=False)
        if positions:
            return ids, weights, pos
        return ids, weights

    def bm25(self, field: str, btext: bytes, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if not self.s.schema[field].scorable:
            return weights.copy()
        idf = self.s.idf(field, btext)
        avgfl = self.s.avg_field_length(field) or 1
        B = self.field_B.get(field, self.B)
        K1 = self.K1
        fl = self.lengths(field, self.s)[ids]
        return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))

    # -- evaluation ------------------------------------------------------------------------------

    def run(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """Sorted unique document numbers and their scores (QueryTimeout past the search's deadline)."""
        check()
        if isinstance(q, wq.Term):
            field = self.s.schema[q.fieldname] if q.fieldname in self.s.schema else None
            if field is None:
                return _EMPTY
            try:
                btext = field.to_bytes(q.text)
            except ValueError:
                return _EMPTY
            ids, weights = self.postings(q.fieldname, btext)
            if not len(ids):
                return _EMPTY
            return ids, self.bm25(q.fieldname, btext, ids, weights) * q.boost
        if isinstance(q, wq.Or) and not isinstance(q, (wq.DisjunctionMax,)) and q.minmatch in (0, 1, None) \
                and getattr(q, "scale", None) is None:
            return _scaled(_union([self.run(c) for c in q.subqueries]), q.boost)
        if isinstance(q, wq.And):
            positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            negative = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
            if positive:
                docs, scores = _intersection([self.run(c) for c in positive])
                for n in negative:
                    gone, _ = self.run(n)
                    keep = ~np.isin(docs, gone, assume_unique=True)
                    docs, scores = docs[keep], scores[keep] + 1.0  # Whoosh's NOT matcher scores 1
                return _scaled((docs, scores), q.boost)
        if isinstance(q, wq.AndNot):
            docs, scores = self.run(q.a)
            gone, _ = self.run(q.b)
            keep = ~np.isin(docs, gone, assume_unique=True)
            return _scaled((docs[keep], scores[keep]), q.boost)
        if isinstance(q, wq.MultiTerm) and q.field() in self.s.schema:
            return self.multiterm(q)
        if isinstance(q, wq.Phrase) and q.slop == 1:
            return self.phrase(q)
        return self.fallback(self.s, q)

    def multiterm(self, q: wq.MultiTerm) -> tuple[np.ndarray, np.ndarray]:
        """A prefix, wildcard or fuzzy term: the words it expands to, scored as Whoosh scores them
        (one word as a plain term, several OR-ed)."""
        field = q.field()
        btexts = [t for t in q._btexts(self.reader) if t]
        if len(btexts) == 1:
            ids, weights = self.postings(field, btexts[0])
            return ids, self.bm25(field, btexts[0], ids, weights)
        pairs = []
        for t in btexts:
            ids, weights = self.postings(field, t)
            pairs.append((ids, self.bm25(field, t, ids, weights)))  # Whoosh scores them all, constant or not
        return _scaled(_union(pairs), q.boost)

    def phrase(self, q: wq.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """Documents where the words follow one another; scored as Whoosh scores a phrase (the sum
        of its words' scores in each matching document)."""
        if q.fieldname not in self.s.schema:
            return _EMPTY
        field = self.s.schema[q.fieldname]
        if not field.format or not field.format.supports("positions"):
            return self.fallback(self.s, q)
        try:
            words = [field.to_bytes(w) for w in q.words]
        except ValueError:
            return _EMPTY
        if not words or any((q.fieldname, w) not in self.reader for w in words):
            return _EMPTY
        lists = [self.postings(q.fieldname, w, positions=True) for w in words]
        common = lists[0][0]
        for ids, _, _ in lists[1:]:
            common = np.intersect1d(common, ids, assume_unique=True)
        if not len(common):
            return _EMPTY
        fmt = field.format
        picked = []  # per word: (weights, positions) of the common documents
        for ids, weights, values in lists:
            at = np.searchsorted(ids, common)
            picked.append((weights[at], [values[i] for i in at]))
        # A phrase starts at position p of a document if word k is at p + k: each word's (document,
        # position - k) pairs as one integer, intersected across the words.
        starts = None
        for k, (_, values) in enumerate(picked):
            counts, positions = _positions(values, fmt)
            shifted = positions - k
            docs_of = np.repeat(np.arange(len(common), dtype=np.int64), counts)
            ok = shifted >= 0
            # Sorted as they are (documents in order, each one's positions ascending); a position
            # given twice, which an analyser could do, is kept once.
            keys = docs_of[ok] * _POSITION_SPAN + shifted[ok]
            if len(keys) > 1:
                keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
            starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
            if not len(starts):
                return _EMPTY
        keep = np.zeros(len(common), dtype=bool)
        keep[starts // _POSITION_SPAN] = True
        docs = common[keep]
        score = np.zeros(len(docs))
        for w, (weights, _) in zip(words, picked):
            score += self.bm25(q.fieldname, w, docs, weights[keep])
        return docs, score * q.boost


_POSITION_SPAN = 1 << 32  # positions within a field are far below this

_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextmanager
def _no_cycle_collection():
    """The cycle collector paused while thousands of small lists are made at once (it started over
    and over: a first phrase search at 30k cases took twice as long one time in four); they hold no
    cycles. Counted, so that threads searching at once leave it as they found it."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


# Public for other batch work that makes many short-lived objects (api/lanes.py, an export's batches).
no_cycle_collection = _no_cycle_collection

def _positions(values: list[bytes], fmt) -> tuple[np.ndarray, np.ndarray]:
    """The positions of many postings of Whoosh's Positions format: how many each has, and all of
    them in one array, posting after posting.

    A value is a 4-byte count and a pickle (protocol 2) of the position deltas as a list. Unpickled
    one by one, the values of a common phrase's words were 35% of a first search's time at 10k
    cases. Each such pickle builds exactly one list, so the pickles without their header and stop
    opcode, between one MARK and one LIST opcode, are one pickle of the list of lists: one `loads`.
    Values of any other shape, or lists whose length disagrees with the counts, are decoded one by
    one by the format, as before.
    """
    counts = np.frombuffer(b"".join([v[:4] for v in values]), dtype=">u4").astype(np.int64)
    total = int(counts.sum())
    deltas = None
    try:
        # Each value is checked by what it yields: one list per value, as many deltas as counted.
        with _no_cycle_collection():
            lists = pickle.loads(b"\x80\x02(" + b"".join([v[6:-1] if v[-1:] == b"." else v[6:] for v in values]) + b"l.")
        if isinstance(lists, list) and len(lists) == len(values):
            flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64)
            if len(flat) == total and all(map(int.__eq__, map(len, lists), counts.tolist())):
                deltas = flat
    except Exception:  # noqa: BLE001 - not the shape this expects: the format decodes them
        deltas = None
    if deltas is None:
        decoded = [fmt.decode_positions(v) for v in values]
        counts = np.fromiter(map(len, decoded), dtype=np.int64, count=len(decoded))
        return counts, np.fromiter(chain.from_iterable(decoded), dtype=np.int64, count=int(counts.sum()))
    # Each posting's deltas start again from 0: take off what the postings before it summed to.
    summed = np.concatenate(([0], np.cumsum(deltas)))  # summed[j]: the first j deltas
    first = np.cumsum(counts) - counts  # where each posting's deltas start
    return counts, summed[1:] - np.repeat(summed[first], counts)


def _scaled(pair, boost: float):
    docs, scores = pair
    return (docs, scores * boost) if boost != 1.0 else (docs, scores)


def _union(pairs):
    pairs = [p for p in pairs if len(p[0])]
    if not pairs:
        return _EMPTY
    if len(pairs) == 1:
        return pairs[0]
    docs = np.concatenate([p[0] for p in pairs])
    scores = np.concatenate([p[1] for p in pairs])
    unique, inverse = np.unique(docs, return_inverse=True)
    return unique, np.bincount(inverse, weights=scores, minlength=len(unique))


def _intersection(pairs):
    if not pairs:
        return _EMPTY
    docs, scores = pairs[0]
    for other_docs, other_scores in pairs[1:]:
        common, i, j = np.intersect1d(docs, other_docs, assume_unique=True, return_indices=True)
        docs, scores = common, scores[i] + other_scores[j]
        if not len(docs):
            return _EMPTY
    return docs, scores
