"""Reading page bytes into clean text, and repairing the damage FORMATS.md lists (quirk 5)."""

from __future__ import annotations

import re

from ontology.exc import InvalidSource

MAX_PAGE_BYTES = 5_000_000

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


def decode(data: bytes, name: str) -> str:
    """Decode page bytes: UTF-8 (with or without BOM), then Windows-1252; binary is refused."""
    if len(data) > MAX_PAGE_BYTES:
        raise InvalidSource(f"{name}: page is {len(data):,} bytes, over the {MAX_PAGE_BYTES:,}-byte limit")
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
    """Undo the gluing and flattening the mirror does (FORMATS.md, quirk 5)."""
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


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
