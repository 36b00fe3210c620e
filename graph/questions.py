"""The relationship questions every store answers alike (profiles, patterns, deadlines, acceptance,
shared dependencies), from the primitives of graph/store.py: a mixin of `GraphStore`.

Whole-graph answers are kept until the store writes again (`memoised`), where the store is its
graph's one writer (`GraphStore.memoise`).
"""

from __future__ import annotations

import copy
import functools
from collections import Counter, defaultdict
from datetime import date

from graph import cypher
from ontology.exc import QueryRefused


def memoised(method):
    """Keep a whole-graph answer until the store is written again (see GraphStore.memoise)."""
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


class Questions:
    """Questions 1-6 and 9-11 of the README; the store gives `_read`, `get_node`, `memoise`, `version`."""

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


def _ranked(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (-r["recommendations"], r["id"]))


def _per_item(rows: list[dict]) -> list[dict]:
    """(rec_id, id, name) rows as items ranked by their number of distinct recommendations."""
    recs: dict[tuple, set] = defaultdict(set)
    for r in rows:
        recs[(r["id"], r["name"])].add(r["rec_id"])
    return _ranked([{"id": i, "name": n, "recommendations": len(s)} for (i, n), s in recs.items()])
