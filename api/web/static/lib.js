// Shared by every view: building elements, talking to the API, and the widgets several views use.
// Data is put into the page as text nodes (never as HTML), except search snippets, whose <mark>
// elements are rebuilt from the text.

export const main = document.getElementById("main");
const statusBox = document.getElementById("status");

export const STATUSES = ["accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"];
export const STATUS_LABEL = {
  accepted: "Accepted", partially_accepted: "Partly accepted", not_accepted: "Not accepted",
  awaiting_response: "Awaiting response", unknown: "Unknown",
};
// The API's limits (from /stats) and display names by kind (id -> name), loaded once at start.
export const state = { limits: { max_page_size: 100, max_depth: 3, max_nodes: 500 } };
export const NAMES = { force: {}, programme: {}, theme: {}, body: {} };
export const COLLECTION = { force: "forces", programme: "programmes", theme: "themes", body: "bodies" };

export function name(kind, id) { return NAMES[kind][id] || id; }

export async function loadNames() {
  await Promise.all(Object.keys(NAMES).map(async kind => {
    try {
      const r = await fetch(`/${COLLECTION[kind]}?page_size=${state.limits.max_page_size}`).then(x => x.json());
      for (const x of r.data || []) NAMES[kind][x.id] = x.name || x.id;
    } catch { /* names are a nicety: ids still work */ }
  }));
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.setAttribute("style", v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Requests of the view on screen; a new view aborts the old one's (a slow answer must not land on it).
let inflight = new AbortController();
export function newView() { inflight.abort(); inflight = new AbortController(); }

export async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, signal: inflight.signal });
  let body = null;
  try { body = await r.json(); } catch (e) {
    if (e.name === "AbortError") throw e;  // the view was left while its answer was arriving
    if (r.ok) throw new Error(`${path}: the answer is not JSON`);
  }
  if (!r.ok) {
    const e = new Error(body && body.message ? body.message : `${r.status} ${r.statusText}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of [].concat(v)) if (x !== undefined && x !== null && x !== "") u.append(k, x);
  }
  return u.toString();
}

export function go(view, params) {
  location.hash = `#/${view}${params && Object.keys(params).length ? "?" + qs(params) : ""}`;
}

export function announce(text) { statusBox.textContent = text; }

/** "1 recommendation", "2 recommendations", "3 bodies". */
export function plural(n, one, many = `${one}s`) { return `${Number(n).toLocaleString()} ${n === 1 ? one : many}`; }

export function marked(snippet) {
  // Snippets are escaped text with <mark> around matched terms: rebuild them from text nodes only,
  // with runs of white space (line breaks of the source page) as one space.
  const doc = new DOMParser().parseFromString(`<p>${snippet}</p>`, "text/html");
  const out = document.createDocumentFragment();
  for (const node of doc.body.firstChild.childNodes) {
    const text = node.textContent.replace(/\s+/g, " ");
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") out.append(h("mark", {}, text));
    else out.append(document.createTextNode(text));
  }
  return out;
}

export function badge(status, label) {
  return h("span", { class: `badge ${status}` }, label || STATUS_LABEL[status] || status);
}

export function link(kind, id, text) { return h("a", { href: `#/${kind}/${encodeURIComponent(id)}` }, text || id); }

/** The recommendation's number: its `numbers`, else the suffix of its id after the case id. */
export function recNumber(x) {
  if (x.numbers && x.numbers.length) return x.numbers.join(", ");
  const id = x.id || x.rec_id || "";
  const cid = x.case_id || "";
  if (cid && id.startsWith(`${cid}-`)) return id.slice(cid.length + 1);
  const m = id.match(/-(\d+)$/);
  return m ? m[1] : null;
}

/** A recommendation as a reader names it: number, case reference (or title), force. */
export function recTitle(x, { force = true } = {}) {
  const n = recNumber(x);
  const forceName = x.force ? (x.force.name || name("force", x.force.id || x.force)) : (x.force_name || (x.force_id ? name("force", x.force_id) : null));
  const parts = [n ? `Recommendation ${n}` : "Recommendation"];
  if (x.reference) parts.push(x.reference);
  else if (x.title) parts.push(x.title);
  if (force && forceName) parts.push(forceName);
  return parts.join(" · ");
}

/** A case as a reader names it: its IOPC reference, else its page's title (never a raw id). */
export function caseName(c) {
  return c.reference ? `Case ${c.reference}` : c.title ? `Case: ${c.title}` : "Case without an IOPC reference";
}

export function downloads(items) {
  return h("p", { class: "downloads" }, h("span", { class: "muted" }, "Download:"),
    items.map(([label, href]) => h("a", { class: "button", href, download: "" }, label)));
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function join(items, sep = ", ") {
  const out = [];
  items.forEach((x, i) => { if (i) out.push(sep); out.push(x); });
  return out;
}

export function fill(el, ...children) {
  // replaceChildren() would print null as "null": leave out what a view chose not to show.
  el.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

export function render(title, ...content) {
  document.title = `${title} · iopc-kg`;
  fill(main, content);
  main.focus({ preventScroll: false });
}

let folds = 0;
/** A list showing its first `n` items and a "Show N more" button for the rest (long lists made a
 * force page 9,000 px tall). `tag` is "ol" or "ul". */
export function folded(items, { n = 5, tag = "ul", cls = "" } = {}) {
  const id = `fold-${++folds}`;
  const list = h(tag, { class: cls || null, id }, items.map((x, i) => { const li = x.tagName === "LI" ? x : h("li", {}, x); if (i >= n) li.hidden = true; return li; }));
  if (items.length <= n) return list;
  const rest = items.length - n;
  const btn = h("button", { type: "button", class: "more", "aria-expanded": "false", "aria-controls": id, onclick: () => {
    const open = btn.getAttribute("aria-expanded") !== "true";
    [...list.children].forEach((li, i) => { if (i >= n) li.hidden = !open; });
    btn.setAttribute("aria-expanded", String(open));
    btn.textContent = open ? "Show fewer" : `Show ${rest} more`;
  } }, `Show ${rest} more`);
  return h("div", { class: "folded" }, list, btn);
}

/** Filters that sit beside the results on a wide screen and fold behind a toggle on a phone, so the
 * results come first. */
export function foldable(summary, ...content) {
  const wide = window.matchMedia("(min-width: 50em)").matches;
  return h("details", { class: "fold", open: wide }, h("summary", {}, summary), content);
}
