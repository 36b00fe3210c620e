"""Recognises which of the page layouts of FORMATS.md a text is in."""

from __future__ import annotations

import re

AI_HEADER = re.compile(
    r"^(?P<force>.*?)\s*Ref:\s*(?P<ref>[\w/ -]*?)\s*Recommended\s*(?P<made>.*?)\s*Response\s+due\s*(?P<due>.*)$",
    re.M,
)
QUESTION = re.compile(r"^Do you accept the recommendation\??\s*(?P<rest>.*)$", re.I)
HEADING = re.compile(
    r"^Recommendations?\s+(?P<nums>\d+(?:\s*(?:&|and|,)\s*\d+)*)\s*(?:[:.\-–]\s*(?:to\s+(?:the\s+)?)?(?P<to>.*))?$",
    re.I,
)
TOTAL = re.compile(r"^(?P<n>\d+)\s*total(?P<rest>.*)$", re.I)
RECOMMEND = re.compile(r"\b(recommends|reccomends|recomends|recommended that|recommend that|recommendation is that)\b", re.I)
INVESTIGATION_TITLE = re.compile(r"^Investigation into\b", re.I)
# A line that opens a new recommendation (FORMATS.md, pattern A): on unnumbered pages the next one
# can start on the very next line, with no blank line and no heading.
OPENER = re.compile(
    r"^(?:The (?:IOPC|IPCC)\b[^.]{0,60}?\b(?:recommends|reccomends|recomends)\b|It is (?:therefore |also )?recommended that"
    r"|We (?:therefore |also )?recommend that)",
    re.I,
)
# "[...]" or "[…]": a page cut from a longer one. Never a title, never text.
CUT_MARKER = re.compile(r"^\[\s*(?:\.\.\.|…)\s*\]$")
# Lines that are website furniture, never a title or a summary (force sites, FORMATS.md).
BOILERPLATE = re.compile(
    r"^(?:.{0,160}\bcookies?\b.{0,160}|Quickly exit (?:this )?site|Exit (?:this )?site|Leave this site"
    r"|Skip to (?:main )?content|(?:Accept|Reject) (?:all|additional|optional)(?: cookies)?|Hide (?:this )?message"
    r"|Menu|Search|Close|Back to top|Print this page|Share this page"
    r"|(?:Quickly exit|Leave this site|This site is a beta|Sorry, there was a technical problem|Your feedback helps)\b.*)$",
    re.I,
)
FOI_REFERENCE = re.compile(
    r"^(?!IOPC|IPCC)(?P<label>(?:MPS|Our|Your|Force|FOI|Request|Case|[A-Z]{2,5})\s+Ref(?:erence)?(?:\s+(?:number|no\.?))?)\s*:\s*(?P<ref>\S.*)$",
    re.I | re.M,
)

NOT_FOUND = re.compile(r"^(?:Error\s*)?404\b.{0,40}\bnot found\b", re.I)
# Pages that are not IOPC recommendation pages are told by their kind (ontology/kinds.yaml), before any layout.


# What each layout code means, for `iopc-kg parse --explain` (FORMATS.md has the full shapes).
LAYOUTS = {
    "PC-A": "policeconduct node page: title, Published, IOPC reference and date labels, often no recommendations",
    "PC-B": "policeconduct slug page: unnumbered recommendations with 'Do you accept the recommendation?' Yes/No",
    "PC-C": "newer policeconduct page: recommendation, a status line such as 'Accepted', the response",
    "PC-INV": "investigation summary: title 'Investigation into …', narrative, recommendations near the end if at all",
    "AI-A": "accountabilityindex mirror with its header line (force, Ref, Recommended, Response due)",
    "AI-B": "accountabilityindex chunk: numbered recommendations, Addressed to / Linked bodies, no header",
    "AI-C": "older flattened mirror: 'N total' glued to the first recommendation, no headings",
    "LEGACY-IPCC-2016": "ipcc.gov.uk page: no title, recommendation, bare Yes/No, response",
    "LEGACY-2018": "policeconduct /cy/ page: narrative only, the body named in the text",
    "FORCE-FOI": "a force's page republishing an IOPC recommendation with its own reference and response",
    "JSON": "iopc-kg's own record schema",
}


def detect(text: str) -> str:
    """Return the layout code (PC-A, AI-B, ..., FORCE-FOI) of the text of a page of a recommendation kind."""
    head = text[:600]
    first = next((ln for ln in text.split("\n", 40) if ln.strip()), "")
    low = text.lower()  # searched without re.I: many times faster on a whole page
    if "IOPC Learning Case" in head or AI_HEADER.search(head):
        return "AI-A"
    if FOI_REFERENCE.search(text) and RECOMMEND.search(text):
        return "FORCE-FOI"
    if "total" in low and re.search(r"^\d+[ \t]*total[ \t]*\S", low, re.M) and not re.search(r"^Recommendations?[ \t]+\d", text, re.M):
        return "AI-C"
    if "\nAddressed" in text and re.search(r"^Addressed\b", text, re.M) and re.search(r"^Recommendations?[ \t]+\d", text, re.M):
        return "AI-B"
    if INVESTIGATION_TITLE.match(first) or ("rprp" in low or "reflective practice" in low) and re.search(
            r"reflective practice review process|\brprp\b", low) and not RECOMMEND.search(text):
        return "PC-INV"
    if "date of recommendation" in low and re.search(r"^date of recommendation\b", low, re.M) and re.search(r"^published\b", low, re.M):
        return "PC-A"
    if "do you accept the recommendation" in low:
        return "PC-B"
    if RECOMMEND.search(first) or re.match(r"^(Point [A-Z]|The (IPCC|IOPC))\b", first):
        # No title line: the 2016 ipcc.gov.uk pages start with the recommendation itself, the 2018 /cy/
        # pages with narrative. Bare Yes/No answer lines tell them apart.
        if re.search(r"^(Yes|No)\s*$", text, re.M):
            return "LEGACY-IPCC-2016"
        return "LEGACY-2018"
    return "PC-C"
