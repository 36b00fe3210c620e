"""Searching: the query language and ranking, with filters and facet counts (search/facets.py), hits
and snippets (search/hits.py) and spelling suggestions (search/suggest.py)."""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from whoosh import qparser, query as wq
from whoosh.collectors import ScoredCollector
from whoosh.searching import Searcher

from ontology.exc import InvalidData
from ontology.gazetteer import gazetteer
from search.facets import Tables, check_filters, counts, due_table, facet_tables, filter_mask, overdue_mask, resolve
from search.fastmatch import Evaluator, Lengths, SegmentPostings
from search.fields import ALIASES, DEFAULT_FIELDS, FACETS, TEXT_ANALYZER
from search.hits import hit, record, snippet, terms_by_field
from search.index import SearchIndex
from search.limits import Caps, Deadline, capped, check, expansion_notice, recording
from search.reading import describe, repair, with_compounds, without_empty_words
from search.similar import build_vectors
from search.suggest import suggest

SORTS = ("relevance", "newest", "oldest")
_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = {"and", "or", "not", "to"}
_SPACE = re.compile(r"\s+")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9]+")
_OPERATOR_WORDS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
_MISSING = object()
MATCH_CACHE = 64  # queries whose matches (facet counts, suggestions) are kept per commit
QUERY_CACHES = ("matches", "facet-counts", "suggestions", "stored")


