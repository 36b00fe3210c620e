"""The two engines iopc-kg's search is measured against, in the same run, on the same texts.

Each peer does what `/search` does for one request: the first 20 hits by BM25 over text, response
and reference (reference weighted 2, as `search.fields.DEFAULT_FIELDS`), snippets of text and
response with the matched terms marked, the total, and counts for the six facets, each counted
with every filter applied but its own (as `search.query.Engine` counts them).

- SQLite FTS5, written as a SQLite expert would: the query is matched once, into a temporary table
  of (rowid, score); filters, total, facets and the top 20 are joins on that table (never
  `rowid IN (SELECT …)` beside MATCH, which makes SQLite run MATCH again per candidate row); the
  snippets of the 20 hits shown come from a MATCH restricted to those 20 rowids.
- tantivy (the Rust engine's official Python bindings): top 20 and total from one search, facet
  counts from `terms` aggregations over the fast fields, snippets from its SnippetGenerator.

Query texts are passed to each engine's own parser: the eight bench queries mean the same in all
three (phrases, AND/NOT; `safeguard*` is a prefix in Whoosh and FTS5, and in tantivy the stem
"safeguard", which matches the same words here).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from ontology.types import STATUSES

FACET1 = ("force", "status", "year")  # one value per document
FACETN = ("programme", "theme", "body")  # several
FACETS = ("force", "body", "status", "year", "programme", "theme")


def rows(cases):
    """One flat row per recommendation: what both peers index (the texts and facet values Whoosh gets)."""
    for case in cases:
        for rec in case.recommendations:
            yield {
                "id": case.recommendation_id(rec), "case_id": case.id, "reference": case.reference or "",
                "title": case.title or "", "text": rec.text, "response": rec.response or "",
                "force": case.force.id if case.force else "", "force_name": case.force.name if case.force else "",
                "status": rec.status if rec.status in STATUSES else "unknown",
                "year": str(case.year) if case.year else "", "date_recommended": case.date_recommended or "",
                "programme": [p.id for p in rec.programmes], "theme": list(rec.themes),
                "body": list(dict.fromkeys(r.id for r in [*rec.addressed_to, *rec.linked_bodies] if r.kind == "Body")),
            }


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, check_same_thread=False)

    def build(self, cases) -> float:
        db = self.db
        t = time.perf_counter()
        db.execute("CREATE VIRTUAL TABLE doc USING fts5(reference, text, response, "
                   "tokenize='porter unicode61 remove_diacritics 2')")
        db.execute("CREATE TABLE stored(rowid INTEGER PRIMARY KEY, fields TEXT)")
        db.execute("CREATE TABLE facet1(rowid INTEGER PRIMARY KEY, force TEXT, status TEXT, year TEXT)")
        db.execute("CREATE TABLE facetn(rowid INTEGER, name TEXT, value TEXT, PRIMARY KEY (rowid, name, value)) WITHOUT ROWID")
        with db:
            for rowid, r in enumerate(rows(cases), 1):
                db.execute("INSERT INTO doc(rowid, reference, text, response) VALUES (?, ?, ?, ?)",
                           (rowid, r["reference"], r["text"], r["response"]))
                db.execute("INSERT INTO stored VALUES (?, ?)", (rowid, json.dumps(
                    {k: r[k] for k in ("id", "case_id", "reference", "title", "force", "force_name", "status",
                                       "date_recommended", "year", "programme", "theme", "body")})))
                db.execute("INSERT INTO facet1 VALUES (?, ?, ?, ?)", (rowid, r["force"], r["status"], r["year"]))
                db.executemany("INSERT OR IGNORE INTO facetn VALUES (?, ?, ?)",
                               [(rowid, n, v) for n in FACETN for v in r[n]])
        db.execute("INSERT INTO doc(doc) VALUES ('optimize')")
        db.commit()
        return time.perf_counter() - t

    def size_bytes(self, path: Path) -> int:
        return path.stat().st_size

    @staticmethod
    def _where(filters: dict, skip: str | None) -> tuple[str, list]:
        """Filter conditions on a row `m.r` joined to `f` (facet1), all but `skip`'s."""
        conds, args = [], []
        for name, values in filters.items():
            if name == skip or not values:
                continue
            marks = ",".join("?" * len(values))
            if name in FACET1:
                conds.append(f"f.{name} IN ({marks})")
            else:
                conds.append(f"EXISTS (SELECT 1 FROM facetn x WHERE x.rowid = m.r AND x.name = '{name}' AND x.value IN ({marks}))")
            args += values
        return (" AND ".join(conds) or "1"), args

    def search(self, q: str, filters: dict) -> dict:
        db = self.db
        db.execute("DROP TABLE IF EXISTS temp.m")
        # The one MATCH: every match with its BM25 (columns: reference x2, text, response).
        db.execute("CREATE TEMP TABLE m AS SELECT rowid AS r, bm25(doc, 2.0, 1.0, 1.0) AS s FROM doc WHERE doc MATCH ?", (q,))
        where, args = self._where(filters, None)
        top = db.execute(f"SELECT m.r FROM m JOIN facet1 f ON f.rowid = m.r WHERE {where} ORDER BY m.s, m.r LIMIT 20", args).fetchall()
        total = db.execute(f"SELECT count(*) FROM m JOIN facet1 f ON f.rowid = m.r WHERE {where}", args).fetchone()[0]
        facets = {}
        for name in FACETS:
            where, args = self._where(filters, name)
            if name in FACET1:
                sql = f"SELECT f.{name}, count(*) FROM m JOIN facet1 f ON f.rowid = m.r WHERE {where} GROUP BY 1"
            else:
                sql = (f"SELECT n.value, count(*) FROM m JOIN facet1 f ON f.rowid = m.r "
                       f"JOIN facetn n ON n.rowid = m.r AND n.name = '{name}' WHERE {where} GROUP BY 1")
            facets[name] = db.execute(sql, args).fetchall()
        ids = [r for (r,) in top]
        hits = []
        if ids:
            marks = ",".join("?" * len(ids))
            snips = {r: (a, b) for r, a, b in db.execute(
                f"SELECT rowid, snippet(doc, 1, '<mark>', '</mark>', ' … ', 40), snippet(doc, 2, '<mark>', '</mark>', ' … ', 40) "
                f"FROM doc WHERE doc MATCH ? AND rowid IN ({marks})", [q, *ids])}
            stored = dict(db.execute(f"SELECT rowid, fields FROM stored WHERE rowid IN ({marks})", ids))
            hits = [{**json.loads(stored[r]), "snippets": snips.get(r)} for r in ids]
        return {"hits": hits, "total": total, "facets": facets}

    def close(self) -> None:
        self.db.close()


