"""The GraphStore interface: writing case records and answering the relationship questions.

Backends implement a few primitives (`_execute_write`, `_read`, `_read_only`, `paths`) and the
shared logic here does the rest, so both stores give the same answers by construction; the contract
tests check them against answers computed in plain Python from the records.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from graph import cypher
from graph.rows import OWNED, Rows, case_rows, gazetteer_rows
from ontology.exc import IopcKgError, NotFound, QueryRefused
from ontology.model import model
from ontology.records import CaseRecord, RecommendationRecord

if TYPE_CHECKING:
    from graph.keys import FileKeys, GraphKeys

log = logging.getLogger(__name__)

OPEN = ("awaiting_response", "unknown")
# How a neighbourhood chooses the nodes it keeps when a ring holds more than it has room for:
# `recent` (newest recommendations and cases first, then the most connected), `weight` (the most
# connected first, then the newest) or `id` (lowest id first).
NEIGHBOUR_RANKS = ("recent", "weight", "id")
NEIGHBOUR_ROWS = 1_000_000  # neighbour rows read per ring and kind: every one, so the ranking sees them all


_warming = threading.local()


def memoised(method):
    """Keep a whole-graph answer until the store is written again (see GraphStore.memoise)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.memoise:
            return method(self, *args, **kwargs)
        # Today's date is part of the key: deadlines default to today.
        key = (method.__name__, args, tuple(sorted(kwargs.items())), date.today(), self.version)
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            if len(memo) > 256 or any(k[4] != self.version for k in list(memo)[:1]):
                memo.clear()
            memo[key] = method(self, *args, **kwargs)
        return copy.deepcopy(memo[key])

    return wrapper


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


