"""What the layout and accessibility tests check on a page, as functions of a Playwright page.

Each returns the problems found (empty when the page passes), so a failure names what and where.
"""

from __future__ import annotations

import json
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA and axe's best practices (the bar).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def horizontal_scroll(page) -> list[str]:
    """The page is no wider than the window (no sideways scrolling on a phone)."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width <= inner:
        return []
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getClientRects().length)
        .slice(0, 5).map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}: right ${Math.round(el.getBoundingClientRect().right)}`)""")
    return [f"page {width} px wide in a {inner} px window: {wide}"]


CLIPPED = """() => {
  // Text cut off: an element holding text whose content is wider than its box while its overflow is
  // hidden, clipped, scrolled or ellipsised; or text that ends beyond the window.
  const out = [];
  // Closed <details> keep boxes for their content in Chromium: what they hide is not on screen.
  const folded = (el) => { const d = el.closest('details:not([open])'); return d && !el.closest('summary'); };
  const hidden = (el) => el.closest('.visually-hidden, .skip, [hidden], #cy') || folded(el) || !el.getClientRects().length;
  // A table in a scroll box is read by scrolling it: allowed for the secondary tables a <details>
  // holds (a chart's numbers), not for a page's main table.
  for (const el of document.querySelectorAll('body *')) {
    if (hidden(el)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const cs = getComputedStyle(el);
    const clips = cs.overflowX !== 'visible' || cs.textOverflow === 'ellipsis';
    if (clips && el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}": ${el.scrollWidth} > ${el.clientWidth}`);
    const r = el.getBoundingClientRect();
    if (el.closest('details .table-wrap')) continue;
    if (r.right > window.innerWidth + 1 || r.left < -1) out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" outside the window (${Math.round(r.left)}..${Math.round(r.right)})`);
    // Small text: nothing below 11 px (chart labels once shrank to 6 px on a phone).
    if (parseFloat(cs.fontSize) < 11) out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" at ${cs.fontSize}`);
  }
  // A scroll box (a wide table) is allowed to scroll, but only when its content is wider than the window.
  for (const el of document.querySelectorAll('.table-wrap')) {
    if (!hidden(el) && !el.closest('details') && el.scrollWidth > el.clientWidth + 1) out.push(`table scrolls sideways: ${el.scrollWidth} > ${el.clientWidth} px`);
  }
  return out.slice(0, 10);
}"""


def clipped_labels(page) -> list[str]:
    return page.evaluate(CLIPPED)


def axe_violations(page) -> list[str]:
    """axe-core run in the page (injected through the debugging protocol, which the page's CSP does not govern)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;0")
    found = page.evaluate("""async tags => {
        const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
        return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary) }));
    }""", AXE_TAGS)
    return [json.dumps(v) for v in found]


GRAPH = """() => {
  // The graph's labels as drawn: every node has a name, and shown labels do not overlap.
  const cy = window.iopcGraph;
  const opts = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false };
  const named = (e) => !e.hasClass('quiet') || e.hasClass('hover') || e.selected();
  const shown = cy.elements(':visible').filter(e => named(e) && e.style('label'));
  const boxes = shown.map(e => e.renderedBoundingBox(opts)).filter(b => b.w > 0 && b.h > 0);
  let overlaps = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
    if (w > 2 && h > 2) overlaps++;
  }
  const nodes = cy.nodes(':visible');
  const nodeLabels = nodes.filter(named);
  const px = nodeLabels.map(n => parseFloat(n.style('font-size')) * cy.zoom());
  return {
    nodes: nodes.length, unnamed: nodes.filter(n => !n.data('name')).map(n => n.id()),
    labelled: nodeLabels.length, edgeLabels: cy.edges(':visible').filter(e => !e.hasClass('quiet')).length,
    overlaps, smallest: px.length ? Math.min(...px) : null,
  };
}"""


def graph_legibility(page) -> dict:
    return page.evaluate(GRAPH)
