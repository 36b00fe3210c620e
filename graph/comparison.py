"""Side by side: one row per force, programme or body with what a researcher compares them by (how
many recommendations, what share each response status has, how many are overdue now, how long a
response takes, what they are mostly about or whom they reach), from the store's own answers.

Days to respond are measured where the graph saw them: a recommendation first observed without a
response and later with one (its observations, see `changes`); one first seen already answered
has no date of response to measure, so `responses_timed` says how many the median rests on.
"""

from __future__ import annotations

import statistics
from datetime import date

from ontology.exc import QueryRefused

SHARES = {"accepted": "accepted", "partially_accepted": "partly", "not_accepted": "not_accepted", "awaiting_response": "awaiting"}
_COMMON = ["id", "name", "recommendations", *(f"{s}_share" for s in SHARES.values()), "overdue", "median_days_to_respond",
           "responses_timed"]
# The columns of each table, by what its rows are.
TABLES = {
    "force": [*_COMMON, "top_programmes", "top_themes"],
    "programme": [*_COMMON, "forces", "top_forces"],
    "body": [*_COMMON, "forces", "top_forces"],
}
COLUMNS = list(dict.fromkeys(c for columns in TABLES.values() for c in columns))  # every table's, for a sort parameter
TEXT_COLUMNS = ("id", "name", "top_programmes", "top_themes", "top_forces")
TOP = 3


def days_to_respond(store) -> dict[str, tuple[str | None, int]]:
    """Recommendation id -> (its force, days from recommendation to the observation that first showed its response)."""
    out: dict[str, tuple[str | None, int]] = {}
    for row in store.changes("0000"):
        if row["change"] == "new" or row["previous_response"] or not row["response"] or not row.get("date_recommended"):
            continue
        days = (date.fromisoformat(row["seen"][:10]) - date.fromisoformat(row["date_recommended"])).days
        if days >= 0:
            out.setdefault(row["rec_id"], (row["force_id"], days))
    return out


def table(store, by: str = "force", on: date | None = None) -> list[dict]:
    """One row per force, programme or body with recommendations (`TABLES[by]`), most recommendations first."""
    if by not in TABLES:
        raise QueryRefused(f"by must be one of {', '.join(TABLES)}, not {by!r}", errors={"by": by})
    timed = days_to_respond(store)
    rows = []
    for item, total, by_status, overdue, days, extra in (_forces if by == "force" else _others)(store, by, on, timed):
        if not total:
            continue
        rows.append({
            "id": item["id"], "name": item.get("name") or item["id"], "recommendations": total,
            **{f"{short}_share": round(100 * by_status.get(status, 0) / total, 1) for status, short in SHARES.items()},
            "overdue": overdue,
            "median_days_to_respond": statistics.median(days) if days else None, "responses_timed": len(days),
            **extra,
        })
    rows.sort(key=lambda r: (-r["recommendations"], r["id"]))
    return rows


def _forces(store, by, on, timed):
    """(force, recommendations, count by status, overdue, days to respond, its own columns) per force."""
    per_force: dict[str, list[int]] = {}
    for force_id, days in timed.values():
        per_force.setdefault(force_id, []).append(days)
    for force in store.acceptance("force"):
        fid = force.get("force")
        if not fid or not force["total"]:
            continue
        profile = store.force_profile(fid, on=on)
        yield ({"id": fid, "name": force.get("name")}, profile["recommendations"] or force["total"], profile["by_status"],
               len(profile["overdue"]), per_force.get(fid, []), {
                   "top_programmes": [p["name"] for p in profile["programmes"][:TOP]],
                   "top_themes": [t["name"] for t in profile["themes"][:TOP]]})


def _others(store, by, on, timed):
    """The same per programme or body, from their profiles' recommendation ids."""
    overdue = {r["rec_id"] for r in store.deadlines(on=on)["overdue"]}
    for node in store.list_nodes(by.capitalize(), 0, 1_000_000):
        profile = store.programme_profile(node["id"]) if by == "programme" else store.body_profile(node["id"])
        ids = set(profile["recommendation_ids"]) if by == "programme" else set(profile["addressed_to"]) | set(profile["linked_to"])
        yield (node, len(ids), profile["by_status"], len(ids & overdue), [timed[i][1] for i in ids if i in timed],
               {"forces": len(profile["forces"]), "top_forces": [f["name"] or f["id"] for f in profile["forces"][:TOP]]})


def sorted_by(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """Rows ordered by one column, blanks last whichever the direction."""
    present = [r for r in rows if r.get(column) is not None]
    blank = [r for r in rows if r.get(column) is None]
    key = (lambda r: str(r[column]).lower()) if column in TEXT_COLUMNS else (lambda r: r[column])
    return sorted(present, key=key, reverse=descending) + blank
