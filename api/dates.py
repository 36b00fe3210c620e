"""Days as people write them, read one way by the command line and the API: 2026-01-01,
01/01/2026 (day first, as in the UK), 1 January 2026, Jan 1 2026, today; and, where a moment is
wanted (changes since), a UTC time as ISO 8601 too."""

from __future__ import annotations

import re
from datetime import date, datetime

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d %B %Y", "%d %b %Y",
                "%B %d %Y", "%b %d %Y", "%d/%m/%y")
SPELLINGS = "YYYY-MM-DD, DD/MM/YYYY (day first) or '1 January 2026'"
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.I)
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+Z?")


def parse_day(value) -> date:
    """`value` as a date, or ValueError saying which spellings are read."""
    if isinstance(value, date):
        return value
    text = _ORDINAL.sub("", " ".join(str(value).replace(",", " ").split()))
    if text.lower() == "today":
        return date.today()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date: give {SPELLINGS}")


def parse_since(value: str) -> str:
    """A day in any spelling as YYYY-MM-DD, or a UTC time (YYYY-MM-DDTHH:MM:SSZ) as given: the
    lower bound of `changes`, compared with the observations' ISO times as text."""
    text = str(value).strip()
    if _INSTANT.fullmatch(text):
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
            # Observations carry fractions of a second (…:10.95Z); as text, a whole second (…:10Z)
            # sorts after them and left that second's changes out. The bound gets a zero fraction.
            return text if "." in text or not text.endswith("Z") else text[:-1] + ".000000Z"
        except ValueError:
            pass
    try:
        return parse_day(text).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date: give {SPELLINGS}, or a UTC time YYYY-MM-DDTHH:MM:SSZ") from None
