"""Deciding a recommendation's status from its label and the words of its response (FORMATS.md, quirk 2).

The label is what the page printed; the response is the force's own words. The label always stands:
a guess from the words never overrules it (a `Yes` followed by "we cannot accept it because we already
do this" stays accepted, FORMATS.md pattern G). Where they disagree a warning keeps the disagreement.
Only where the page prints no label do the words decide, and a warning says so.
"""

from __future__ import annotations

import re

from ontology.types import TYPES

_TEXT_EVIDENCE = [
    ("partially_accepted", re.compile(
        r"\b(partial(ly)?|partly|in part)\s+accept|\baccept(ed|s)?\s+(it\s+)?(in part|partially|partly)\b", re.I)),
    ("not_accepted", re.compile(
        r"not in a position (where|to)\s+(we\s+)?(can\s+)?(agree|accept)|\b(do|does|did|can|could|will)\s?not accept"
        r"|\bcannot accept|\bunable to (accept|agree)|\b(reject|decline)[sd]? (the|this) recommendation"
        r"|\brecommendation (is|was|has been) not accepted|\b(do|does|did) not agree with (the|this) recommendation", re.I)),
    ("accepted", re.compile(
        r"\b(we|force|police|constabulary|college|council|office)\s+(fully\s+)?accept(s|ed)?\s+(the|this)\s+recommendation"
        r"|\brecommendation (is|was|has been) (fully )?accepted\b"
        r"|\b(is|are) in (full )?agreement with (the|this) recommendation|\b(we|force|police|constabulary) (fully )?agrees? with (the|this) recommendation",
        re.I)),
]


# Every pattern above turns on one of these words; only the text around them is searched (a page's
# response can run to thousands of characters, and the parser must manage 1,000 pages a second).
_ANCHOR = re.compile(r"accept|agree|reject|declin")
_BEFORE, _AFTER = 100, 60


def text_status(response: str | None) -> str | None:
    """The status the response's own words state, or None when they state none."""
    if not response:
        return None
    windows: list[list[int]] = []
    for m in _ANCHOR.finditer(response.lower()):
        start, end = max(0, m.start() - _BEFORE), m.end() + _AFTER
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    if not windows:
        return None
    # Widen each window to whole words so that a cut word cannot make a false match.
    text = " | ".join(response[_word_start(response, a):_word_end(response, b)] for a, b in windows)
    for status, pattern in _TEXT_EVIDENCE:
        if pattern.search(text):
            return status
    return None


def _word_start(text: str, i: int) -> int:
    return 0 if i == 0 else max(text.rfind(" ", 0, i), 0)


def _word_end(text: str, i: int) -> int:
    j = text.find(" ", i)
    return len(text) if j < 0 else j


def decide(label: str | None, prefix: str | None, response: str | None) -> tuple[str, str | None, list[str]]:
    """Return (status, raw label, warnings) for one block."""
    warnings: list[str] = []
    raw = label or prefix
    from_label = TYPES["status"].clean(label) if label else None
    from_text = text_status(response)
    # "Accepted action:" heads a response even after a "No" (FORMATS.md, quirk 2): weak evidence only.
    weak_prefix = prefix is not None and prefix.lower().startswith("accepted action")
    from_prefix = None if weak_prefix or not prefix else TYPES["status"].clean(prefix)

    if from_label and from_text and from_label != from_text:
        warnings.append(f"status label {label!r} disagrees with the response, which reads as {from_text}; "
                        f"the label stands ({from_label})")
        return from_label, raw, warnings
    if from_label:
        if from_prefix and from_prefix != from_label:
            warnings.append(f"status label {label!r} disagrees with the response prefix {prefix!r}")
        return from_label, raw, warnings
    if from_prefix:
        if from_text and from_text != from_prefix:
            warnings.append(f"status label {prefix!r} disagrees with the response, which reads as {from_text}; "
                            f"the label stands ({from_prefix})")
        return from_prefix, raw, warnings
    if from_text:
        warnings.append(f"no status label; status {from_text} read from the response text")
        return from_text, raw, warnings
    if weak_prefix and response:
        warnings.append("no status label; status accepted inferred from the 'Accepted action:' heading")
        return "accepted", raw, warnings
    if response:
        warnings.append("response has no status label and states none")
    return "unknown", raw, warnings
