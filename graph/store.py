"""The GraphStore interface: its primitives, writing case records, and reading them back.

Backends implement a few primitives (`_execute_write`, `_read`, `_read_only`, `paths`) and the
shared logic does the rest, so both stores give the same answers by construction; the contract tests
check them against answers computed in plain Python from the records. The questions are in
graph/questions.py, the overview, neighbourhoods and paths in graph/shapes.py.
"""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from graph import cypher
from graph.questions import Questions
from graph.rows import OWNED, Rows, case_rows, gazetteer_rows
from graph.shapes import Shapes
from ontology.exc import IopcKgError, NotFound
from ontology.model import model
from ontology.records import CaseRecord, RecommendationRecord

if TYPE_CHECKING:
    from graph.keys import FileKeys, GraphKeys

log = logging.getLogger(__name__)



_warming = threading.local()


@dataclass
class WriteResult:
    written: list[str]
    unchanged: list[str]
    failed: dict[str, str]


def _unique_batches(cases: list[CaseRecord], size: int):
    """`cases` in batches of at most `size`, a new batch wherever an id comes again: two versions of
    one case in one transaction collided on their recommendations' ids and left one behind (found by
    review); one after the other, the later replaces the earlier."""
    batch: list[CaseRecord] = []
    ids: set[str] = set()
    for case in cases:
        if len(batch) >= size or case.id in ids:
            yield batch
            batch, ids = [], set()
        batch.append(case)
        ids.add(case.id)
    if batch:
        yield batch


