"""Forces side by side: one row per force with what a researcher compares them by (how many
recommendations, what share each response status has, how many are overdue now, how long a
response takes, what they are mostly about), from the store's own answers.

Days to respond are measured where the graph saw them: a recommendation first observed without a
response and later with one (its observations, see `changes`); one first seen already answered
has no date of response to measure, so `responses_timed` says how many the median rests on.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date

SHARES = {"accepted": "accepted", "partially_accepted": "partly", "not_accepted": "not_accepted", "awaiting_response": "awaiting"}
COLUMNS = ["id", "name", "recommendations", *(f"{s}_share" for s in SHARES.values()), "overdue", "median_days_to_respond",
           "responses_timed", "top_programmes", "top_themes"]
TOP = 3


def days_to_respond(store) -> dict[str, list[int]]:
    """Force id -> days from recommendation to the observation that first showed its response."""
    out: dict[str, list[int]] = defaultdict(list)
    for row in store.changes("0000"):
        if row["change"] == "new" or row["previous_response"] or not row["response"] or not row.get("date_recommended"):
            continue
        days = (date.fromisoformat(row["seen"][:10]) - date.fromisoformat(row["date_recommended"])).days
        if days >= 0 and row["force_id"]:
            out[row["force_id"]].append(days)
    return out


def force_table(store, on: date | None = None) -> list[dict]:
    """One row per force with recommendations (COLUMNS), most recommendations first."""
    timed = days_to_respond(store)
    rows = []
    for force in store.acceptance("force"):
        fid = force.get("force")
        if not fid or not force["total"]:
            continue
        profile = store.force_profile(fid, on=on)
        total = profile["recommendations"] or force["total"]
        days = timed.get(fid, [])
        rows.append({
            "id": fid, "name": force.get("name") or fid, "recommendations": total,
            **{f"{short}_share": round(100 * profile["by_status"].get(status, 0) / total, 1) for status, short in SHARES.items()},
            "overdue": len(profile["overdue"]),
            "median_days_to_respond": statistics.median(days) if days else None, "responses_timed": len(days),
            "top_programmes": [p["name"] for p in profile["programmes"][:TOP]],
            "top_themes": [t["name"] for t in profile["themes"][:TOP]],
        })
    rows.sort(key=lambda r: (-r["recommendations"], r["id"]))
    return rows


def sorted_by(rows: list[dict], column: str, descending: bool) -> list[dict]:
    """Rows ordered by one column, blanks last whichever the direction."""
    present = [r for r in rows if r.get(column) is not None]
    blank = [r for r in rows if r.get(column) is None]
    key = (lambda r: str(r[column]).lower()) if column in ("id", "name", "top_programmes", "top_themes") else (lambda r: r[column])
    return sorted(present, key=key, reverse=descending) + blank