@dataclass
class Search:
    """A search request: the query string, filters (facet -> values), sort and page."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    facets: bool = True
    highlight: bool = True
    overdue_on: str | None = None  # an ISO date: only recommendations whose response is overdue on it


@dataclass
class SearchResult:
    query: str
    parsed: str
    notice: str | None
    total: int
    page: int
    page_size: int
    pages: int
    sort: str
    hits: list[dict]
    facets: dict[str, list[dict]]
    did_you_mean: str | None
    suggestions: dict[str, list[str]]
    took_ms: float
    overdue_on: str | None = None  # the day an overdue search was for

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def field_lengths(searcher: Searcher) -> Lengths:
    """Per-commit field lengths for BM25, the fields bare words search read at once."""
    return Lengths(searcher, eager=DEFAULT_FIELDS)


# What `Engine.warm` builds for each commit, by cache name (kept beside the index too, see
# `SearchIndex.PERSISTED`): first what every search needs, then the similarity vectors.
SEARCH_TABLES = (("facets", facet_tables), ("lengths", field_lengths))
PER_COMMIT = (*SEARCH_TABLES, ("vectors", build_vectors))


class _Recording(ScoredCollector):
    """Records every matching document with its score (Whoosh's top-N collectors skip some)."""

    def __init__(self):
        # replace=0: no matcher replacement, which drops documents that cannot reach a top N.
        super().__init__(replace=0)
        self.matched: list[int] = []
        self.scores: list[float] = []

    def _collect(self, global_docnum, score):
        if len(self.matched) % 4096 == 0:
            check()
        self.matched.append(global_docnum)
        self.scores.append(score)
        return 0 - score


def _whoosh_matches(searcher: Searcher, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
    """Every match of `q` by Whoosh's own matchers, sorted by document number (for query forms
    `search.fastmatch` leaves to Whoosh)."""
    collector = _Recording()
    searcher.search_with_collector(q, collector)
    docs = np.fromiter(collector.matched, dtype=np.int64, count=len(collector.matched))
    scores = np.fromiter(collector.scores, dtype=np.float64, count=len(collector.scores))
    order = np.argsort(docs, kind="stable")
    return docs[order], scores[order]


class Engine:
    """Runs `Search` requests against a `SearchIndex`."""

    def __init__(self, index: SearchIndex, caps: Caps = Caps()):
        self.index = index
        self.caps = caps  # how far a query may fan out (search.limits)
        schema = index.schema
        self.parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS)
        self.parser.add_plugin(qparser.FuzzyTermPlugin())
        self.parser.add_plugin(qparser.GtLtPlugin())
        self.parser.add_plugin(qparser.FieldAliasPlugin(ALIASES))
        # Fallback for queries that do not parse: the words alone, every one required.
        self.plain = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS)
        self._parsed = LRU(1024)
        self.text_fields = {f for f in DEFAULT_FIELDS if getattr(schema[f], "analyzer", None) == TEXT_ANALYZER}
        self._words = LRU(50_000)  # plain word -> its parse (see `_parse`)

    # -- parsing ---------------------------------------------------------------------------------

    def parse(self, text: str) -> tuple[wq.Query, str | None]:
        """The query, and a notice if it did not parse and was read as plain words (kept for the
        most recent queries: parsing depends on the schema alone, and a page of results asks again)."""
        text = (text or "").strip()
        found = self._parsed.get(text)
        if found is None:
            found = self._parsed[text] = self._parse(text)
        return found

    def _word(self, word: str) -> wq.Query | None:
        """One plain word as the parser reads it alone (kept for many words); None if it searches nothing."""
        found = self._words.get(word, _MISSING)
        if found is _MISSING:
            q = self.parser.parse(word)
            if q is not wq.NullQuery and not _error(q):  # a word too common to search is no required term
                q, _ = without_empty_words(q, self.text_fields, TEXT_ANALYZER, set(DEFAULT_FIELDS) - self.text_fields)
            found = self._words[word] = None if q is wq.NullQuery or _error(q) else q
        return found

    def warm(self, search_only: bool = False) -> None:
        """Build (or load from beside the index) the current commit's tables now: facets and field
        lengths, which every search needs, then the similarity vectors unless `search_only`. The
        first researcher after a start or an ingest then does not wait for them (2.3 s at 10k cases
        for the first "similar recommendations" otherwise)."""
        s = self.index.searcher()
        for name, build in SEARCH_TABLES:
            self.index.cached(name, build, searcher=s)
        for leaf, _ in s.reader().leaf_readers():
            for field in DEFAULT_FIELDS:
                self.segment_postings(leaf, field)
        # What a process's first search would otherwise load: the gazetteer (facet labels), the
        # query parser's first use, the spelling list (0.6 s of the first search after a restart).
        gazetteer()
        self.search(Search(q="", page_size=1))
        self.parse("warm up")
        if not search_only:
            for name, build in PER_COMMIT:
                self.index.cached(name, build, searcher=s)

    def segment_postings(self, reader, field: str) -> SegmentPostings | None:
        """The postings of a field bare words search, decoded once per segment (see SegmentPostings)."""
        if field not in DEFAULT_FIELDS:
            return None
        return self.index.per_segment(reader, f"postings-{field}", lambda r: SegmentPostings(r, field))

    def is_ready(self) -> bool:
        """Whether a search now would find the tables it needs built (the readiness of /health/ready)."""
        s = self.index.searcher()
        return all(self.index.has_cached(name, s) for name, _ in SEARCH_TABLES)

    def is_warm(self) -> bool:
        """Whether `warm` has built every table of the commit a searcher would read now."""
        s = self.index.searcher()
        return all(self.index.has_cached(name, s) for name, _ in PER_COMMIT)

    def forget(self) -> None:
        """Drop everything kept per query or per hit: parsed queries, matches, facet counts,
        suggestions, stored fields and snippets (benchmarks time a never-seen query with it)."""
        self._parsed.clear()
        self._words.clear()
        for family in QUERY_CACHES:
            self.index.forget(family)
        snippet.cache_clear()

    def _parse(self, text: str) -> tuple[wq.Query, str | None]:
        if not text or text == "*":
            return wq.Every(), None
        words = text.split()
        if 1 < len(words) <= 12 and all(_PLAIN_WORD.fullmatch(w) and w not in _OPERATOR_WORDS for w in words):
            # Plain words, every one required: the parser's answer is the AND of each word's own
            # parse (tests/search/test_parse_words.py holds them equal), and a word's parse is
            # kept, so a query never asked whose words have been costs no parsing.
            parts = [self._word(w) for w in words]
            if all(p is not None for p in parts):
                return wq.And(parts).normalize(), None
        readable, notes = repair(text)
        if not readable:
            return wq.Every(), f"The query could not be read as written ({'; '.join(notes)}); searched for everything"
        try:
            q = self.parser.parse(readable)
            problem = _syntax_problem(readable, self.index.schema.names(), ALIASES) or _error(q)
            if problem is None:
                q, dropped = without_empty_words(q, self.text_fields, TEXT_ANALYZER, set(DEFAULT_FIELDS) - self.text_fields)
                if q is wq.NullQuery:
                    return q, f"Nothing to search for: {', '.join(repr(w) for w in dropped) or 'the query'} is too common a word to search"
        except Exception as e:  # noqa: BLE001 - Whoosh raises assorted errors on malformed syntax
            q, problem = None, str(e) or e.__class__.__name__
        if problem is None and q is not None and q is not wq.NullQuery:
            q, left_out = capped(q, self.caps)
            read = f"The query could not be read as written ({'; '.join(notes)}); searched for {readable!r}" if notes else None
            return q, _joined(read, " ".join(left_out) or None)
        words = [w for w in _WORD.findall(text) if w.lower() not in _OPERATORS]
        plain = self.plain.parse(" ".join(words)) if words else wq.NullQuery
        return plain, f"The query could not be read as written ({problem}); searched for the words alone: {' '.join(words)!r}"

    # -- searching -------------------------------------------------------------------------------

    def search(self, req: Search, deadline: Deadline | None = None) -> SearchResult:
        """One page of hits with facet counts and suggestions; QueryTimeout past `deadline`."""
        with (deadline or Deadline(None)).active():
            return self._search(req)

    def _search(self, req: Search) -> SearchResult:
        t0 = time.perf_counter()
        q, notice, s, ranked = self._rank(req, req.page * req.page_size)
        filters, masks, base, total, top = ranked
        facets = {}
        if req.facets:
            tables: Tables = self.index.cached("facets", facet_tables, searcher=s)

            def count(_):
                out = {}
                for name in FACETS:
                    m = base.copy()
                    for other, om in masks.items():
                        if other != name:
                            m &= om
                    out[name] = counts(tables.facets[name], m, filters.get(name, []), chronological=name == "year")
                return out

            # The same query and filters on another page or in another order count the same.
            key = ("facet-counts", str(q), tuple(sorted((f, tuple(sorted(v))) for f, v in filters.items())), req.overdue_on)
            facets = {name: [dict(row) for row in rows]
                      for name, rows in self.index.cached(key, count, keep=MATCH_CACHE, searcher=s).items()}

        start = (req.page - 1) * req.page_size
        terms = terms_by_field(q, s.reader())
        stored = self.index.cached("stored", lambda _: LRU(20_000), searcher=s)  # per commit: docnum -> stored fields
        hits = []
        for score, docnum in top[start:req.page * req.page_size]:
            fields = stored.get(docnum)
            if fields is None:
                fields = stored[docnum] = s.stored_fields(docnum)
            hits.append(hit(fields, score, terms, req.highlight))
        did_you_mean, suggestions, spelt = self._did_you_mean(s, q, req.q, total)
        return SearchResult(
            query=req.q, parsed=describe(q), notice=_joined(notice, spelt), total=total, page=req.page, page_size=req.page_size,
            pages=max(1, math.ceil(total / req.page_size)), sort=req.sort, hits=hits, facets=facets,
            did_you_mean=did_you_mean, suggestions=suggestions, took_ms=round((time.perf_counter() - t0) * 1000, 2),
            overdue_on=req.overdue_on,
        )

    def export(self, req: Search, limit: int | None = None, offset: int = 0,
               deadline: Deadline | None = None) -> tuple[SearchResult, Iterator[dict]]:
        """Every hit of a search (no page cap), in order, as full records for a spreadsheet: the whole
        recommendation and response text, no HTML. Returns the result's figures (total, notice, did
        you mean; no hits, no facets) and an iterator of rows, read from the one searcher the
        ranking used, so an ingest that commits meanwhile cannot mix two versions into one export.
        The ranking runs to `deadline`; the rows, bounded by the corpus, are not timed."""
        t0 = time.perf_counter()
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidData("limit and offset are not negative", errors={"limit": str(limit), "offset": str(offset)})
        with (deadline or Deadline(None)).active():
            q, notice, s, ranked = self._rank(req, None)
            _, _, _, total, top = ranked
            end = len(top) if limit is None else min(len(top), offset + limit)
            did_you_mean, suggestions, spelt = self._did_you_mean(s, q, req.q, total)
            terms = terms_by_field(q, s.reader()) if req.highlight else {}
        header = SearchResult(query=req.q, parsed=describe(q), notice=_joined(notice, spelt), total=total, page=1, page_size=max(0, end - offset),
                              pages=1, sort=req.sort, hits=[], facets={}, did_you_mean=did_you_mean, suggestions=suggestions,
                              took_ms=round((time.perf_counter() - t0) * 1000, 2), overdue_on=req.overdue_on)

        def rows() -> Iterator[dict]:
            for score, docnum in top[offset:end]:
                yield record(s.stored_fields(docnum), score, terms, req.highlight)

        return header, rows()

    def _rank(self, req: Search, limit: int | None):
        """Parse, filter and order: (query, notice, searcher, (filters, masks, matched, total, top)),
        `top` the first `limit` (score or None, docnum) pairs in order, every one when `limit` is None."""
        if req.sort not in SORTS:
            raise InvalidData(f"Unknown sort {req.sort!r}", errors={"sort": f"one of {', '.join(SORTS)}"})
        unknown = set(req.filters) - set(FACETS)
        if unknown:
            raise InvalidData(f"Unknown filter {sorted(unknown)[0]!r}", errors={f: f"filters are {', '.join(FACETS)}" for f in unknown})
        if req.page < 1 or req.page_size < 1:
            raise InvalidData("page and page_size start at 1", errors={"page": str(req.page), "page_size": str(req.page_size)})
        q, notice = self.parse(req.q)
        s = self.index.searcher()
        q = with_compounds(q, s.reader(), TEXT_ANALYZER, self.text_fields)
        tables: Tables = self.index.cached("facets", facet_tables, searcher=s)
        n = tables.n

        given = {f: [v for v in vs if str(v).strip()] for f, vs in req.filters.items()}  # a blank value filters nothing
        filters = {f: resolve(f, vs) for f, vs in given.items() if vs}
        check_filters(filters, given, tables)
        masks = {f: filter_mask(n, tables.facets[f], vs) for f, vs in filters.items()}
        if req.overdue_on:  # with every filter and every facet's count
            due = self.index.cached("due", lambda searcher: due_table(searcher, tables.facets["status"]), searcher=s)
            masks["overdue"] = overdue_mask(due, req.overdue_on)
        allowed = tables.live.copy()
        for m in masks.values():
            allowed &= m

        # Every match of the query, with its score, in one pass (a phrase is matched once), kept per
        # commit for the queries asked most recently: choosing a facet, a page or a sort then costs
        # numpy operations only, not another pass over the postings.
        matched, scores, reached = self._matches(s, q, req.q)
        notice = _joined(notice, expansion_notice(reached, self.caps.expansions))
        base = np.zeros(n, dtype=bool)
        base[matched] = True
        final = base & allowed
        total = int(final.sum())
        limit = total if limit is None else limit
        if req.sort == "relevance" and not isinstance(q, wq.Every):
            keep = final[matched]
            cand, cand_scores = matched[keep], scores[keep]
            if 0 < limit < len(cand):
                part = np.argpartition(-cand_scores, limit - 1)[:limit]
                cand, cand_scores = cand[part], cand_scores[part]
            order = np.lexsort((cand, -cand_scores))  # score descending, then docnum
            top = [(float(cand_scores[i]), int(cand[i])) for i in order]
        else:
            order = tables.date_order if req.sort != "oldest" else tables.date_order[::-1]
            top = [(None, int(d)) for d in order[final[order]][:limit]]
        return q, notice, s, (filters, masks, base, total, top)

    def _did_you_mean(self, s: Searcher, q: wq.Query, text: str, total: int) -> tuple[str | None, dict[str, list[str]], str | None]:
        """The corrected query, the suggestions by word, and a notice if some words were not spelt out."""
        did_you_mean, suggestions, spelt = self.index.cached(("suggestions", text, self.caps.suggest_words),
                                                             lambda _: suggest(self.index, self.caps, s, q, text), keep=MATCH_CACHE, searcher=s)
        return did_you_mean, {k: list(v) for k, v in suggestions.items()}, spelt

    def _matches(self, s: Searcher, q: wq.Query, text: str) -> tuple[np.ndarray, np.ndarray, frozenset]:
        """Document numbers and scores of every match of `q`, and the expansions that reached
        their cap (cached per commit, a few queries)."""
        if isinstance(q, wq.Every):
            tables = self.index.cached("facets", facet_tables, searcher=s)
            ids = np.flatnonzero(tables.live)
            return ids, np.zeros(len(ids)), frozenset()
        if q is wq.NullQuery:
            return np.zeros(0, np.int64), np.zeros(0), frozenset()

        def run(searcher):
            lengths = self.index.cached("lengths", field_lengths, searcher=searcher)
            with recording() as reached:
                docs, scores = Evaluator(searcher, lengths, _whoosh_matches, self.segment_postings).run(q)
            return docs, scores, frozenset(reached)

        return self.index.cached(("matches", str(q), self.caps.expansions), run, keep=MATCH_CACHE, searcher=s)