class GraphStore(Questions, Shapes, ABC):
    """A graph of cases, recommendations and what they link to."""

    name = "abstract"
    transactional = True  # a batch of cases is written all-or-nothing
    merge_is_seek = True  # MERGE on an id finds the node through an index (not so in LadybugDB)
    _timeout_ms: int | None = None

    @property
    def timeout_ms(self) -> int | None:
        """Time limit of every read unless a call gives its own (a warm-up in progress on this thread
        has a longer one of its own)."""
        return getattr(_warming, "timeout_ms", None) or self._timeout_ms

    @timeout_ms.setter
    def timeout_ms(self, value: int | None) -> None:
        self._timeout_ms = value
    version = 0  # bumped by every write through this object: caches of derived views key on it
    # Whole-graph answers (spread, similarity, co-occurrence, deadlines, acceptance, dependencies) are
    # kept until this object writes again. Only where this object is the graph's one writer (the
    # embedded store's file lock guarantees it); a Neo4j graph may be written by others.
    memoise = False
    dialect: cypher.Dialect
    _writer: threading.RLock  # one writer at a time in this process: lookups and writes agree
    keys: "GraphKeys | FileKeys"  # which stored cases a key finds (graph/keys.py)

    # -- primitives ------------------------------------------------------------------------------

    @abstractmethod
    def _execute_write(self, statements: list[tuple[str, dict]]) -> None:
        """Run the statements in one transaction."""

    @abstractmethod
    def _read(self, query: str, params: dict | None = None, timeout_ms: int | None = None) -> list[dict]:
        """Run a read query; values that are nodes come back as {label, id, ...props}."""

    @abstractmethod
    def _schema_statements(self) -> list[str]:
        """DDL for this store."""

    @abstractmethod
    def close(self) -> None:
        """Release the store."""

    def release_write_memory(self) -> None:
        """Give back what the store holds for writing, after a large write. Only for an owner that no
        other thread shares (the command line's ingest). The store stays usable unless another process
        opens the graph for writing in the moment it is released (then StoreUnavailable says so)."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship (tests and graph-copy targets)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- schema and writes -----------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create tables or constraints (idempotent) and load the gazetteers.

        A graph written under another schema (an older release) is rebuilt from the case records it
        stores, so upgrading never leaves questions answered from half-migrated data.
        """
        want = schema_fingerprint()
        have = self._fingerprint()
        if have == want:
            self.keys.check(self)
            return
        with self._writer:
            records = self._stored_records() if have is not None or self._has_cases() else []
            if have is not None or records:
                log.warning("the graph was written by another schema; rebuilding it from its %d stored cases", len(records))
                self._drop_schema()
            for statement in self._schema_statements():
                self._execute_write([(statement, {})])
            self._execute_write(self._statements(gazetteer_rows(), overwrite=True, merge_edges=True))
            if records:
                self.write_cases(records)
            self._execute_write([(cypher.SET_FINGERPRINT, {"fingerprint": want})])
            self.keys.check(self)

    def _fingerprint(self) -> str | None:
        try:
            rows = self._read(cypher.GET_FINGERPRINT)
        except Exception:  # noqa: BLE001 - no meta table yet (a new or a pre-fingerprint graph)
            return None
        return rows[0]["fingerprint"] if rows else None

    def _has_cases(self) -> bool:
        try:
            return bool(self._read("MATCH (c:`Case`) RETURN c.id AS id LIMIT 1"))
        except Exception:  # noqa: BLE001 - no Case table
            return False

    def _stored_records(self) -> list[CaseRecord]:
        try:
            return [c for page in self.case_pages(renderings=True) for c in page]
        except Exception:  # noqa: BLE001
            return []

    def _drop_schema(self) -> None:
        """Remove what an older schema created (default: every node; backends with tables drop them)."""
        self.clear()

    def _shared_nodes(self, kind: str, rows: list[dict], overwrite: bool) -> list[tuple[str, dict]]:
        """Upsert shared nodes (forces, bodies, programmes...): gazetteer rows overwrite, rows from
        records only fill nodes that do not exist yet. Backends whose MERGE is an index seek use it."""
        schema = model[kind]
        if self.merge_is_seek:
            return [(cypher.merge_nodes(schema, overwrite), {"rows": rows})]
        found = {r["id"] for r in self._read(cypher.existing_ids(kind), {"ids": [r["id"] for r in rows]})}
        out = [(cypher.create_nodes(schema), {"rows": [r for r in rows if r["id"] not in found]})]
        if overwrite:
            out.append((cypher.update_nodes(schema), {"rows": [r for r in rows if r["id"] in found]}))
        return out

    def _statements(self, rows: Rows, overwrite: bool = False, merge_edges: bool = False) -> list[tuple[str, dict]]:
        out = []
        for kind, node_rows in rows.nodes.items():
            unique = list({r["id"]: r for r in node_rows}.values())
            if kind in OWNED:
                out.append((cypher.create_nodes(model[kind]), {"rows": unique}))
            else:
                out += self._shared_nodes(kind, unique, overwrite)
        for (etype, src, dst), edge_rows in rows.edges.items():
            edge = model.edge_by_type[etype]
            query = cypher.merge_edges(edge, src, dst) if merge_edges else cypher.create_edges(edge, src, dst, self.dialect)
            out.append((query, {"rows": edge_rows}))
        return out

    def write_cases(self, cases: list[CaseRecord], batch_size: int = 500,
                    supersedes: dict[str, list[str]] | None = None) -> WriteResult:
        """Write cases, replacing earlier versions; unchanged cases are skipped.

        `supersedes` maps a case id to stored cases it replaces under other ids (a header-only case
        merged into its complete rendering): they are deleted in the same transaction.
        Each batch is one transaction; if a batch fails, its cases are retried one at a time so one
        bad case cannot keep the others out, and none is ever half-written.
        """
        result = WriteResult([], [], {})
        with self._writer:
            for batch in _unique_batches(cases, batch_size):
                self._write_batch(batch, result, supersedes or {})
        return result

    def _write_batch(self, batch: list[CaseRecord], result: WriteResult, supersedes: dict[str, list[str]]) -> None:
        ids = [c.id for c in batch] + [old for c in batch for old in supersedes.get(c.id, []) if old != c.id]
        stored = {r["id"]: r for r in self._read(cypher.CASE_STATE, {"ids": ids})}
        todo = []
        for case in batch:
            if case.id in stored and stored[case.id]["hash"] == case.content_hash():
                result.unchanged.append(case.id)
            else:
                todo.append(case)
        if not todo:
            return
        try:
            self._replace(todo, stored, supersedes)
            result.written += [c.id for c in todo]
        except IopcKgError:
            raise
        except Exception as e:  # noqa: BLE001 - isolate the failing case, then report it
            log.warning("batch failed (%s); retrying its cases one by one", e)
            for case in todo:
                try:
                    self._replace([case], stored, supersedes)
                    result.written.append(case.id)
                except Exception as e2:  # noqa: BLE001
                    result.failed[case.id] = str(e2)

    def _replace(self, cases: list[CaseRecord], stored: dict[str, dict], supersedes: dict[str, list[str]]) -> None:
        self.version += 1
        rows = Rows()
        for case in cases:
            rows.extend(case_rows(case))
        previous = [stored[c.id] for c in cases if c.id in stored]
        previous += [stored[old] for c in cases for old in supersedes.get(c.id, []) if old != c.id and old in stored]
        deletes, old_forces = self._deletes(previous)
        forces = {r["force"] for r in rows.nodes.get("Recommendation", []) if r["force"]}
        forces |= old_forces if old_forces is not None else {r["id"] for r in self._read(cypher.ALL_FORCES)}
        case_ids = [c.id for c in cases] + [p["id"] for p in previous]
        self._execute_write(self._keeping_reach(forces, case_ids, deletes + self._statements(rows) + self.keys.statements(cases)
                                                + self._orphaned_sources(previous)))
        self.keys.written(cases, [p["id"] for p in previous])

    @staticmethod
    def _keeping_reach(forces: set[str], case_ids: list[str], statements: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
        """`statements`, with what `forces` reach recomputed after them (cypher.FORCE_REACHED), those
        forces locked before them (cypher.LOCK_FORCES), and the forces the cases' recommendations
        concern when the transaction starts marked for the recompute too (cypher.MARK_REACH_STALE)."""
        ids = {"ids": sorted(forces)}
        return [(cypher.LOCK_FORCES, ids), (cypher.MARK_REACH_STALE, {"cases": sorted(set(case_ids))}), *statements,
                *((q, ids) for q in cypher.FORCE_REACHED)]

    @staticmethod
    def _orphaned_sources(previous: list[dict]) -> list[tuple[str, dict]]:
        """Remove the Source nodes the earlier versions pointed to, if no case points to them now
        (re-uploading a page under another name gave a new Source and left the old one behind)."""
        ids = set()
        for row in previous:
            try:
                ids.update(s["id"] for s in json.loads(row["record"]).get("sources") or [] if isinstance(s, dict) and s.get("id"))
            except (TypeError, ValueError):
                continue
        return [(cypher.DELETE_ORPHAN_SOURCES, {"ids": sorted(ids)})] if ids else []

    @staticmethod
    def _deletes(previous: list[dict]) -> tuple[list[tuple[str, dict]], set[str] | None]:
        """Statements that delete what earlier versions of cases owned, by id (computed from the stored
        record), and the forces their recommendations concerned (None: not known, an older record)."""
        if not previous:
            return [], set()
        owned: dict[str, set[str]] = defaultdict(set)
        forces: set[str] = set()
        try:
            for row in previous:
                old = case_rows(CaseRecord.from_dict(json.loads(row["record"]), "graph"))
                for kind in OWNED:
                    owned[kind].update(r["id"] for r in old.nodes.get(kind, []))
                forces.update(r["force"] for r in old.nodes.get("Recommendation", []) if r["force"])
        except Exception:  # noqa: BLE001 - a record from an older release: delete by pattern
            return [(q, {"ids": [r["id"] for r in previous]}) for q in cypher.DELETE_BY_CASE], None
        return [(cypher.delete_by_id(kind), {"ids": sorted(owned[kind])}) for kind in reversed(OWNED) if owned[kind]], forces

    def delete_cases(self, ids: list[str]) -> None:
        self.version += 1
        with self._writer:
            forces = {r["id"] for r in self._read(cypher.FORCES_OF_CASES, {"ids": ids})}
            self._execute_write(self._keeping_reach(forces, ids, [(q, {"ids": ids}) for q in cypher.DELETE_BY_CASE]))
            self.keys.written([], ids)

    # -- lookups ---------------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise if the store does not answer: one constant query, whatever the size of the graph (`/health`)."""
        self._read("RETURN 1 AS n")

    def counts(self) -> dict[str, int]:
        return {k: self._read(cypher.COUNTS.format(label=cypher.label(k)))[0]["n"] for k in model.schemas}

    def get_node(self, kind: str, id: str) -> dict:
        rows = self._read(cypher.GET_NODE.format(label=cypher.label(kind)), {"id": id})
        if not rows:
            raise NotFound(f"No {kind} with id {id!r}", errors={"id": id})
        return rows[0]["n"]

    def list_nodes(self, kind: str, skip: int = 0, limit: int = 100) -> list[dict]:
        return [r["n"] for r in self._read(cypher.LIST_NODES.format(label=cypher.label(kind)), {"skip": skip, "limit": limit})]

    def case_records(self, skip: int = 0, limit: int = 1_000_000, renderings: bool = False) -> list[CaseRecord]:
        """The stored case records, in id order (for exports), each with the renderings it was merged
        from if asked (what a copy or a rebuild must keep, so later arrivals merge as they would have)."""
        return [_case(r, renderings) for r in self._read(cypher.CASE_RECORDS, {"skip": skip, "limit": limit})]

    def case_pages(self, page: int = 1000, renderings: bool = False):
        """Every stored case record, a page at a time (`case_records`)."""
        skip = 0
        while cases := self.case_records(skip=skip, limit=page, renderings=renderings):
            yield cases
            skip += page

    def case_hashes(self) -> dict[str, str]:
        """Every case id -> the content hash of the version stored (the index is checked against it)."""
        return {r["id"]: r["hash"] for r in self._read(cypher.CASE_HASHES)}

    def case_state(self, ids: list[str] | None = None, page: int = 5000) -> dict[str, tuple[str, bool]]:
        """Case id -> (content hash, bare) of the version stored, for these ids (every case when None);
        a bare case has nothing for the search index (header-only, or no recommendation made)."""
        if ids is None:
            return {r["id"]: (r["hash"], bool(r["bare"])) for r in self._read(cypher.CASE_HASHES)}
        return {r["id"]: (r["hash"], bool(r["bare"])) for start in range(0, len(ids), page)
                for r in self._read(cypher.CASE_HASHES_BY_ID, {"ids": ids[start:start + page]})}

    def case_records_by_id(self, ids: list[str]) -> list[CaseRecord]:
        rows = self._read(cypher.CASE_RECORDS_BY_ID, {"ids": ids})
        return [CaseRecord.from_dict(json.loads(r["record"]), "graph") for r in rows]

    def cases_by_keys(self, keys: list[str], page: int = 5000) -> list[CaseRecord]:
        """Stored cases found by any of these keys (ontology/identity.py, graph/keys.py), each with its renderings."""
        ids = sorted({i for start in range(0, len(keys), page) for i in self.keys.find(keys[start:start + page])})
        return [_case(r, True) for start in range(0, len(ids), page)
                for r in self._read(cypher.CASE_WITH_RENDERINGS, {"ids": ids[start:start + page]})]

    def case_replacing(self, case_id: str) -> str | None:
        """The id of the case that `case_id` (an id one of its renderings has alone) was merged into."""
        found = sorted(self.case_state(sorted(self.keys.find([f"i:{case_id}"]) - {case_id})))
        return found[0] if found else None

    def case_record(self, case_id: str) -> CaseRecord:
        rows = self._read(cypher.CASE_RECORD, {"id": case_id})
        if not rows:
            raise NotFound(f"No case with id {case_id!r}", errors={"id": case_id})
        return CaseRecord.from_dict(json.loads(rows[0]["record"]), "graph")

    def _force_names(self) -> dict[str, str]:
        return {r["id"]: r["name"] for r in self._read(cypher.FORCE_NAMES)}

    def recommendation(self, rec_id: str) -> tuple[CaseRecord, RecommendationRecord]:
        """The case record holding a recommendation, and the recommendation."""
        rows = self._read(cypher.REC_CASE, {"id": rec_id})
        if not rows:
            raise NotFound(f"No recommendation with id {rec_id!r}", errors={"id": rec_id})
        case = CaseRecord.from_dict(json.loads(rows[0]["record"]), "graph")
        rec = next(r for r in case.recommendations if case.recommendation_id(r) == rec_id)
        return case, rec

    # -- history ---------------------------------------------------------------------------------

    def history(self, rec_id: str) -> list[dict]:
        """A recommendation's observations in time order: first seen, each change, last seen."""
        rows = self._read(cypher.HISTORY, {"id": rec_id})
        if not rows:
            self.get_node("Recommendation", rec_id)  # NotFound for an unknown id; [] for one never crawled
        return rows

    def changes(self, since: str, limit: int | None = None) -> list[dict]:
        """What moved since a date or time: recommendations first seen, and each status or response change."""
        rows = self._read(cypher.CHANGES, {"since": since})
        return rows if limit is None else rows[:limit]

    # -- power users -----------------------------------------------------------------------------

    def warm(self) -> None:
        """Ask each relationship question, so that a server's first visitors do not pay for query
        planning: Neo4j plans and compiles every statement the first time it sees it (seconds each on
        a busy machine, past the query limit), then keeps the plan. Twice on Neo4j (which keeps no
        memo): the second asking plans each query's collected form (Neo4jStore._read)."""
        _warming.timeout_ms = max(self._timeout_ms or 0, 120_000)
        try:
            for _ in range(2 if self.dialect.name == "neo4j" else 1):
                ids = {kind: [n["id"] for n in self.list_nodes(kind, limit=2)] for kind in ("Force", "Programme", "Theme", "Body")}
                for force in ids["Force"][:1]:
                    self.force_profile(force)
                    self.similar_forces(force)
                    self.neighbourhood("Force", force, 2, 50)
                    if len(ids["Force"]) > 1:
                        self.paths(("Force", force), ("Force", ids["Force"][1]))
                for kind, profile in (("Programme", self.programme_profile), ("Theme", self.theme_profile), ("Body", self.body_profile)):
                    for item in ids[kind][:1]:
                        profile(item)
                self.spread("programme")
                self.spread("theme")
                self.cooccurrence()
                self.deadlines()
                self.deadlines(limit=100)
                self.acceptance("force")
                self.acceptance("year")
                self.shared_dependencies()
                self.overview()
        finally:
            del _warming.timeout_ms

    def read_only_query(self, query: str, params: dict | None = None, max_rows: int = 1000, timeout_ms: int = 5000) -> dict:
        """Run a user's Cypher in the store's read-only mode, with a time limit and a row cap.

        In this process: users' queries reach it through `graph.sandbox.Sandbox`, which runs it in a
        jailed worker (embedded) or checks the text first (both)."""
        from graph.sandbox.text import check_cypher

        check_cypher(query)
        rows = self._read_only(query, params or {}, max_rows + 1, timeout_ms)
        return {"rows": rows[:max_rows], "truncated": len(rows) > max_rows}

    @abstractmethod
    def _read_only(self, query: str, params: dict, max_rows: int, timeout_ms: int) -> list[dict]:
        """Run in the store's read-only mode."""


def _case(row: dict, renderings: bool) -> CaseRecord:
    case = CaseRecord.from_dict(json.loads(row["record"]), "graph")
    if renderings and row.get("renderings"):
        case.renderings = [CaseRecord.from_dict(d, "graph") for d in json.loads(row["renderings"])]
    return case


def schema_fingerprint() -> str:
    """Identifies the tables and rows this release writes (the same for both stores)."""
    import hashlib

    from graph.rows import ROWS_VERSION

    return hashlib.sha1("\n".join([*cypher.ladybug_schema(), str(ROWS_VERSION)]).encode()).hexdigest()[:16]


def jsonable(value):
    """Node and relationship values as plain JSON values."""
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
