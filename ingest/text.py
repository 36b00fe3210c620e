"""Reading page bytes into clean text, and repairing the damage FORMATS.md lists (quirk 5)."""

from __future__ import annotations

import re

from ontology.exc import InvalidSource

MAX_PAGE_BYTES = 5_000_000
# A file of records (JSON, JSON lines) holds many cases: 2,000 cases are about 9 MB (issue 19 found
# a 9.3 MB file refused by the page limit). It is read whole, so it still has a limit, stated in
# `iopc-kg ingest --help` and the README.
MAX_RECORDS_BYTES = 200_000_000

# Words seen glued to their article on the mirror ("anindependent", "anational": FORMATS.md, quirk 5).
# A closed list: splitting every token that starts with "an" would break "another", "analysis" ...
_AFTER_AN = frozenset(
    "independent individual officer investigation incident internal external appropriate effective update arrest"
    " assessment opportunity unannounced emergency issue email".split())
_AFTER_A = frozenset(
    "national review referral decision detainee supervisor force number new further full clear report person member"
    " system specific separate lack thorough robust formal local single second".split())
# Candidates only: every word of five letters or more starting with "a" (a set lookup decides; one
# alternation of all the words above is four times slower on a typical page).
_A_WORD = re.compile(r"\ba[a-z]{4,}\b")
_SENTENCE_GLUE = re.compile(r"([.?!])(?<=[a-z]{2}[.?!])(?=[A-Z][a-z])")
_BULLET_CUE = re.compile(r"-(?=\s+(?:How|What|Why|When|Whether|That|The|A|An|To) )")
_BULLET = re.compile(r"(?<=[a-z.;])\s*-\s+(?=[A-Z][a-z]+ )(?=(?:How|What|Why|When|Whether|That|The|A|An|To)\b)")


def decode(data: bytes, name: str, limit: int = MAX_PAGE_BYTES, what: str = "page") -> str:
    """Decode page bytes: UTF-8 (with or without BOM), then Windows-1252; binary is refused."""
    if len(data) > limit:
        raise InvalidSource(f"{name}: {what} is {len(data):,} bytes, over the {limit:,}-byte limit")
    if b"\x00" in data[:4096]:
        raise InvalidSource(f"{name}: not a text page (binary content)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("latin-1")
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > 16:
        raise InvalidSource(f"{name}: not a text page ({controls} control characters in the first 4 KiB)")
    return text


def normalise(text: str) -> str:
    """Normalise line endings and spaces, remove invisible characters, repair glued words."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").replace("\u00ad", "")
    text = _SPACES.sub(" ", text)
    text = _LINE_EDGES.sub("\n", text).strip(" ")
    return text


_SPACES = re.compile(r"  +|[\t\f\v][ \t\f\v]*")
_LINE_EDGES = re.compile(r" \n ?|\n ")


def repair(text: str) -> str:
    """Undo the gluing and flattening the mirror does (FORMATS.md, quirk 5), and hard wrapping."""
    text = unwrap(text)
    low = text.lower()
    if len(low) == len(text):
        glued = []
        for m in _A_WORD.finditer(low):
            word = m.group()
            if word[:2] == "an" and word[2:] in _AFTER_AN:
                glued.append(m.start() + 2)
            elif word[1:] in _AFTER_A:
                glued.append(m.start() + 1)
        for cut in reversed(glued):
            text = f"{text[:cut]} {text[cut:]}"
    # "debrief.During" -> "debrief. During"; not "e.g.The" style abbreviations of single letters.
    text = _SENTENCE_GLUE.sub(r"\1 ", text)
    # "search)A detainee" -> "search) A detainee"
    text = re.sub(r"\)(?=[A-Z][a-z ])", ") ", text)
    # Flattened bullets: "the following:- How ...- How ..." -> one item a line.
    text = re.sub(r":\s*-\s*(?=[A-Z])", ":\n- ", text)
    if _BULLET_CUE.search(text):
        text = _BULLET.sub("\n- ", text)
    return text


# Lines that stand on their own even after a full line: labels, status lines, headings, list items.
_STANDS_ALONE = re.compile(
    r"^(?:[-•*]\s|\(?[a-zA-Z]\)\s|\(?[ivx]{1,4}\)\s|\d{1,2}[.)]\s|Point [A-Z]\b|Recommendations?\b|Addressed\b"
    r"|Linked bod|Force respon|Response\b|Accepted action|Recommendation accepted|IOPC reference|Date of rec"
    r"|Date response|Published\b|Tags\b|View on IOPC|Do you accept|Title\s*:|\d+[ \t]*total\b|\[)")


def unwrap(text: str) -> str:
    """Rejoin lines a hard-wrapped page broke mid-sentence (text wrapped at ~72 columns).

    Only a page whose lines all stop short of 100 characters, several of them close to the longest,
    is taken as wrapped. A line is joined to the one after it when it is full (the next line's first
    word would not have fitted on it) and stops mid-sentence (no full stop, question or exclamation
    mark at its end): a writer's own short line (a title, a label, the end of a paragraph) is never
    full, and a line ending a sentence is left as it is. Labels, status lines, list items and a new
    recommendation keep their own line even after a full one.
    """
    lines = text.split("\n")
    widths = [len(ln) for ln in lines if ln.strip()]
    if len(widths) < 4:
        return text
    width = max(widths)
    if not 50 <= width <= 100 or sum(1 for w in widths if w >= width - 12) < 2:
        return text
    from ingest.layouts import OPENER
    from ingest.lines import STATUS_LINE

    joins = [i for i in range(1, len(lines)) if _broken(lines[i - 1], lines[i], width, OPENER, STATUS_LINE)]
    if not joins:
        return text
    joined = set(joins)
    out: list[str] = []
    parts: list[str] = []  # the pieces of the line being rebuilt, joined once (no quadratic concatenation)
    for i, ln in enumerate(lines):
        if i in joined:
            last = lines[i - 1]
            parts[-1] = parts[-1].rstrip()
            parts.append(("" if last.endswith("-") and not last.endswith(" -") and ln[:1].islower() else " ") + ln.lstrip())
            continue
        if parts:
            out.append("".join(parts))
        parts = [ln]
    out.append("".join(parts))
    return "\n".join(out)


def _broken(last: str, ln: str, width: int, opener, status_line) -> bool:
    """Whether `ln` continues the sentence a full line `last` broke off."""
    if not last.strip() or not ln.strip() or _SENTENCE_END.search(last):
        return False
    word = ln.lstrip().split(" ", 1)[0]
    return (len(last) + 1 + len(word) > width and not _STANDS_ALONE.match(ln) and not status_line.match(ln)
            and not opener.match(ln))


_SENTENCE_END = re.compile(r"[.!?:][)\"'’”]?\s*$")


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
