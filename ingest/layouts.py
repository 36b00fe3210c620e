"""Recognises which of the page layouts of FORMATS.md a text is in."""

from __future__ import annotations

import re

AI_HEADER = re.compile(
    r"^(?P<force>.*?)\s*Ref:\s*(?P<ref>[\w/ -]*?)\s*Recommended\s*(?P<made>.*?)\s*Response\s+due\s*(?P<due>.*)$",
    re.M,
)
GLOSSARY_MARKERS = ("User Bar First", "This is a debugging block")
QUESTION = re.compile(r"^Do you accept the recommendation\??\s*(?P<rest>.*)$", re.I)
HEADING = re.compile(
    r"^Recommendations?\s+(?P<nums>\d+(?:\s*(?:&|and|,)\s*\d+)*)\s*(?:[:.\-–]\s*(?:to\s+(?:the\s+)?)?(?P<to>.*))?$",
    re.I,
)
TOTAL = re.compile(r"^(?P<n>\d+)\s*total(?P<rest>.*)$", re.I)
RECOMMEND = re.compile(r"\b(recommends|reccomends|recomends|recommended that|recommend that|recommendation is that)\b", re.I)
INVESTIGATION_TITLE = re.compile(r"^Investigation into\b", re.I)


def detect(text: str) -> str:
    """Return the layout code (PC-A, AI-B, ..., JUNK-GLOSSARY) of a page's text."""
    head = text[:600]
    lines = [ln for ln in text.split("\n") if ln.strip()]
    first = lines[0] if lines else ""
    if "IOPC Learning Case" in head or AI_HEADER.search(head):
        return "AI-A"
    if any(m in text for m in GLOSSARY_MARKERS):
        return "JUNK-GLOSSARY"
    if re.search(r"^\d+[ \t]*total[ \t]*\S", text, re.M | re.I) and not re.search(r"^Recommendations?[ \t]+\d", text, re.M):
        return "AI-C"
    if re.search(r"^Addressed\b", text, re.M) and re.search(r"^Recommendations?[ \t]+\d", text, re.M):
        return "AI-B"
    if INVESTIGATION_TITLE.match(first) or re.search(r"reflective practice review process|\bRPRP\b", text, re.I) and not RECOMMEND.search(text):
        return "PC-INV"
    if re.search(r"^Date of recommendation\b", text, re.M | re.I) and re.search(r"^Published\b", text, re.M | re.I):
        return "PC-A"
    if re.search(r"^Do you accept the recommendation", text, re.M | re.I):
        return "PC-B"
    if RECOMMEND.search(first) or re.match(r"^(Point [A-Z]|The (IPCC|IOPC))\b", first):
        # No title line: the 2016 ipcc.gov.uk pages start with the recommendation itself, the 2018 /cy/
        # pages with narrative. Bare Yes/No answer lines tell them apart.
        if re.search(r"^(Yes|No)\s*$", text, re.M):
            return "LEGACY-IPCC-2016"
        return "LEGACY-2018"
    return "PC-C"