class GraphStore(ABC):
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
        """Case id -> (content hash, header-only) of the version stored, for these ids (every case when None)."""
        if ids is None:
            return {r["id"]: (r["hash"], bool(r["incomplete"])) for r in self._read(cypher.CASE_HASHES)}
        return {r["id"]: (r["hash"], bool(r["incomplete"])) for start in range(0, len(ids), page)
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

    # -- 1-3: profiles ---------------------------------------------------------------------------

    def force_profile(self, force_id: str, on: date | None = None) -> dict:
        force = self.get_node("Force", force_id)
        today = (on or date.today()).isoformat()
        groups = self._read(cypher.FORCE_STATUS, {"id": force_id, "today": today})
        by_year: dict = defaultdict(Counter)
        by_status, cases, overdue = Counter(), set(), []
        for g in groups:
            by_year[g["year"]][g["status"]] += g["n"]
            by_status[g["status"]] += g["n"]
            cases.update(g["cases"])
            overdue += g["overdue"]
        return {
            "force": force,
            "cases": len(cases),
            "recommendations": sum(by_status.values()),
            "by_year": [{"year": y, "statuses": dict(sorted(c.items()))} for y, c in sorted(by_year.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))],
            "by_status": dict(sorted(by_status.items())),
            **self._force_items(force_id),
            "bodies": _ranked(self._read(cypher.FORCE_BODIES, {"id": force_id})),
            "overdue": sorted(overdue),
        }

    def programme_profile(self, programme_id: str) -> dict:
        """Every force and body a programme reaches through recommendations and responses."""
        out = self._reach("Programme", programme_id, cypher.PROGRAMME_BODIES)
        out["users"] = sorted(r["id"] for r in self._read(cypher.PROGRAMME_USERS, {"id": programme_id}))
        return out

    def theme_profile(self, theme_id: str) -> dict:
        """Every force and body whose recommendations or responses are about a theme."""
        return self._reach("Theme", theme_id, cypher.THEME_BODIES)

    def _reach(self, kind: str, id: str, bodies_query: str) -> dict:
        node = self.get_node(kind, id)
        groups = self._read(cypher.REACH_RECS[kind.lower(), self.dialect.walks_reach], {"id": id})  # per (force, status)
        names = self._force_names()
        forces, by_status, ids = Counter(), Counter(), set()
        for g in groups:
            if g["force_id"]:
                forces[(g["force_id"], names.get(g["force_id"]))] += g["n"]
            by_status[g["status"]] += g["n"]
            ids.update(g["ids"])
        firsts = [g["first_year"] for g in groups if g["first_year"] is not None]
        lasts = [g["last_year"] for g in groups if g["last_year"] is not None]
        return {
            kind.lower(): node,
            "recommendations": len(ids),
            "recommendation_ids": sorted(ids),
            "forces": [{"id": i, "name": n, "recommendations": c} for (i, n), c in sorted(forces.items(), key=lambda kv: (-kv[1], kv[0][0]))],
            "bodies": _per_item(self._read(bodies_query, {"id": id})),
            "first_year": min(firsts) if firsts else None,
            "last_year": max(lasts) if lasts else None,
            "by_status": dict(sorted(by_status.items())),
        }

    def body_profile(self, body_id: str) -> dict:
        body = self.get_node("Body", body_id)
        rows = self._read(cypher.BODY_RECS, {"id": body_id})
        forces = defaultdict(set)
        for r in rows:
            if r["force_id"]:
                forces[(r["force_id"], r["force_name"])].add(r["rec_id"])
        return {
            "body": body,
            "addressed_to": sorted({r["rec_id"] for r in rows if r["role"] == "addressed_to"}),
            "linked_to": sorted({r["rec_id"] for r in rows if r["role"] == "linked_body"}),
            "forces": [{"id": i, "name": n, "recommendations": len(s)} for (i, n), s in sorted(forces.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))],
            "by_status": dict(sorted(Counter(r["status"] for r in {r["rec_id"]: r for r in rows}.values()).items())),
            "members": sorted(r["id"] for r in self._read(cypher.BODY_MEMBERS, {"id": body_id})),
        }

    # -- 4-6: patterns ---------------------------------------------------------------------------

    @memoised
    def spread(self, kind: str = "programme", min_forces: int = 2, limit: int = 100) -> list[dict]:
        """Programmes or themes ranked by how many distinct forces' recommendations reach them."""
        if kind not in ("programme", "theme"):
            raise QueryRefused(f"spread kind must be 'programme' or 'theme', not {kind!r}", errors={"kind": kind})
        # From the copies on Force nodes (cypher.FORCE_REACHED): 46 rows, where scanning 30k
        # recommendations took 60 ms on Neo4j at 10k (p95 up to 128).
        forces, recs = defaultdict(list), Counter()
        for f in self._read(cypher.FORCE_COPIES.format(where="")):
            for x, n in zip(f[kind] or [], f[f"{kind}_n"] or []):
                forces[x].append(f["id"])
                recs[x] += n
        label_ = kind.capitalize()
        names = self._names({(label_, x) for x, ids in forces.items() if len(ids) >= min_forces})
        rows = [{"id": x, "name": names[label_, x], "forces": len(ids), "recommendations": recs[x], "force_ids": sorted(ids)}
                for x, ids in forces.items() if (label_, x) in names]
        rows.sort(key=lambda r: (-r["forces"], -r["recommendations"], r["id"]))
        return rows[:limit]

    @memoised
    def similar_forces(self, force_id: str, limit: int = 10) -> list[dict]:
        """Forces most like `force_id` by Jaccard similarity of their programme and theme sets."""
        self.get_node("Force", force_id)
        forces = self._read(cypher.FORCE_COPIES.format(where=""))
        names = {f["id"]: f["name"] for f in forces}
        features = {f["id"]: {("programme", i) for i in f["programme"] or []} | {("theme", i) for i in f["theme"] or []}
                    for f in forces if f["programme"] or f["theme"]}
        mine = features.get(force_id, set())
        out = []
        for other, theirs in features.items():
            if other == force_id or not mine:
                continue
            shared = mine & theirs
            if not shared:
                continue
            out.append({
                "id": other, "name": names[other],
                "score": round(len(shared) / len(mine | theirs), 4),
                "shared_programmes": sorted(i for k, i in shared if k == "programme"),
                "shared_themes": sorted(i for k, i in shared if k == "theme"),
            })
        out.sort(key=lambda r: (-r["score"], r["id"]))
        return out[:limit]

    @memoised
    def cooccurrence(self, pair: str = "programme-programme", min_count: int = 1, limit: int = 100) -> list[dict]:
        """Pairs that appear in the same recommendation (its text or its response), with counts."""
        if pair not in cypher.COOCCURRENCE:
            raise QueryRefused(f"pair must be 'programme-programme' or 'programme-theme', not {pair!r}", errors={"pair": pair})
        rows = [{"a": r["a"], "b": r["b"], "count": r["n"]}
                for r in self._read(cypher.COOCCURRENCE[pair], {"min": min_count, "limit": limit})]
        rows.sort(key=lambda r: (-r["count"], r["a"], r["b"]))
        b_label = "Programme" if pair == "programme-programme" else "Theme"
        names = self._names({("Programme", r["a"]) for r in rows} | {(b_label, r["b"]) for r in rows})
        return [dict(r, a_name=names.get(("Programme", r["a"]), r["a"]), b_name=names.get((b_label, r["b"]), r["b"])) for r in rows[:limit]]

    def names_of(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(label, id) -> the node's name (its id if it has none), for the keys whose node exists:
        what a graph file labels its nodes by."""
        return self._names(keys)

    @memoised
    def _force_items(self, force_id: str) -> dict:
        """A force's programmes and themes, ranked by its recommendations that reach each, from the
        copies on its node (cypher.FORCE_REACHED)."""
        rows = self._read(cypher.FORCE_COPIES.format(where=" WHERE f.id = $id"), {"id": force_id})
        kinds = (("programme", "Programme"), ("theme", "Theme"))
        counts = {label_: dict(zip(rows[0][kind] or [], rows[0][f"{kind}_n"] or [])) if rows else {} for kind, label_ in kinds}
        names = self._names({(label_, id) for label_, c in counts.items() for id in c})
        return {f"{kind}s": _ranked([{"id": id, "name": names[label_, id], "recommendations": n}
                                     for id, n in counts[label_].items() if (label_, id) in names])
                for kind, label_ in kinds}

    def _names(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(label, id) -> the node's name (its id if it has none), for the keys whose node exists."""
        labels = sorted({k for k, _ in keys})
        if not labels:
            return {}
        params = {f"ids{i}": sorted(id for k, id in keys if k == label_) for i, label_ in enumerate(labels)}
        return {(r["kind"], r["id"]): r["name"] or r["id"] for r in self._read(cypher.names_of(labels), params)}

    def overview(self, kinds: tuple[str, ...] = ("programme", "theme", "addressed_to"), min_weight: int = 1,
                 max_edges: int | None = 150) -> dict:
        """Forces linked to the programmes, themes and bodies their recommendations reach, each edge
        weighted by the number of recommendations (gazetteer edges weigh 1).

        The heaviest `max_edges` edges (None: every one) of weight at least `min_weight` are returned with their nodes;
        `total_edges` and `total_nodes` count every edge and node that passed the filter, so a reader
        is told what was left out. Args: kinds: relation kinds, keys of `cypher.OVERVIEW`.
        """
        unknown = sorted(set(kinds) - set(cypher.OVERVIEW))
        if unknown or not kinds:
            raise QueryRefused(f"kinds must be among {', '.join(cypher.OVERVIEW)}, not {', '.join(unknown) or 'none'}",
                               errors={"kinds": ", ".join(unknown)})
        forces = self._read(cypher.FORCE_COPIES.format(where=""))
        names = {f["id"]: f["name"] or f["id"] for f in forces}
        recs = {f["id"]: f["recommendations"] or 0 for f in forces}
        weighted = []  # (kind, force id, target id, weight)
        for kind in sorted(set(kinds)):
            if cypher.OVERVIEW[kind][2] is None:
                weighted += [(kind, f["id"], x, n) for f in forces for x, n in zip(f[kind] or [], f[f"{kind}_n"] or [])]
            else:
                weighted += [(kind, r["force_id"], r["id"], r["weight"]) for r in self._read(cypher.OVERVIEW[kind][2])]
        weighted = [w for w in weighted if w[3] >= min_weight and w[1] in names]
        targets = self._names({(cypher.OVERVIEW[kind][0], id) for kind, _, id, _ in weighted})
        edges = [{"source": _key("Force", force_id), "target": _key(cypher.OVERVIEW[kind][0], id), "type": kind,
                  "relation": cypher.OVERVIEW[kind][1], "weight": weight}
                 for kind, force_id, id, weight in weighted if (cypher.OVERVIEW[kind][0], id) in targets]
        edges.sort(key=lambda e: (-e["weight"], e["source"], e["target"], e["type"]))
        weight = Counter()
        for e in edges:
            weight[e["source"]] += e["weight"]
            weight[e["target"]] += e["weight"]
        shown = edges[:max_edges]
        keys = sorted({e["source"] for e in shown} | {e["target"] for e in shown})
        by_key = {_key(*t): t for t in targets}
        nodes = []
        for key in keys:
            if key.startswith("force:"):
                fid = key.partition(":")[2]
                node = {"label": "Force", "id": fid, "name": names[fid], "recommendations": recs.get(fid, 0)}
            else:
                label_, id = by_key[key]
                node = {"label": label_, "id": id, "name": targets[label_, id]}
            nodes.append(dict(node, key=key, weight=weight[key]))
        return {"nodes": nodes, "edges": shown, "kinds": sorted(set(kinds)), "min_weight": min_weight,
                "total_edges": len(edges), "total_nodes": len(weight), "truncated": len(shown) < len(edges)}

    # -- 7-8: neighbourhood and paths --------------------------------------------------------------

    def neighbourhood(self, kind: str, id: str, depth: int = 1, max_nodes: int | None = 200, rank: str = "recent") -> dict:
        """Nodes and edges within `depth` hops, breadth first, at most `max_nodes` (None: every one).

        When a ring holds more nodes than there is room for, the ones kept are chosen by `rank`
        (NEIGHBOUR_RANKS): the most recent recommendations and cases first, the most connected
        first, or by id; `total_nodes` and `total_edges` count every node and edge found, kept or
        not (the nodes of a ring that was cut are not followed further)."""
        if not 1 <= depth <= 3:
            raise QueryRefused("depth must be between 1 and 3", errors={"depth": depth})
        if rank not in NEIGHBOUR_RANKS:
            raise QueryRefused(f"rank must be one of {', '.join(NEIGHBOUR_RANKS)}, not {rank!r}", errors={"rank": rank})
        start = self.get_node(kind, id)
        room = max_nodes if max_nodes is not None else float("inf")
        keys = {(kind, id)}
        seen = {(kind, id)}
        found_edges: set[tuple] = set()
        frontier = [(kind, id)]
        truncated = False
        for _ in range(depth):
            if len(keys) >= room:
                truncated = True  # full: the next ring could add edges among these nodes, not nodes
                break
            weight: Counter = Counter()  # new neighbour -> its edges to the nodes kept so far
            by_kind = defaultdict(list)
            for k, i in frontier:
                by_kind[k].append(i)
            for k, ids in sorted(by_kind.items()):
                for direction in ("out", "in"):
                    # Ids and labels only: whole nodes cost five times as much to read, and most are cut.
                    for r in self._read(self.dialect.neighbours(k, direction), {"ids": ids, "limit": NEIGHBOUR_ROWS}):
                        key = (r["label"], r["id"])
                        src, dst = ((k, r["from_id"]), key) if direction == "out" else (key, (k, r["from_id"]))
                        found_edges.add((src, dst, r["type"]))
                        if key not in keys:
                            weight[key] += 1
            seen |= set(weight)
            chosen = list(weight)
            if len(keys) + len(chosen) > room:
                truncated = True
                chosen = self._ranked_neighbours(weight, rank)[:int(room - len(keys))]
            keys.update(chosen)
            frontier = chosen
            if not frontier:
                break
        edges = {e: {"source": _key(*e[0]), "target": _key(*e[1]), "type": e[2]}
                 for e in found_edges if e[0] in keys and e[1] in keys}
        nodes = {(kind, id): start}
        by_kind = defaultdict(list)
        for k, i in keys - {(kind, id)}:
            by_kind[k].append(i)
        for k, ids in by_kind.items():
            for r in self._read(cypher.GET_NODES.format(label=cypher.label(k)), {"ids": ids}):
                nodes[(k, r["n"]["id"])] = r["n"]
        return {"nodes": [dict(nodes[key], key=_key(*key)) for key in sorted(nodes, key=lambda kv: (kv != (kind, id), kv))],
                "edges": sorted(edges.values(), key=lambda e: (e["source"], e["target"], e["type"])),
                "truncated": truncated, "rank": rank, "total_nodes": len(seen), "total_edges": len(found_edges)}

    def _ranked_neighbours(self, weight: Counter, rank: str) -> list[tuple[str, str]]:
        """Candidate neighbours in the order `rank` keeps them (see `neighbourhood`)."""
        if rank == "id":
            return sorted(weight)
        dates: dict[tuple[str, str], str] = {}
        for k in ("Case", "Recommendation"):
            ids = sorted(i for kk, i in weight if kk == k)
            if ids:
                dates.update({(k, r["id"]): r["date"] or "" for r in self._read(cypher.DATES_OF.format(label=cypher.label(k)), {"ids": ids})})

        def newest(key):  # descending date as an ascending key; undated last
            d = dates.get(key, "")
            return (0, tuple(-ord(c) for c in d)) if d else (1, ())

        if rank == "weight":
            return sorted(weight, key=lambda key: (-weight[key], newest(key), key))
        return sorted(weight, key=lambda key: (newest(key), -weight[key], key))

    @abstractmethod
    def paths(self, a: tuple[str, str], b: tuple[str, str], max_length: int = 8, limit: int = 10) -> list[dict]:
        """All shortest paths between two nodes (kind, id), each as `shape_path` gives it."""

    # -- 9-11: deadlines, acceptance, shared dependencies ----------------------------------------

    @memoised
    def deadlines(self, on: date | None = None, force_id: str | None = None, limit: int | None = None) -> dict:
        """Overdue recommendations on a date (no response or still awaited, due date passed), per force;
        the longest overdue first, `limit` of them (all by default), with the total."""
        day = on or date.today()
        today = day.isoformat()
        names = self._force_names()
        by_force = bool(force_id)
        params = {"today": today, **({"force": force_id} if by_force else {})}
        if limit is None:
            rows = self._read(cypher.OVERDUE[by_force], params)
            per_force = Counter(r["force_id"] for r in rows)
        else:  # the longest overdue `limit`, and the counts: thousands of rows stay in the store
            rows = self._read(cypher.OVERDUE_FIRST[by_force], {**params, "limit": limit})
            per_force = Counter({r["force_id"]: r["n"] for r in self._read(cypher.OVERDUE_PER_FORCE[by_force], params)})
        overdue = [dict(r, force_name=names.get(r["force_id"]), days_overdue=(day - date.fromisoformat(r["due"])).days) for r in rows]
        overdue.sort(key=lambda r: (-r["days_overdue"], r["rec_id"]))
        return {
            "on": today,
            "total": sum(per_force.values()),
            "overdue": overdue if limit is None else overdue[:limit],
            "per_force": [{"id": i, "name": names.get(i), "overdue": c}
                          for i, c in sorted(per_force.items(), key=lambda kv: (-kv[1], kv[0] or ""))],
        }

    @memoised
    def acceptance(self, by: str = "force") -> list[dict]:
        """Counts of each status per force or per year."""
        if by not in ("force", "year"):
            raise QueryRefused(f"by must be 'force' or 'year', not {by!r}", errors={"by": by})
        names = self._force_names()
        totals = Counter({r["status"]: r["n"] for r in self._read(cypher.STATUS_TOTALS)})
        for _ in range(5):  # two reads: asked again if a write came between them (the totals moved)
            keyed = self._read(cypher.ACCEPTANCE[by])
            after = Counter({r["status"]: r["n"] for r in self._read(cypher.STATUS_TOTALS)})
            if after == totals:
                break
            totals = after
        table: dict = defaultdict(Counter)
        left = Counter(totals)
        for r in keyed:
            table[r["key"]][r["status"]] += r["n"]
            left[r["status"]] -= r["n"]
        if +left:  # recommendations of no force, or of no year
            table[None].update(+left)
        out = []
        for key, c in table.items():
            row = {by: key, "total": sum(c.values())}
            if by == "force":
                row["name"] = names.get(key)
            row.update({s: c.get(s, 0) for s in ("accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown")})
            out.append(row)
        out.sort(key=lambda r: (r[by] is None, r[by] if r[by] is not None else 0) if by == "year" else (r[by] is None, r[by] or ""))
        return out

    @memoised
    def shared_dependencies(self, min_forces: int = 2) -> list[dict]:
        """Bodies and programmes that responses defer to, with every force the one decision spans."""
        targets: dict[tuple, dict] = {}
        for r in self._read(cypher.DEFERRALS.format(node_label=self.dialect.node_label)):
            label_, id = r["target_label"], r["target_id"]
            entry = targets.setdefault((label_, id), {"label": label_, "id": id, "name": r["target_name"], "deferrals": []})
            entry["deferrals"].append({k: r[k] for k in ("rec_id", "status", "force_id", "phrase")})
        out = []
        for (kind, id), entry in targets.items():
            span = {r["id"] for r in self._read(cypher.DEPENDENCY_SPAN[kind], {"id": id})} if kind in cypher.DEPENDENCY_SPAN else set()
            deferring = {d["force_id"] for d in entry["deferrals"] if d["force_id"]}
            span |= deferring
            entry["deferrals"].sort(key=lambda d: d["rec_id"])
            entry["deferring_forces"] = sorted(deferring)
            entry["forces_spanned"] = sorted(span)
            if len(span) >= min_forces:
                out.append(entry)
        out.sort(key=lambda e: (-len(e["forces_spanned"]), e["label"], e["id"]))
        return out

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


def shape_path(nodes: list[dict], edges: list[tuple[dict, dict, str]]) -> dict:
    """A path as a graph viewer draws it: node dicts with keys, edges {source, target, type}."""
    return {
        "length": len(edges),
        "nodes": [dict(n, key=_key(n["label"], n["id"])) for n in nodes],
        "edges": [{"source": _key(s["label"], s["id"]), "target": _key(d["label"], d["id"]), "type": t} for s, d, t in edges],
    }


def sort_paths(paths: list[dict]) -> list[dict]:
    return sorted(paths, key=lambda p: (p["length"], [n["key"] for n in p["nodes"]]))


def _key(kind: str, id: str) -> str:
    return f"{kind.lower()}:{id}"


def _ranked(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (-r["recommendations"], r["id"]))


def _per_item(rows: list[dict]) -> list[dict]:
    """(rec_id, id, name) rows as items ranked by their number of distinct recommendations."""
    recs: dict[tuple, set] = defaultdict(set)
    for r in rows:
        recs[(r["id"], r["name"])].add(r["rec_id"])
    return _ranked([{"id": i, "name": n, "recommendations": len(s)} for (i, n), s in recs.items()])


def jsonable(value):
    """Node and relationship values as plain JSON values."""
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value