class Tantivy:
    name = "tantivy"

    def __init__(self, path: Path):
        import tantivy

        self.t = tantivy
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        sb = tantivy.SchemaBuilder()
        for f in ("text", "response", "reference"):
            sb.add_text_field(f, stored=True, tokenizer_name="en_stem")
        for f in ("id", "case_id", "title", "force_name", "date_recommended"):
            sb.add_text_field(f, stored=True, tokenizer_name="raw", index_option="basic")
        for f in FACETS:  # filters and aggregations: exact values, column-stored
            sb.add_text_field(f, stored=True, tokenizer_name="raw", fast=True, index_option="basic")
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema, path=str(path))

    def build(self, cases, threads: int = 2) -> float:
        t = time.perf_counter()
        writer = self.index.writer(256_000_000, threads)
        for r in rows(cases):
            writer.add_document(self.t.Document(**{k: v for k, v in r.items() if v not in ("", [])}))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return time.perf_counter() - t

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def _filtered(self, query, filters: dict, skip: str | None):
        t = self.t
        parts = [(t.Occur.Must, query)]
        for name, values in filters.items():
            if name != skip and values:
                parts.append((t.Occur.Must, t.Query.term_set_query(self.schema, name, list(values))))
        return t.Query.boolean_query(parts) if len(parts) > 1 else query

    def search(self, q: str, filters: dict) -> dict:
        t = self.t
        query = self.index.parse_query(q, ["text", "response", "reference"], field_boosts={"reference": 2.0},
                                       conjunction_by_default=True)
        full = self._filtered(query, filters, None)
        result = self.searcher.search(full, 20, count=True)
        # One aggregation for the facets no filter touches, one per filtered facet (its own filter off).
        facets = {}
        free = [n for n in FACETS if not filters.get(n)]
        aggs = self.searcher.aggregate(full, {n: {"terms": {"field": n, "size": 1000}} for n in free})
        facets.update({n: aggs[n]["buckets"] for n in free})
        for name in FACETS:
            if filters.get(name):
                facets[name] = self.searcher.aggregate(self._filtered(query, filters, name),
                                                       {name: {"terms": {"field": name, "size": 1000}}})[name]["buckets"]
        text = t.SnippetGenerator.create(self.searcher, query, self.schema, "text")
        response = t.SnippetGenerator.create(self.searcher, query, self.schema, "response")
        text.set_max_num_chars(240)
        response.set_max_num_chars(240)
        hits = []
        for score, address in result.hits:
            doc = self.searcher.doc(address)
            hits.append({**doc.to_dict(), "score": score,
                         "snippets": (text.snippet_from_doc(doc).to_html(), response.snippet_from_doc(doc).to_html())})
        return {"hits": hits, "total": result.count, "facets": facets}

    def close(self) -> None:
        self.searcher = None
