"""What one line of a page is, when its layout does not say: a label cut short, a question glued to
the text, the recipient's reply, a title (FORMATS.md, "More patterns seen in real pages")."""

from __future__ import annotations

import re

from ingest.layouts import CUT_MARKER, QUESTION, RECOMMEND

# Lines that are only a status label (FORMATS.md, quirk 2).
STATUS_LINE = re.compile(
    r"^(yes|no|accepted|not accepted|partially accepted|partly accepted|awaiting response|rejected"
    r"|recommendation (?:not |partially )?accepted)\s*:?\s*$",
    re.I,
)
# "… Do you accept the recommendation? Yes" glued to the end of the text (FORMATS.md, pattern B).
GLUED_QUESTION = re.compile(r"^(?P<text>.*\S)\s+(?P<q>Do you accept the recommendation\??\s*(?:(?:yes|no)\b\.?)?)\s*$", re.I)
# Labels cut short by truncation ("Force respon"): still labels, never text (FORMATS.md, titles).
CUT_LABELS = ("force response", "do you accept the recommendation?", "accepted action:", "awaiting response",
              "recommendation accepted:")
# The recipient's own first-person reply with no status label before it (FORMATS.md, pattern C).
REPLY = re.compile(
    r"^(?:(?:We|I)\s+(?:have|are|am|will|can confirm|confirm|accept|agree|acknowledge|welcome|fully|already|now"
    r"|recognise|recognize|would like to|write|do accept|do agree)\b"
    r"|(?:The\s+)?(?:force|constabulary|service)\s+(?:accepts|agrees|welcomes|acknowledges|will|has (?:now|since|already)"
    r"|is (?:now|currently|in agreement)|are (?:now|currently|in agreement)|can confirm)\b)",
    re.I,
)
REPLY_AFTER_NAME = re.compile(
    r"^(?:is|are)\s+(?:in (?:full )?agreement|now|currently|pleased|content|satisfied)\b|^(?:accepts?|agrees?|welcomes?"
    r"|acknowledges?|can confirm|will|has (?:now|since|already)|have (?:now|since|already))\b",
    re.I,
)


def title_like(line: str) -> bool:
    """Whether a first line can be a title: not a cut marker, not a recommendation, not narrative."""
    if CUT_MARKER.match(line) or RECOMMEND.search(line) or len(line) > 250:
        return False
    # Narrative: a sentence of ten words or more, ending with its full stop ("The IPCC investigated …").
    return not (re.search(r"[.!?][)\"'’]?$", line) and len(line.split()) >= 10)


def cut_label(low: str) -> str | None:
    """The full label a truncated line stands for ("force respon" -> "force response")."""
    if len(low) > 34:  # longer than any label
        return None
    low = low.rstrip(":").strip()
    if len(low) < 6 or " " not in low or STATUS_LINE.match(low):
        return None
    for label in CUT_LABELS:
        if label.startswith(low) and label.rstrip(":?") != low:
            return label
    return None


def is_reply(ln: str) -> bool:
    """A first-person reply or one that opens with the recipient's name and a verb of answering."""
    if REPLY.match(ln):
        return True
    from ontology.gazetteer import gazetteer, norm

    g = gazetteer()
    first = ln.split(" ", 2)
    if first[0].lower().strip("'’") not in g.org_first_words and not (
            first[0] == "The" and len(first) > 1 and first[1].lower() in g.org_first_words):
        return False  # does not open with a force's or body's name: the common case, decided cheaply
    words = norm(ln[:120]).split()
    i = 1 if words[:1] == ["the"] else 0
    entry, size = g.org_at(words, i)
    return entry is not None and bool(REPLY_AFTER_NAME.match(" ".join(words[i + size:i + size + 4])))


def split_glued(lines: list[str]) -> list[str]:
    out = []
    for ln in lines:
        m = GLUED_QUESTION.match(ln.strip()) if "ccept the rec" in ln else None
        if m and not QUESTION.match(ln.strip()):
            out += [m.group("text"), m.group("q")]
        else:
            out.append(ln)
    return out
