"""Parses page text into a `Page`: header fields and raw recommendation blocks, one layout at a time.

Everything here is raw strings; `extract.py` resolves names, statuses and dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.layouts import (
    AI_HEADER, BOILERPLATE, CUT_MARKER, FOI_REFERENCE, HEADING, NOT_FOUND, OPENER, QUESTION, RECOMMEND, TOTAL, detect,
)
from ingest.lines import STATUS_LINE, cut_label, is_reply, split_glued, title_like
from ingest.roles import describe, header_roles
from ontology.exc import InvalidSource

RESPONSE_PREFIX = re.compile(r"^(accepted action\s*:|recommendation accepted\s*:|accepted\s*:|accepted\b)\s*", re.I)
LABELS_WITHOUT_VALUE = {"iopc reference", "date of recommendation", "date response due", "recommendations", "tags"}
# The heading of a recommendation block: investigation summaries title it in several ways ("Recommendation",
# "Learning recommendations", "Recommendations made"), all meaning what `Recommendations` means.
BLOCK_HEADINGS = {"recommendations", "recommendation", "learning recommendations", "learning recommendation",
                  "organisational learning recommendations", "our recommendations", "recommendations made",
                  "the iopc's recommendations", "the iopc’s recommendations", "iopc recommendations"}

@dataclass
class Block:
    numbers: list[int] = field(default_factory=list)
    heading_to: str | None = None
    text: list[str] = field(default_factory=list)
    addressed: str | None = None  # None: no label on the page; "": label with no value
    linked: str | None = None
    question: bool = False  # the page asked "Do you accept the recommendation?"
    label: str | None = None
    response: list[str] = field(default_factory=list)
    response_prefix: str | None = None

    @property
    def text_str(self) -> str:
        return "\n\n".join(_join(self.text))

    @property
    def response_str(self) -> str | None:
        joined = "\n\n".join(_join(self.response))
        return joined or None


@dataclass
class Page:
    layout: str
    kind: str | None = None  # the page's kind (ontology/kinds.yaml) and the evidence for it
    kind_why: str | None = None
    title: str | None = None
    reference: str | None = None
    force_text: str | None = None
    date_made: str | None = None
    date_due: str | None = None
    published: str | None = None
    summary: str | None = None
    aliases: list[str] = field(default_factory=list)
    incomplete_why: str | None = None  # set when the page carries the case but none of its recommendations
    # The page's own sentence saying the investigation found no learning / made no recommendation: the
    # case is complete with none, not cut short.
    no_recommendations: str | None = None
    # Line index -> what the line became; filled only when asked for (`iopc-kg parse --explain`).
    roles: dict[int, str] | None = None
    total: int | None = None
    tags: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# A bullet or a lettered or roman sub-item ("a)", "(b)", "iv)"): one line of a recommendation's list.
_LIST_ITEM = re.compile(r"^(?:[-•*]|\(?[a-z]\)|\(?[ivx]{1,4}\))\s")


def _join(lines: list[str]) -> list[str]:
    """Lines to paragraphs: a None entry is a paragraph break."""
    paras, cur = [], []
    for ln in lines:
        if ln is None:
            if cur:
                paras.append(" ".join(cur).replace(" \n", "\n"))
                cur = []
        elif cur and _LIST_ITEM.match(ln):
            cur.append("\n" + ln)  # a list item keeps its own line inside the paragraph
        else:
            cur.append(ln)
    if cur:
        paras.append(" ".join(cur).replace(" \n", "\n"))
    return [p for p in paras if p.strip()]


def parse_page(text: str, name: str, explain: bool = False, url: str | None = None) -> Page:
    """Parse normalised page text.

    The page is first given its kind (ontology/kinds.yaml); a page of any kind but a recommendation
    kind, or of no known kind, raises InvalidSource naming the kind and the evidence. So does a page
    that holds neither a recommendation nor anything of a case; a page that carries a case but none of
    its recommendations gives a header-only Page (`incomplete_why` set, no blocks).
    """
    from ontology.kinds import kinds

    verdict = kinds().classify(text, url)
    if not verdict.parse:
        raise InvalidSource(verdict.refusal(name), errors={"kind": verdict.name})
    text = _strip_furniture(text)
    layout = detect(text)
    page = Page(layout=layout, kind=verdict.name, kind_why=verdict.why, roles={} if explain else None)
    lines = text.split("\n")
    start = _header(page, lines)
    if page.roles is not None:
        header_roles(page, lines, start)
    _blocks(page, lines[start:], start)
    page.blocks = [b for b in page.blocks if b.text_str.strip()]
    if not page.blocks:
        why = {
            "PC-INV": "the investigation summary is cut before its recommendations",
            "PC-A": "the page stops at its 'Recommendations' heading",
        }.get(layout, "no recommendation text was found")
        if not _carries_a_case(page):
            raise InvalidSource(f"{name}: page holds no recommendation: {why} (layout {layout})")
        # A page that says there is no learning is complete with no recommendation; one that says
        # nothing of it was cut short, or shows only its header (FORMATS.md, pattern D).
        page.no_recommendations = _no_learning(text)
        if page.no_recommendations is None:
            page.incomplete_why = why
    if page.total is not None and page.total != len(page.blocks):
        numbered = sorted(n for b in page.blocks for n in b.numbers)
        page.warnings.append(
            f"page says {page.total} total but shows {len(page.blocks)} block{'s' if len(page.blocks) != 1 else ''}"
            + (f" numbered {numbered}" if numbered else "")
        )
    return page


def _strip_furniture(text: str) -> str:
    """Drop cookie banners, exit buttons, "[...]" cut markers and a leading "404" line (FORMATS.md)."""
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and NOT_FOUND.match(lines[first]):
        lines[first] = ""
    # Furniture lines are short or name cookies; the test is cheap for the rest.
    return "\n".join("" if (len(ln) < 40 or "ookie" in ln or _FURNITURE_START.match(ln)) and (
        BOILERPLATE.match(ln) or CUT_MARKER.match(ln)) else ln for ln in lines)


# Long furniture lines of force sites ("Quickly exit this site by pressing the Escape key Leave this site").
_FURNITURE_START = re.compile(r"^(?:Quickly exit|Leave this site|This site is a beta|Sorry, there was|Your feedback helps)")
# A force's request furniture ("Freedom of information request reference no: …"): never a title.
_FOI_FURNITURE = re.compile(r"^(?:Freedom of information|FOI\b|Request\b|Disclosure\b|Our response\b|I note you seek)", re.I)
_IOPC_REFERENCE = re.compile(r"^(?:IOPC|IPCC)\s+ref(?:erence)?(?:\s+(?:number|no\.?))?\s*:?\s*(?P<ref>\d{4}\s*/\s*\d{4,7})\s*$", re.I)


# "The investigation did not identify any organisational learning", "no learning was identified", "the
# IOPC made no recommendations", "no recommendations were made": a page's statement that there are none.
# Searched in lower case; every piece is a fixed word or a bounded choice, so no backtracking run.
_NO_LEARNING = re.compile(
    r"\b(?:did not|didn.t|does not|not) (?:identify|find|highlight) any (?:(?:organisational|national|local|wider) )?learning\b"
    r"|\bno (?:(?:organisational|national|local|wider) )?learning (?:was|has been|were|have been) (?:identified|found)\b"
    r"|\b(?:identified|found) no (?:(?:organisational|national|local|wider) )?learning\b"
    r"|\bthere (?:was|is|were) no (?:(?:organisational|national|local|wider) )?learning\b"
    r"|\bmade no (?:(?:learning|organisational learning) )?recommendations?\b"
    r"|\bdid not make any (?:(?:learning|organisational learning) )?recommendations?\b"
    r"|\bno (?:(?:learning|organisational learning) )?recommendations? (?:was|were|has been|have been) made\b"
    r"|\bthere (?:are|were) no (?:(?:learning|organisational learning) )?recommendations\b"
    # A `Recommendations` heading answered by a bare "None".
    r"|^(?:learning )?recommendations:?[ \t]*+\n(?:[ \t]*+\n)?(?:none|n/a)\.?[ \t]*+$", re.M)


def _no_learning(text: str) -> str | None:
    """The sentence in which a page says its investigation found no learning or made no recommendation."""
    m = _NO_LEARNING.search(text.lower())
    if m is None:
        return None
    if "\n" in m.group():  # the heading and its answer, as one note
        return ": ".join(ln.strip().rstrip(":") for ln in text[m.start():m.end()].split("\n") if ln.strip())
    dot = text.rfind(". ", 0, m.start())
    start = max(dot + 2 if dot >= 0 else 0, text.rfind("\n", 0, m.start()) + 1)
    end = len(text)
    for sep, keep in ((". ", 1), (".\n", 1), ("\n", 0)):
        i = text.find(sep, m.end())
        if 0 <= i and i + keep < end:
            end = i + keep
    return text[start:end].strip()[:300]


# A national or thematic recommendation's title ("National recommendation - College of Policing",
# "Recommendations to the College of Policing and …"): a title even when it reads as a sentence.
_NATIONAL_TITLE = re.compile(r"^(?:(?:National|Thematic) recommendations?|Recommendations? to the)\b", re.I)


def _only_orgs(line: str) -> bool:
    """Whether a short line is nothing but the names of forces or bodies."""
    if len(line) > 120:
        return False
    from ontology.gazetteer import gazetteer

    entries, leftover = gazetteer().resolve_orgs(line.rstrip(".,;:"))
    return bool(entries) and not leftover


def _carries_a_case(page: Page) -> bool:
    """A page with no recommendation still carries a case when it has a reference, a published date, a
    page layout that only IOPC case pages have, or names a force or body (FORMATS.md, pattern D)."""
    from ontology.gazetteer import gazetteer

    if page.reference or page.published or page.layout in ("PC-A", "PC-INV"):
        return True
    g = gazetteer()
    return any(g.find_orgs(x) for x in (page.title, page.summary) if x)


def _header(page: Page, lines: list[str]) -> int:
    """Read the fields before the recommendations; return the index where the blocks start."""
    first_line = _foi_lines(page, lines) if page.layout == "FORCE-FOI" else 0
    nonblank = [(i, ln) for i, ln in enumerate(lines) if ln.strip() and i >= first_line]
    if not nonblank:
        return len(lines)
    idx = 0
    if page.layout == "AI-A":
        if "IOPC Learning Case" in nonblank[0][1]:
            idx = 1
        if idx < len(nonblank) and not AI_HEADER.match(nonblank[idx][1]):
            page.title = nonblank[idx][1]
            idx += 1
        for j in range(idx, min(idx + 3, len(nonblank))):
            m = AI_HEADER.match(nonblank[j][1])
            if m:
                page.force_text = m.group("force").strip() or None
                page.reference = m.group("ref").strip() or None
                page.date_made = m.group("made").strip() or None
                page.date_due = m.group("due").strip() or None
                idx = j + 1
                break
        summary = []
        while idx < len(nonblank) and not re.match(r"^(Recommendations|View on IOPC website)", nonblank[idx][1]):
            summary.append(nonblank[idx][1])
            idx += 1
        if summary:
            if len(summary) > 1 or "…" not in summary[0]:
                page.tags = [t.strip() for t in re.split(r"[,·|]", summary[0]) if t.strip()] if len(summary) > 1 else []
            page.summary = summary[-1]
    elif page.layout not in ("LEGACY-IPCC-2016", "LEGACY-2018") and page.title is None:
        first = nonblank[0][1]
        national = _NATIONAL_TITLE.match(first) is not None and len(first) <= 250
        if not (page.layout == "FORCE-FOI" and _FOI_FURNITURE.match(first)) and not (HEADING.match(first) or TOTAL.match(first) or first.lower() == "recommendations") and (title_like(first) or national):
            page.title = first
            idx = 1
            if national and len(nonblank) > 1 and _only_orgs(nonblank[1][1]):
                # "National recommendation" with its body on the next line: one title, naming the body.
                page.title = f"{first.rstrip(' :-–')} - {nonblank[1][1]}"
                idx = 2
    # Label/value pairs anywhere before the blocks (PC-A, PC-B, PC-INV).
    marker = None
    intro: list[str] = []
    consumed = -1
    for k in range(idx, len(nonblank)):
        i, ln = nonblank[k]
        low = ln.lower().rstrip(":")
        nxt = nonblank[k + 1][1] if k + 1 < len(nonblank) else ""
        if k == consumed:
            continue
        if low in LABELS_WITHOUT_VALUE - {"recommendations", "tags"} or low in ("learning", "investigation"):
            consumed = k + 1 if nxt and not nxt.lower().rstrip(":") in LABELS_WITHOUT_VALUE and low != "learning" and low != "investigation" and (
                low != "iopc reference" or re.match(r"^\d{4}\s*/\s*\d+", nxt)) else -1
        elif not re.match(r"^published\b", low) and not (low in BLOCK_HEADINGS or TOTAL.match(ln) or HEADING.match(ln) or QUESTION.match(ln)):
            if page.layout not in ("AI-A",) and not RECOMMEND.search(ln):
                intro.append(ln)
        if re.match(r"^published\b", low):
            page.published = ln[len("published"):].strip() or None
        elif low == "iopc reference" and re.match(r"^\d{4}\s*/\s*\d+", nxt):
            page.reference = nxt
        elif low == "date of recommendation" and nxt.lower().rstrip(":") not in LABELS_WITHOUT_VALUE:
            page.date_made = nxt
        elif low == "date response due" and nxt.lower().rstrip(":") not in LABELS_WITHOUT_VALUE:
            page.date_due = nxt
        elif low == "tags":
            page.tags = [t.lstrip("-•* ").strip() for _, t in nonblank[k + 1:k + 6] if t.startswith(("-", "•", "*"))]
        elif low in BLOCK_HEADINGS or TOTAL.match(ln):
            marker = i
            break
        elif page.layout in ("PC-A", "PC-INV") and OPENER.match(ln):
            # An investigation summary whose recommendations follow its narrative with no heading.
            marker = i
            break
        elif HEADING.match(ln) or QUESTION.match(ln):
            break
    if intro and not page.summary and page.layout != "FORCE-FOI" and (marker is not None or page.layout in ("PC-A", "PC-INV")):
        page.summary = " ".join(intro)
    if page.layout in ("PC-A", "PC-INV") and page.title and marker is None:
        return len(lines)  # nothing after the narrative: no recommendations on the page
    if marker is not None:
        return marker
    if page.layout in ("LEGACY-IPCC-2016", "LEGACY-2018", "AI-B", "AI-C"):
        return 0
    # No "Recommendations" marker (PC-C): skip the title and any intro before the first recommendation.
    return nonblank[idx][0] if idx < len(nonblank) else len(lines)


def _foi_lines(page: Page, lines: list[str]) -> int:
    """A force's page (FORMATS.md): take its `Title:` value and its own reference out of the lines.

    The force's reference is kept as an alias of the case, even when it is shaped like an IOPC reference
    (forces number their requests YYYY/NNNNNN too): only a line labelled as the IOPC's reference gives
    the case's reference. What stands before `Title:` is the force's site, not the case; with no
    `Title:` the page has no title (site furniture never is one). Returns where the case starts.
    """
    start = 0
    for i, ln in enumerate(lines):
        m_title = re.match(r"^Title\s*:\s*(.+)$", ln, re.I)
        m_ref = FOI_REFERENCE.match(ln)
        m_iopc = _IOPC_REFERENCE.match(ln)
        if m_title and page.title is None:
            page.title = m_title.group(1).strip()
            start = i + 1
        elif m_iopc:
            page.reference = page.reference or re.sub(r"\s+", "", m_iopc.group("ref"))
        elif m_ref:
            ref = m_ref.group("ref").strip()
            if ref not in page.aliases:
                page.aliases.append(ref)
            if re.match(r"^MPS\b", m_ref.group("label"), re.I):
                page.force_text = page.force_text or "Metropolitan Police Service"
        else:
            continue
        lines[i] = ""
    return start


def _snapshot(page: Page, block: Block | None, intro: list[str]) -> tuple:
    b = block
    return (len(page.blocks), page.total, len(page.tags), len(intro),
            *((b.label, b.addressed, b.linked, b.question, b.response_prefix, sum(1 for x in b.text if x),
               sum(1 for x in b.response if x)) if b else (None,) * 7))


def _note(page: Page, i: int, before: tuple, after: tuple) -> None:
    role = describe(page, before, after)
    page.roles[i] = f"{page.roles[i]}; then {role}" if i in page.roles else role


def _blocks(page: Page, lines: list[str], offset: int = 0) -> None:
    """One pass over the lines after the header, as a small state machine (text -> fields -> response)."""
    explain = page.roles is not None
    origin = list(range(offset, offset + len(lines)))
    if explain:
        origin = [i for i, ln in zip(origin, lines) for _ in split_glued([ln])]
    lines = split_glued(lines)
    headed = any(HEADING.match(ln) for ln in lines)
    block: Block | None = None
    state = "text"
    pending_linked = False
    pending_answer = False
    pending_reference = False
    intro: list[str] = []
    seen_content = False

    def new_block(numbers=None, to=None) -> Block:
        nonlocal block, state
        block = Block(numbers=numbers or [], heading_to=to)
        page.blocks.append(block)
        state = "text"
        return block

    prev_blank = True
    before = None
    for pos, raw in enumerate(lines):
        if explain:
            if before is not None:
                _note(page, origin[pos - 1], before, _snapshot(page, block, intro))
            before = _snapshot(page, block, intro) if raw.strip() else None
        ln = raw.strip()
        if not ln:
            if block is not None:
                (block.response if state == "response" else block.text).append(None)
            prev_blank = True
            continue
        low = ln.lower()
        if low in BLOCK_HEADINGS and not seen_content:
            continue
        full = cut_label(low) if block is not None else None
        if full:
            ln, low = full[0].upper() + full[1:], full
        m_total = TOTAL.match(ln)
        if m_total and block is None:
            page.total = int(m_total.group("n"))
            rest = m_total.group("rest").strip()
            if rest:  # "3 totalThe IOPC recommends..." (AI-C): the count is glued to the text
                new_block().text.append(rest)
                seen_content = True
            continue
        if low.startswith("view on iopc website"):
            continue
        if low.rstrip(":") == "tags" and block is not None:
            state = "tags"
            continue
        if state == "tags":
            if ln.startswith(("-", "•", "*")):
                page.tags.append(ln.lstrip("-•* ").strip())
                continue
            state = "response"
        if pending_reference:
            pending_reference = False
            if re.match(r"^\d{4}\s*/\s*\d+$", ln):
                page.reference = page.reference or ln
                continue
        if low.rstrip(":") == "iopc reference" and (block is not None or page.layout == "PC-INV"):
            # An investigation summary gives its reference after its recommendations: a label, not text.
            pending_reference = True
            continue
        if pending_linked:
            pending_linked = False
            if not re.match(r"^(accepted|awaiting|force response|not accepted|partially|yes|no)\b", low):
                block.linked = ln
                continue
        if pending_answer:
            pending_answer = False
            if STATUS_LINE.match(ln):
                _set_label(page, block, ln)
                state = "response"
                continue
        m_head = HEADING.match(ln)
        if m_head:
            nums = [int(n) for n in re.findall(r"\d+", m_head.group("nums"))]
            new_block(nums, (m_head.group("to") or "").strip() or None)
            seen_content = True
            prev_blank = False
            continue
        m_q = QUESTION.match(ln)
        if m_q and block is not None:
            if block.question or block.label is not None:
                # A second question in one block: a recommendation with no opening phrase was folded
                # into the previous response; split it off rather than let its answer overwrite.
                block = _split_off(page, block)
            block.question = True
            state = "response"
            rest = m_q.group("rest").strip().rstrip(".")
            if rest and STATUS_LINE.match(rest):
                _set_label(page, block, rest)
            else:
                pending_answer = True
            continue
        if block is not None and re.match(r"^addressed\b", low):
            block.addressed = re.sub(r"^addressed(\s+to)?\s*:?\s*", "", ln, flags=re.I)
            state = "fields"
            continue
        if block is not None and re.match(r"^linked bod(y|ies)\s*:?", low):
            value = re.sub(r"^linked bod(y|ies)\s*:?\s*", "", ln, flags=re.I)
            block.linked = value or ""
            pending_linked = not value
            state = "fields"
            continue
        if block is not None and low in ("force response", "response", "response:", "force response:"):
            state = "response"
            continue
        if block is not None and re.match(r"^response\s*:", low):
            state = "response"
            ln = re.sub(r"^response\s*:\s*", "", ln, flags=re.I)
            if not ln:
                continue
            low = ln.lower()
        if block is not None and STATUS_LINE.match(ln) and (state in ("text", "fields") or not _has(block.response)):
            if block.label is None:
                _set_label(page, block, ln)
            state = "response"
            continue
        if (block is not None and not headed and OPENER.match(ln)
                and (block.label is not None or block.question or _has(block.response))):
            # The next unnumbered recommendation, even on the very next line (FORMATS.md, pattern A).
            new_block().text.append(ln)
            prev_blank = False
            continue
        if block is not None and state == "text" and _has(block.text) and block.label is None and is_reply(ln):
            state = "response"  # a reply with no status label (FORMATS.md, pattern C)
        # Content.
        if block is None:
            if not headed and (RECOMMEND.search(ln) or page.layout in ("LEGACY-IPCC-2016", "AI-C")) and not (
                    page.layout == "FORCE-FOI" and not RECOMMEND.search(ln)):
                new_block().text.append(ln)
                seen_content = True
                if page.layout == "FORCE-FOI":
                    state = "response"  # a force's page: what follows the recommendation is its answer
            else:
                intro.append(ln)
            prev_blank = False
            continue
        if state == "response":
            m_pre = RESPONSE_PREFIX.match(ln)
            if not _has(block.response) and m_pre and block.response_prefix is None:
                block.response_prefix = m_pre.group(1).strip()
                ln = ln[m_pre.end():].strip()
                if not ln:
                    continue
            elif not headed and prev_blank and _has(block.response) and RECOMMEND.search(ln):
                # Unnumbered layouts: a new recommendation starts at a paragraph that recommends.
                new_block().text.append(ln)
                prev_blank = False
                continue
            block.response.append(ln)
        elif state == "fields":
            # Text after Addressed to/Linked bodies and before a status: a truncated label line.
            if block.addressed is not None and block.linked is None and not _has(block.response):
                block.text.append(ln)
        else:
            block.text.append(ln)
            if page.layout == "FORCE-FOI":
                state = "response"  # a force's page: what follows the recommendation is its answer
        prev_blank = False
    if explain and before is not None:
        _note(page, origin[len(lines) - 1], before, _snapshot(page, block, intro))
    if intro and not page.summary and page.layout != "FORCE-FOI":
        # A force's page: what stands before the recommendation is the force's site, never the IOPC's summary.
        page.summary = " ".join(intro)[:2000]


def _set_label(page: Page, block: Block, raw: str) -> None:
    """Record a block's status label; a second, different answer never overwrites the first."""
    label = raw.rstrip(":").strip()
    if block.label is None:
        block.label = label
    elif block.label.lower() != label.lower():
        page.warnings.append(f"a second answer {label!r} after {block.label!r} in one block was ignored")


def _split_off(page: Page, block: Block) -> Block:
    """Move the trailing recommendation out of `block`'s response into a new block."""
    lines = block.response
    cut = next((i for i in range(len(lines) - 1, -1, -1) if lines[i] and RECOMMEND.search(lines[i])), None)
    if cut is None:
        cut = max((i for i, ln in enumerate(lines) if ln), default=len(lines))
    new = Block(text=[ln for ln in lines[cut:] if ln is not None])
    block.response = lines[:cut]
    page.blocks.append(new)
    page.warnings.append("a recommendation with no opening phrase was found inside the previous response and split off")
    return new


def _has(lines: list) -> bool:
    return any(lines)  # lines are strings, None for a paragraph break; blank lines are never kept
