"""What moved, as an Atom 1.0 feed (RFC 4287): one entry per observation of `changes` (a
recommendation first seen, a status or a response that changed), newest first, so a researcher's
feed reader says when Kent responds."""

from __future__ import annotations

from datetime import datetime, timezone
from xml.etree import ElementTree as ET

from api import __version__

ATOM = "http://www.w3.org/2005/Atom"
WORDS = {"new": "first seen", "status": "status changed", "response": "response changed",
         "status+response": "status and response changed"}


def _status(value: str | None) -> str:
    return (value or "unknown").replace("_", " ")


def entry_title(row: dict) -> str:
    what = WORDS.get(row["change"], row["change"] or "changed")
    rec = f"{row.get('reference') or row['case_id']} ({row['rec_id']})"
    if row["change"] in ("status", "status+response") and row.get("previous_status"):
        return f"{rec}: {what}, {_status(row['previous_status'])} to {_status(row['status'])}"
    return f"{rec}: {what} ({_status(row['status'])})"


def atom(rows: list[dict], base: str, self_url: str, title: str, names: dict[str, str]) -> bytes:
    """The feed of `rows` (as `changes` gives them, newest first); `names` are force names by id."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            el.text = text
        return el

    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sub(feed, "id", self_url)
    sub(feed, "title", title)
    sub(feed, "updated", _instant(rows[0]["seen"]) if rows else now)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=f"{base}/", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "iopc-kg")
    sub(feed, "generator", "iopc-kg", version=__version__)
    for row in rows:
        e = sub(feed, "entry")
        sub(e, "id", f"{base}/recommendations/{row['rec_id']}#observed-{_instant(row['seen'])}")
        sub(e, "title", entry_title(row))
        sub(e, "updated", _instant(row["seen"]))
        sub(e, "link", rel="alternate", href=f"{base}/#/recommendation/{row['rec_id']}", type="text/html")  # the explorer's page
        sub(e, "link", rel="related", href=f"{base}/recommendations/{row['rec_id']}", type="application/json")
        if row.get("force_id"):
            sub(e, "category", term=row["force_id"], label=names.get(row["force_id"], row["force_id"]),
                scheme=f"{base}/forces/")
        said = [f"Status: {_status(row['status'])}."]
        if row.get("previous_status") and row["previous_status"] != row["status"]:
            said.append(f"Before: {_status(row['previous_status'])}.")
        if row.get("response"):
            said.append(f"Response: {row['response']}")
        sub(e, "content", " ".join(said), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _instant(seen: str) -> str:
    """An observation time as RFC 3339 (Atom's date form), UTC, whole seconds."""
    stamp = datetime.fromisoformat(seen.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