def _joined(*notices: str | None) -> str | None:
    """Several notices as one (the `notice` field and the X-Query-Notice header hold one)."""
    return " ".join(n for n in notices if n) or None


_FIELD = re.compile(r"(?<![\w\\])(\w+):(?=\S)")


def _syntax_problem(text: str, fields: list[str], aliases: dict[str, list[str]]) -> str | None:
    """Mistakes Whoosh forgives silently but a researcher should hear about."""
    unquoted = re.sub(r'"[^"]*"', " ", text)
    if text.count('"') % 2:
        return "a quotation mark is not closed"
    if unquoted.count("(") != unquoted.count(")"):
        return "brackets do not match"
    known = set(fields) | {a for names in aliases.values() for a in names}
    for name in _FIELD.findall(unquoted):
        if name not in known and not name.lower().startswith("http"):
            return f"there is no field {name!r}"
    return None


class LRU(OrderedDict):
    """A small least-recently-used map (thread-safe enough for a cache: a lost entry is recomputed)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        try:
            self.move_to_end(key)
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if len(self) > self.size:
            try:
                self.popitem(last=False)
            except KeyError:
                pass


def _error(q: wq.Query) -> str | None:
    stack = [q]
    while stack:
        node = stack.pop()
        if getattr(node, "error", None):
            return str(node.error)
        stack.extend(node.children())
    return None


