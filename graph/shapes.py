"""The graph's own shapes for viewers: the forces' overview, a node's neighbourhood and the paths between
two nodes (questions 7-8 of the README), from the primitives of graph/store.py: a mixin of `GraphStore`.
Nodes are keyed `kind:id`, as the explorer draws them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter, defaultdict

from graph import cypher
from ontology.exc import QueryRefused

# How a neighbourhood chooses the nodes it keeps when a ring holds more than it has room for:
# `recent` (newest recommendations and cases first, then the most connected), `weight` (the most
# connected first, then the newest) or `id` (lowest id first).
NEIGHBOUR_RANKS = ("recent", "weight", "id")
NEIGHBOUR_ROWS = 1_000_000  # neighbour rows read per ring and kind: every one, so the ranking sees them all


class Shapes:
    """The overview, neighbourhoods and paths; the store gives `_read`, `_names`, `get_node`, `paths`."""

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
