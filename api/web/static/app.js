// iopc-kg explorer: one page over the JSON API. Views are chosen by the URL's hash (#/force/essex), so
// every view has an address a researcher can bookmark or cite. Data is put into the page as text nodes
// (never as HTML), except search snippets, whose <mark> elements are rebuilt from the text.

const main = document.getElementById("main");
const statusBox = document.getElementById("status");
const STATUSES = ["accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"];
const STATUS_LABEL = {
  accepted: "Accepted", partially_accepted: "Partly accepted", not_accepted: "Not accepted",
  awaiting_response: "Awaiting response", unknown: "Unknown",
};
const FACETS = [["force", "Force"], ["status", "Status"], ["year", "Year"], ["programme", "Programme"],
  ["theme", "Theme"], ["body", "Body"]];
const KIND_COLOUR = {
  Force: "#0b5cad", Case: "#57606a", Recommendation: "#9a6700", Response: "#1a7f37", Body: "#8250df",
  Programme: "#b42318", Theme: "#0a7f86", Source: "#8c959f",
};
const KIND_PAGE = { Force: "force", Programme: "programme", Body: "body", Theme: "theme", Recommendation: "recommendation", Case: "case" };
let limits = { max_page_size: 100, max_depth: 3, max_nodes: 500 };
const NAMES = { force: {}, programme: {}, theme: {}, body: {} };  // id -> display name, loaded once

function name(kind, id) { return NAMES[kind][id] || id; }

async function loadNames() {
  await Promise.all(Object.keys(NAMES).map(async kind => {
    try {
      const r = await fetch(`/${kind === "body" ? "bodies" : kind + "s"}?page_size=${limits.max_page_size}`).then(x => x.json());
      for (const x of r.data || []) NAMES[kind][x.id] = x.name || x.id;
    } catch { /* names are a nicety: ids still work */ }
  }));
}

// -- small helpers ------------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
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

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Requests of the view on screen; a new view aborts the old one's (a slow answer must not land on it).
let inflight = new AbortController();

async function api(path) {
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

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of [].concat(v)) if (x !== undefined && x !== null && x !== "") u.append(k, x);
  }
  return u.toString();
}

function announce(text) { statusBox.textContent = text; }

function marked(snippet) {
  // Snippets are escaped text with <mark> around matched terms: rebuild them from text nodes only.
  const doc = new DOMParser().parseFromString(`<p>${snippet}</p>`, "text/html");
  const out = document.createDocumentFragment();
  for (const node of doc.body.firstChild.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") out.append(h("mark", {}, node.textContent));
    else out.append(document.createTextNode(node.textContent));
  }
  return out;
}

function badge(status, label) {
  return h("span", { class: `badge ${status}` }, label || STATUS_LABEL[status] || status);
}

function link(kind, id, text) { return h("a", { href: `#/${kind}/${encodeURIComponent(id)}` }, text || id); }

function downloads(items) {
  return h("p", { class: "downloads" }, items.map(([label, href]) => h("a", { class: "button", href, download: "" }, label)));
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function join(items, sep = ", ") {
  const out = [];
  items.forEach((x, i) => { if (i) out.push(sep); out.push(x); });
  return out;
}

function fill(el, ...children) {
  // replaceChildren() would print null as "null": leave out what a view chose not to show.
  el.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

function render(title, ...content) {
  document.title = `${title} · iopc-kg`;
  fill(main, content);
  main.focus({ preventScroll: false });
}

// -- charts (SVG, each with a table of the same numbers for screen readers and copying) ----------

function hbars(rows, { title, unit = "", max = 15 }) {
  const units = (n) => unit ? ` ${unit}${n === 1 ? "" : "s"}` : "";
  rows = rows.slice(0, max);
  const width = 560, rowH = 22, labelW = 230, top = 4;
  const peak = Math.max(1, ...rows.map(r => r.value));
  const chart = svg("svg", { class: "chart", role: "img", "aria-label": title, viewBox: `0 0 ${width} ${top + rows.length * rowH + 4}`, width: "100%" });
  rows.forEach((r, i) => {
    const y = top + i * rowH, w = Math.max(1, (width - labelW - 50) * r.value / peak);
    const label = r.label.length > 34 ? r.label.slice(0, 33) + "…" : r.label;
    const text = svg("text", { x: labelW - 6, y: y + 15, "text-anchor": "end" }, label);
    chart.append(r.href ? svg("a", { href: r.href, "aria-label": r.label }, text) : text);
    chart.append(svg("rect", { x: labelW, y: y + 3, width: w, height: rowH - 7, fill: r.colour || "#0b5cad" }));
    chart.append(svg("text", { x: labelW + w + 5, y: y + 15, class: "bar-label" }, `${r.value}${units(r.value)}`));
  });
  const table = h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", { class: "num" }, "Count"))),
    h("tbody", {}, rows.map(r => h("tr", {}, h("td", {}, r.href ? h("a", { href: r.href }, r.label) : r.label), h("td", { class: "num" }, r.value)))));
  return h("figure", {}, h("figcaption", { class: "visually-hidden" }, title), chart,
    h("details", {}, h("summary", {}, "Table"), table));
}

function stacked(rows, { title }) {
  // rows: [{label, parts: {status: count}}], stacked by status.
  const width = 560, rowH = 22, labelW = 90, top = 4;
  const peak = Math.max(1, ...rows.map(r => Object.values(r.parts).reduce((a, b) => a + b, 0)));
  const chart = svg("svg", { class: "chart", role: "img", "aria-label": title, viewBox: `0 0 ${width} ${top + rows.length * rowH + 4}`, width: "100%" });
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    let x = labelW, total = 0;
    chart.append(svg("text", { x: labelW - 6, y: y + 15, "text-anchor": "end" }, r.label));
    for (const s of STATUSES) {
      const n = r.parts[s] || 0;
      if (!n) continue;
      const w = (width - labelW - 50) * n / peak;
      chart.append(svg("rect", { x, y: y + 3, width: w, height: rowH - 7, fill: `var(--${s})` }, svg("title", {}, `${STATUS_LABEL[s]}: ${n}`)));
      x += w; total += n;
    }
    chart.append(svg("text", { x: x + 5, y: y + 15, class: "bar-label" }, total));
  });
  const used = STATUSES.filter(s => rows.some(r => r.parts[s]));
  const legend = h("div", { class: "legend", "aria-hidden": "true" }, used.map(s => h("span", { style: `--c: var(--${s})` }, STATUS_LABEL[s])));
  const table = h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, ""), used.map(s => h("th", { class: "num" }, STATUS_LABEL[s])))),
    h("tbody", {}, rows.map(r => h("tr", {}, h("th", { scope: "row" }, r.label), used.map(s => h("td", { class: "num" }, r.parts[s] || 0))))));
  return h("figure", {}, h("figcaption", { class: "visually-hidden" }, title), legend, chart, h("details", {}, h("summary", {}, "Table"), table));
}

// -- search -------------------------------------------------------------------------------------

let refocus = null;  // id of the control to focus once the next search view is drawn

async function searchView(params) {
  const q = params.get("q") || "";
  const sort = params.get("sort") || "relevance";
  const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  const filters = Object.fromEntries(FACETS.map(([f]) => [f, params.getAll(f)]));
  const query = { q, sort, page, page_size: 20, ...filters };

  const input = h("input", { type: "search", id: "q", name: "q", value: q, placeholder: 'e.g. automated reminders, "body worn video", response:"governance group"', autocomplete: "off" });
  const sortSel = h("select", { id: "sort", name: "sort" }, ["relevance", "newest", "oldest"].map(s => h("option", { value: s, selected: s === sort }, s[0].toUpperCase() + s.slice(1))));
  const form = h("form", { class: "search", role: "search", onsubmit: (e) => {
    e.preventDefault();
    go("search", { q: input.value, sort: sortSel.value, ...filters });
  } },
  h("div", { class: "q" }, h("label", { for: "q" }, "Search every recommendation and response"), input),
  h("div", {}, h("label", { for: "sort" }, "Sort "), sortSel),
  h("button", { class: "primary", type: "submit" }, "Search"));
  const help = h("details", {}, h("summary", {}, "How to search"),
    h("p", { class: "muted" }, 'Words are stemmed ("reminder" finds "reminders"). Use "quotes" for phrases, AND / OR / NOT, ',
      'fields (force:essex, programme:athena, status:accepted, response:"governance group"), prefixes (supervis*), ',
      "fuzzy words (soteria~) and ranges (year:[2020 TO 2022])."));
  render(q ? `Search: ${q}` : "Search", h("h1", {}, "Search recommendations and responses"), form, help, h("p", { class: "loading" }, "Searching…"));

  let r;
  try { r = await api(`/search?${qs(query)}`); } catch (e) {
    if (e.name === "AbortError") return;
    return main.append(h("p", { class: "error", role: "alert" }, e.message));
  }
  main.querySelector(".loading")?.remove();

  const facetPanel = h("aside", { "aria-label": "Filters" }, h("h2", {}, "Filters"),
    FACETS.map(([name, label]) => facetBox(name, label, r.facets[name] || [], query)));
  const summary = h("p", { id: "result-count" }, `${r.total.toLocaleString()} recommendation${r.total === 1 ? "" : "s"}`,
    h("span", { class: "muted" }, ` · ${r.took_ms} ms · page ${r.page} of ${r.pages}`));
  const extra = [];
  if (r.notice) extra.push(h("p", { class: "notice" }, r.notice));
  if (r.did_you_mean) extra.push(h("p", {}, "Did you mean ", h("a", { href: `#/search?${qs({ ...query, q: r.did_you_mean, page: 1 })}` }, r.did_you_mean), "?"));
  const hits = h("ol", { class: "hits", start: (r.page - 1) * r.page_size + 1 }, r.hits.map(hitItem));
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    r.page > 1 ? h("a", { class: "button", href: `#/search?${qs({ ...query, page: r.page - 1 })}`, rel: "prev" }, "← Previous") : null,
    h("span", {}, `Page ${r.page} of ${r.pages}`),
    r.page < r.pages ? h("a", { class: "button", href: `#/search?${qs({ ...query, page: r.page + 1 })}`, rel: "next" }, "Next →") : null);
  const all = { ...query, page: 1, page_size: limits.max_page_size };
  const dl = downloads([["CSV", `/search?${qs({ ...all, format: "csv" })}`], ["RDF (Turtle)", `/export?${qs({ q, format: "ttl" })}`],
    ["JSON-LD", `/export?${qs({ q, format: "jsonld" })}`]]);
  main.append(h("div", { class: "layout" }, facetPanel, h("section", { "aria-labelledby": "result-count" }, summary, extra, dl, hits, pager)));
  if (refocus) { document.getElementById(refocus)?.focus(); refocus = null; }
  announce(`${r.total} results`);
}

function facetBox(name, label, values, query) {
  const box = h("fieldset", { class: "facet", "data-facet": name }, h("legend", {}, label));
  const shown = values.slice(0, 10);
  const rest = values.slice(10);
  const item = (v) => {
    const id = `f-${name}-${v.value}`.replace(/[^\w-]/g, "_");
    const cb = h("input", { type: "checkbox", id, value: v.value, checked: v.selected, onchange: () => {
      const current = new Set(query[name]);
      if (cb.checked) current.add(v.value); else current.delete(v.value);
      refocus = id;  // a keyboard user stays on the box they toggled when the results come back
      go("search", { ...query, [name]: [...current], page: 1 });
    } });
    return h("label", { for: id }, cb, h("span", {}, v.label), h("span", { class: "count" }, v.count));
  };
  box.append(...shown.map(item));
  if (!values.length) box.append(h("p", { class: "muted" }, "none"));
  if (rest.length) {
    const more = h("div", { hidden: true }, rest.map(item));
    const btn = h("button", { type: "button", "aria-expanded": "false", onclick: () => {
      more.hidden = !more.hidden; btn.setAttribute("aria-expanded", String(!more.hidden));
      btn.textContent = more.hidden ? `Show ${rest.length} more` : "Show fewer";
    } }, `Show ${rest.length} more`);
    box.append(more, btn);
  }
  return box;
}

function hitItem(hit) {
  const snippets = Object.entries(hit.snippets || {}).map(([which, s]) =>
    h("p", { class: "snippet" }, h("span", { class: "which" }, which === "text" ? "Recommendation" : "Response"), marked(s)));
  return h("li", {},
    h("a", { class: "hit-title", href: `#/recommendation/${encodeURIComponent(hit.id)}` }, hit.reference || hit.title || hit.case_id, hit.force ? ` · ${hit.force.name}` : ""),
    hit.title && hit.reference ? h("div", {}, hit.title) : null,
    h("div", { class: "meta" }, hit.status ? badge(hit.status) : null, " ", hit.date_recommended || "undated",
      hit.programmes.length ? [" · ", join(hit.programmes.map(p => link("programme", p.id, p.name)))] : null),
    snippets);
}

// -- resources ----------------------------------------------------------------------------------

function explore(kind, id) {
  // kind is both the search filter and the graph's node kind: force, programme, theme, body.
  return h("p", {}, h("a", { class: "button", href: `#/search?${qs({ [kind]: id })}` }, "Search its recommendations"), " ",
    h("a", { class: "button", href: `#/graph?${qs({ node: `${kind}:${id}` })}` }, "Show in the graph"));
}

function recommendationsCsv(filter, id) {
  return ["Recommendations CSV", `/search?${qs({ [filter]: id, page_size: limits.max_page_size, format: "csv" })}`];
}

function recent(filter, id, label) {
  // The newest recommendations with this force / programme / theme / body, from the search index:
  // a page of them, not every id (a programme can reach thousands at 10k cases).
  const box = h("section", { class: "recent", "aria-labelledby": "recent-h" }, h("h2", { id: "recent-h" }, label), h("p", { class: "loading" }, "Loading…"));
  api(`/search?${qs({ [filter]: id, sort: "newest", page_size: 10, facets: false })}`).then(r => {
    fill(box, h("h2", { id: "recent-h" }, `${label} (${r.total.toLocaleString()})`),
      r.hits.length ? h("ol", { class: "hits" }, r.hits.map(hitItem)) : h("p", { class: "muted" }, "None."),
      r.total > r.hits.length ? h("p", {}, h("a", { href: `#/search?${qs({ [filter]: id, sort: "newest" })}` }, `All ${r.total.toLocaleString()} in search`)) : null);
  }).catch(e => { if (e.name !== "AbortError") fill(box, h("p", { class: "error" }, e.message)); });
  return box;
}

// The recommendation's history as crawls saw it (issue 16): one item per observed state, oldest first.
function timeline(history) {
  if (!history || !history.length) return null;
  const day = (t) => (t || "").slice(0, 10);
  return [h("h2", { id: "history-h" }, "History"), h("ol", { class: "timeline", "aria-labelledby": "history-h" }, history.map(o =>
    h("li", {}, h("time", { datetime: o.first_seen }, day(o.first_seen)), " ", badge(o.status),
      h("span", { class: "muted" }, ` ${o.change === "new" ? "first seen" : `${o.change} changed`}; last seen ${day(o.last_seen)}`),
      o.response ? h("div", { class: "muted" }, o.response.length > 220 ? o.response.slice(0, 219) + "…" : o.response) : null)))];
}

async function recommendationView(id) {
  const r = await api(`/recommendations/${encodeURIComponent(id)}`);
  const bodies = (list) => join((list || []).map(b => b.kind === "Force" || b.label === "Force" ? link("force", b.id, b.name) : link("body", b.id, b.name || b.id)));
  const due = r.response_due ? [r.response_due, r.response_due_derived ? " (56 days after it was made)" : "",
    r.overdue ? [" ", h("span", { class: "badge overdue" }, `overdue by ${r.days_overdue} days`)] : ""] : null;
  const view = [
    h("p", { class: "muted" }, link("case", r.case_id, `Case ${r.reference || r.case_id}`)),
    h("h1", {}, `Recommendation ${(r.numbers || []).join(", ") || ""} · ${r.reference || r.case_id}`),
    r.title ? h("p", {}, r.title) : null,
    h("p", {}, badge(r.status, r.status_label)),
    facts([
      ["Force", r.force ? link("force", r.force.id, r.force.name) : null],
      ["Made", r.date_recommended || "not given"],
      ["Response due", due],
      ["Addressed to", bodies(r.addressed_to)],
      ["Linked bodies", bodies(r.linked_bodies)],
      ["Programmes", join((r.programmes || []).map(p => link("programme", p.id, p.name)))],
      ["Themes", join((r.themes || []).map(t => link("theme", t.id || t, t.name || name("theme", t))))],
      ["Defers to", join((r.defers_to || []).map(d => d.id ? link(d.kind === "Programme" ? "programme" : "body", d.id, d.name || d.id) : String(d.name || d)))],
      ["Sources", join((r.sources || []).filter(s => s.url).map(s => h("a", { href: s.url, rel: "noopener" }, s.url)))],
    ]),
    h("h2", {}, "Recommendation"), h("blockquote", { id: "rec-text" }, r.text),
    h("h2", {}, "Response"), r.response ? h("blockquote", { id: "rec-response" }, r.response) : h("p", { class: "muted" }, "No response published."),
    timeline(r.history),
    h("p", {}, h("a", { class: "button", href: `#/graph?${qs({ node: `recommendation:${id}` })}` }, "Show in the graph")),
    downloads([["Turtle", `/recommendations/${encodeURIComponent(id)}?format=ttl`], ["JSON-LD", `/recommendations/${encodeURIComponent(id)}?format=jsonld`],
      ["JSON", `/recommendations/${encodeURIComponent(id)}`], ["Similar as CSV", `/recommendations/${encodeURIComponent(id)}/similar?format=csv`]]),
    h("h2", { id: "similar-h" }, "Similar recommendations made to other forces"),
    h("div", { id: "similar" }, h("p", { class: "loading" }, "Looking…")),
  ];
  render(`Recommendation ${r.reference || id}`, view);
  try {
    const s = await api(`/recommendations/${encodeURIComponent(id)}/similar?limit=10`);
    const list = s.similar.length ? h("ol", {}, s.similar.map(x => h("li", {},
      link("recommendation", x.id, `${x.reference || x.id}`), x.force ? [" · ", link("force", x.force.id || x.force, x.force.name || x.force)] : "",
      h("span", { class: "muted" }, ` · similarity ${Number(x.score).toFixed(2)}`),
      x.text ? h("div", { class: "muted" }, x.text.length > 220 ? x.text.slice(0, 219) + "…" : x.text) : null)))
      : h("p", { class: "muted" }, "None found among other forces.");
    fill(document.getElementById("similar"), list);
  } catch (e) {
    if (e.name !== "AbortError") fill(document.getElementById("similar"), h("p", { class: "error" }, e.message));
  }
}

async function caseView(id) {
  const c = await api(`/cases/${encodeURIComponent(id)}`);
  render(`Case ${c.reference || id}`,
    h("h1", {}, `Case ${c.reference || id}`), c.title ? h("p", {}, c.title) : null,
    facts([["Force", c.force ? link("force", c.force.id, c.force.name) : null], ["Made", c.date_recommended], ["Response due", c.response_due]]),
    h("h2", {}, "Recommendations"),
    h("ol", {}, c.recommendations.map(r => h("li", {}, link("recommendation", r.id, r.text.length > 200 ? r.text.slice(0, 199) + "…" : r.text), " ", badge(r.status, r.status_label)))),
    downloads([["Turtle", `/cases/${encodeURIComponent(id)}?format=ttl`], ["JSON-LD", `/cases/${encodeURIComponent(id)}?format=jsonld`]]));
}

async function forceView(id) {
  const f = await api(`/forces/${encodeURIComponent(id)}`);
  const years = (f.by_year || []).map(y => ({ label: y.year === null ? "undated" : String(y.year), parts: y.statuses }));
  render(f.name || id,
    h("h1", {}, f.name || id),
    facts([["Kind", f.kind], ["Country", f.country], ["Cases", f.cases], ["Recommendations", f.recommendations],
      ["data.police.uk", f.police_uk_id ? h("a", { href: `https://data.police.uk/api/forces/${f.police_uk_id}`, rel: "noopener" }, f.police_uk_id) : null],
      ["Also called", (f.aliases || []).join(", ")]]),
    explore("force", id),
    downloads([["RDF (Turtle)", `/export?${qs({ force: id, format: "ttl" })}`], ["JSON-LD", `/export?${qs({ force: id, format: "jsonld" })}`],
      recommendationsCsv("force", id),
      ["Graph (GraphML)", `/graph/neighbourhood?${qs({ node: `force:${id}`, format: "graphml" })}`]]),
    h("div", { class: "cols" },
      h("section", { class: "card" }, h("h2", {}, "Recommendations per year, by response"),
        years.length ? stacked(years, { title: `Recommendations to ${f.name} per year by response status` }) : h("p", { class: "muted" }, "None.")),
      h("section", { class: "card" }, h("h2", {}, "Top programmes"),
        f.programmes.length ? hbars(f.programmes.map(p => ({ label: p.name, value: p.recommendations, href: `#/programme/${p.id}` })), { title: "Programmes by recommendations" }) : h("p", { class: "muted" }, "None.")),
      h("section", { class: "card" }, h("h2", {}, "Top themes"),
        f.themes.length ? hbars(f.themes.map(t => ({ label: t.name, value: t.recommendations, colour: "#0a7f86", href: `#/theme/${t.id}` })), { title: "Themes by recommendations" }) : h("p", { class: "muted" }, "None.")),
      h("section", { class: "card" }, h("h2", {}, "Forces most like it"),
        f.similar_forces.length ? h("ol", {}, f.similar_forces.map(s => h("li", {}, link("force", s.id, s.name),
          h("span", { class: "muted" }, ` · ${s.score.toFixed(2)} · shares ${[...s.shared_programmes.map(x => name("programme", x)), ...s.shared_themes.map(x => name("theme", x))].join(", ")}`)))) : h("p", { class: "muted" }, "None yet."))),
    recent("force", id, "Newest recommendations"),
    h("h2", {}, "Overdue responses"),
    f.overdue.length ? h("ul", {}, f.overdue.map(r => h("li", {}, link("recommendation", r.id || r, r.reference || r.id || r)))) : h("p", { class: "muted" }, "None overdue."),
    f.bodies.length ? [h("h2", {}, "Bodies it shares recommendations with"), h("ul", {}, f.bodies.map(b => h("li", {}, link("body", b.id, b.name), h("span", { class: "muted" }, ` · ${b.recommendations ?? ""}`))))] : null);
}

function reachView(kind, label) {
  return async (id) => {
    const p = await api(`/${kind}s/${encodeURIComponent(id)}`);
    const forces = (p.forces || []).map(f => ({ label: f.name || f.id, value: f.recommendations, href: `#/force/${f.id}` }));
    const names = Object.fromEntries((p.forces || []).map(f => [f.id, f.name]));
    render(p.name || id,
      h("p", { class: "muted" }, label), h("h1", {}, p.name || id),
      facts([["Kind", p.kind], ["Also called", (p.aliases || []).join(", ")], ["Recommendations", p.recommendations],
        ["Years", p.first_year ? `${p.first_year}–${p.last_year}` : null],
        ["Responses", Object.entries(p.by_status || {}).map(([s, n]) => [badge(s, `${STATUS_LABEL[s] || s}: ${n}`), " "])],
        ["Forces that use it", join((p.users || []).map(f => link("force", f, names[f] || name("force", f))))]]),
      explore(kind, id),
      downloads([[`RDF (Turtle)`, kind === "programme" ? `/export?${qs({ programme: id, format: "ttl" })}` : `/${kind}s/${encodeURIComponent(id)}?format=ttl`],
        recommendationsCsv(kind, id),
        ["Graph (GraphML)", `/graph/neighbourhood?${qs({ node: `${kind}:${id}`, format: "graphml" })}`]]),
      h("h2", {}, "Reach across forces"),
      forces.length ? hbars(forces, { title: `Recommendations reaching ${p.name} per force` }) : h("p", { class: "muted" }, "No recommendation reaches it yet."),
      recent(kind, id, "Newest recommendations"));
  };
}

async function bodyView(id) {
  const b = await api(`/bodies/${encodeURIComponent(id)}`);
  const forces = (b.forces || []).map(f => ({ label: f.name || f.id, value: f.recommendations, href: `#/force/${f.id}` }));
  render(b.name || id,
    h("p", { class: "muted" }, "Body"), h("h1", {}, b.name || id),
    facts([["Kind", (b.kind || "").replace(/_/g, " ")], ["Also called", (b.aliases || []).join(", ")],
      ["Responses", Object.entries(b.by_status || {}).map(([s, n]) => [badge(s, `${STATUS_LABEL[s] || s}: ${n}`), " "])],
      ["Members", join((b.members || []).map(m => link("force", m.id || m, m.name || name("force", m.id || m))))]]),
    explore("body", id),
    downloads([["RDF (Turtle)", `/bodies/${encodeURIComponent(id)}?format=ttl`], recommendationsCsv("body", id)]),
    h("h2", {}, "Across forces"), forces.length ? hbars(forces, { title: `Recommendations involving ${b.name} per force` }) : h("p", { class: "muted" }, "None."),
    facts([["Addressed to it", `${(b.addressed_to || []).length} recommendations`], ["Linked to it", `${(b.linked_to || []).length} recommendations`]]),
    recent("body", id, "Newest recommendations"));
}

async function listView(kind, title) {
  const r = await api(`/${kind}?page_size=${limits.max_page_size}`);
  const rows = [...r.data].sort((a, b) => (b.recommendations || 0) - (a.recommendations || 0) || String(a.name).localeCompare(b.name));
  const page = { forces: "force", programmes: "programme", themes: "theme", bodies: "body" }[kind];
  render(title, h("h1", {}, title),
    downloads([["CSV", `/${kind}?format=csv`]]),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Kind"), h("th", { class: "num" }, "Recommendations"))),
      h("tbody", {}, rows.map(x => h("tr", {}, h("td", {}, link(page, x.id, x.name || x.id)), h("td", {}, (x.kind || "").replace(/_/g, " ")),
        h("td", { class: "num" }, x.recommendations ?? x.forces ?? ""))))),
    r.count > rows.length ? h("p", { class: "muted" }, `${rows.length} of ${r.count} shown; the CSV has them all.`) : null);
}

// -- patterns -----------------------------------------------------------------------------------

async function patternsView(params) {
  const kind = params.get("kind") === "theme" ? "theme" : "programme";
  render("Patterns", h("h1", {}, "Patterns across forces"), h("p", { class: "loading" }, "Counting…"));
  const [spread, deadlines, acceptance, deps] = await Promise.all([
    api(`/patterns/spread?${qs({ kind, min_forces: 1, limit: 25 })}`), api("/patterns/deadlines?limit=20"),
    api("/patterns/acceptance?by=year"), api("/patterns/dependencies?min_forces=2")]);
  const kindSel = h("select", { id: "spread-kind", onchange: () => go("patterns", { kind: kindSel.value }) },
    h("option", { value: "programme", selected: kind === "programme" }, "Programmes"), h("option", { value: "theme", selected: kind === "theme" }, "Themes"));
  const years = acceptance.filter(r => r.total).map(r => ({ label: r.year === null ? "undated" : String(r.year),
    parts: Object.fromEntries(STATUSES.map(s => [s, r[s] || 0])) }));
  render("Patterns", h("h1", {}, "Patterns across forces"),
    h("section", { "aria-labelledby": "spread-h" }, h("h2", { id: "spread-h" }, "Cross-force spread"),
      h("p", {}, h("label", { for: "spread-kind" }, "Rank "), kindSel, " by the number of forces whose recommendations reach them."),
      hbars(spread.map(r => ({ label: r.name, value: r.forces, href: `#/${kind}/${r.id}` })), { title: `${kind}s by number of forces`, unit: "force", max: 25 }),
      downloads([["CSV", `/patterns/spread?${qs({ kind, min_forces: 1, format: "csv" })}`], ["GraphML", `/patterns/spread?${qs({ kind, min_forces: 1, format: "graphml" })}`],
        ["GEXF", `/patterns/spread?${qs({ kind, min_forces: 1, format: "gexf" })}`]])),
    h("section", { "aria-labelledby": "overdue-h" }, h("h2", { id: "overdue-h" }, `Overdue responses (${deadlines.total} on ${deadlines.on})`),
      deadlines.per_force.length ? hbars(deadlines.per_force.map(f => ({ label: f.name || f.id, value: f.overdue, colour: "#b42318", href: `#/force/${f.id}` })), { title: "Overdue responses per force", max: 30 }) : h("p", { class: "muted" }, "None overdue."),
      deadlines.overdue.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Recommendation"), h("th", {}, "Force"), h("th", {}, "Due"), h("th", { class: "num" }, "Days overdue"))),
        h("tbody", {}, deadlines.overdue.map(r => h("tr", {}, h("td", {}, link("recommendation", r.rec_id, r.reference || r.rec_id)),
          h("td", {}, link("force", r.force_id, r.force_name || r.force_id)), h("td", {}, r.due), h("td", { class: "num" }, r.days_overdue))))) : null,
      downloads([["CSV", "/patterns/deadlines?limit=100000&format=csv"]])),
    h("section", { "aria-labelledby": "acceptance-h" }, h("h2", { id: "acceptance-h" }, "Responses by year"),
      years.length ? stacked(years, { title: "Recommendations per year by response status" }) : h("p", { class: "muted" }, "None."),
      downloads([["CSV by year", "/patterns/acceptance?by=year&format=csv"], ["CSV by force", "/patterns/acceptance?by=force&format=csv"]])),
    h("section", { "aria-labelledby": "deps-h" }, h("h2", { id: "deps-h" }, "Shared dependencies"),
      h("p", { class: "muted" }, "Bodies and programmes that responses defer to, with the forces one decision spans."),
      deps.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Deferred to"), h("th", {}, "Forces whose responses defer to it"),
        h("th", { class: "num" }, "Forces the decision spans"))),
        h("tbody", {}, deps.map(d => h("tr", {}, h("td", {}, link(d.label === "Programme" ? "programme" : "body", d.id, d.name || d.id)),
          h("td", {}, join((d.deferring_forces || []).map(f => link("force", f, name("force", f))))),
          h("td", { class: "num", title: (d.forces_spanned || []).join(", ") }, (d.forces_spanned || []).length))))) : h("p", { class: "muted" }, "None."),
      downloads([["CSV", "/patterns/dependencies?format=csv"], ["All as RDF (Turtle)", "/export?format=ttl"], ["N-Triples", "/export?format=nt"]])));
}

// -- graph --------------------------------------------------------------------------------------

let cy = null;

function nodeLabel(n) {
  const t = n.name || n.reference || n.title || n.id;
  return n.label === "Recommendation" ? `Rec ${n.id}` : t.length > 32 ? t.slice(0, 31) + "…" : t;
}

function addGraph(answer) {
  const added = [];
  for (const n of answer.nodes) {
    if (cy.getElementById(n.key).length) continue;
    added.push({ group: "nodes", data: { id: n.key, name: nodeLabel(n), kind: n.label, colour: KIND_COLOUR[n.label] || "#57606a", raw: n } });
  }
  for (const e of answer.edges) {
    const id = `${e.source}|${e.type}|${e.target}`;
    if (cy.getElementById(id).length) continue;
    added.push({ group: "edges", data: { id, source: e.source, target: e.target, type: e.type } });
  }
  cy.add(added);
  return added.length;
}

async function graphView(params) {
  const start = params.get("node") || "programme:athena";
  const input = h("input", { type: "text", id: "graph-node", value: start, "aria-describedby": "graph-node-help" });
  const from = h("select", { id: "path-from" }), to = h("select", { id: "path-to" });
  const details = h("div", { id: "graph-details", "aria-live": "polite" }, h("p", { class: "muted" }, "Choose a node (click it, or use the list) to see it and expand its neighbours."));
  const list = h("ul", { class: "node-list", id: "graph-nodes", "aria-label": "Nodes in view" });
  const pathOut = h("div", { id: "path-result", "aria-live": "polite" });
  const container = h("div", { id: "cy", role: "img", "aria-label": "Graph of the chosen node's neighbourhood; the list beside it holds the same nodes" });
  const legend = h("div", { class: "legend" }, Object.entries(KIND_COLOUR).map(([k, c]) => h("span", { style: `--c: ${c}` }, k)));
  render("Graph", h("h1", {}, "Graph"),
    h("form", { class: "search", onsubmit: (e) => { e.preventDefault(); go("graph", { node: input.value.trim() }); } },
      h("div", { class: "q" }, h("label", { for: "graph-node" }, "Start from a node"), input,
        h("small", { id: "graph-node-help", class: "muted" }, "kind:id, e.g. force:essex, programme:athena, body:college-of-policing, recommendation:2022-178839-1")),
      h("button", { class: "primary", type: "submit" }, "Show")),
    legend,
    h("div", { class: "graph-layout" }, container,
      h("aside", { "aria-label": "Graph controls" },
        h("h2", {}, "Selected"), details,
        h("h2", {}, "Path between two nodes"),
        h("p", {}, h("label", { for: "path-from" }, "From "), from), h("p", {}, h("label", { for: "path-to" }, "To "), to),
        h("button", { type: "button", id: "find-path", onclick: () => findPath(from.value, to.value, pathOut) }, "Find path"), pathOut,
        h("h2", {}, "Nodes in view"), list,
        downloads([["GraphML", `/graph/neighbourhood?${qs({ node: start, format: "graphml" })}`], ["GEXF", `/graph/neighbourhood?${qs({ node: start, format: "gexf" })}`]]))));

  if (typeof window.cytoscape !== "function") await new Promise(r => window.addEventListener("load", r, { once: true }));
  cy = window.cytoscape({
    container, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3,
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(name)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3, width: 18, height: 18, color: "#1b1f24" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#b35900" } },
      { selector: "node.root", style: { width: 28, height: 28 } },
      { selector: "edge", style: { width: 1.2, "line-color": "#c9d1d9", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#c9d1d9", "arrow-scale": 0.7 } },
      { selector: 'node[kind = "Response"], node[kind = "Source"]', style: { label: "" } },
      { selector: "node:selected", style: { label: "data(name)" } },
      { selector: "edge.path", style: { "line-color": "#b35900", "target-arrow-color": "#b35900", width: 3 } },
      { selector: "node.path", style: { "border-width": 3, "border-color": "#b35900" } },
    ],
  });
  window.iopcGraph = cy;  // for the end-to-end tests and for the curious, in the console
  const refresh = () => {
    const nodes = cy.nodes().map(n => n.data()).sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    fill(list, ...nodes.map(n => h("li", {}, h("span", { class: "kind-dot", style: `--c: ${n.colour}`, "aria-hidden": "true" }),
      h("button", { type: "button", onclick: () => select(n.id, true) }, `${n.kind}: ${n.name}`))));
    for (const sel of [from, to]) {
      const keep = sel.value;
      fill(sel, ...nodes.map(n => h("option", { value: n.id, selected: n.id === keep }, `${n.kind}: ${n.name}`)));
    }
    if (!from.value && nodes.length) from.value = start;
    announce(`${nodes.length} nodes in view`);
  };
  const layout = () => cy.layout({ name: "cose", animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 70, randomize: false }).run();
  const expand = async (key) => {
    try {
      const added = addGraph(await api(`/graph/neighbourhood?${qs({ node: key, depth: 1, max_nodes: 60 })}`));
      if (added) { layout(); refresh(); }
      return added;
    } catch (e) {
      if (e.name !== "AbortError") fill(details, h("p", { class: "error", role: "alert" }, e.message));
      return 0;
    }
  };
  const select = async (key, doExpand) => {
    const node = cy.getElementById(key);
    cy.$(":selected").unselect(); node.select();
    const d = node.data(), raw = d.raw || {};
    const page = KIND_PAGE[d.kind];
    fill(details, h("p", {}, h("strong", {}, `${d.kind}: `), raw.name || raw.reference || raw.id),
      raw.text ? h("p", { class: "muted" }, raw.text.length > 240 ? raw.text.slice(0, 239) + "…" : raw.text) : null,
      page ? h("p", {}, h("a", { href: `#/${page}/${encodeURIComponent(raw.id)}` }, `Open the ${d.kind.toLowerCase()} page`)) : null,
      h("p", {}, h("button", { type: "button", onclick: () => expand(key) }, "Expand neighbours"), " ",
        h("button", { type: "button", onclick: () => { from.value = key; } }, "Path from here"), " ",
        h("button", { type: "button", onclick: () => { to.value = key; } }, "Path to here")));
    if (doExpand) await expand(key);
  };
  cy.on("tap", "node", (e) => select(e.target.id(), true));
  const answer = await api(`/graph/neighbourhood?${qs({ node: start, depth: 1, max_nodes: 80 })}`).catch(e => {
    if (e.name !== "AbortError") fill(details, h("p", { class: "error", role: "alert" }, e.message));
    return null;
  });
  if (!answer) return;
  addGraph(answer);
  cy.getElementById(start).addClass("root");
  layout(); refresh();
  from.value = start;
}

async function findPath(a, b, out) {
  if (!a || !b || a === b) { fill(out, h("p", { class: "error" }, "Choose two different nodes.")); return; }
  try {
    const paths = await api(`/graph/path?${qs({ from: a, to: b, limit: 1 })}`);
    cy.elements().removeClass("path");
    if (!paths.length) { fill(out, h("p", {}, "No path within 6 steps.")); return; }
    const p = paths[0];
    addGraph(p);
    for (const n of p.nodes) cy.getElementById(n.key).addClass("path");
    for (const e of p.edges) cy.getElementById(`${e.source}|${e.type}|${e.target}`).addClass("path");
    cy.layout({ name: "cose", animate: false, randomize: false }).run();
    fill(out, h("ol", { class: "path-steps" }, p.nodes.map(n => h("li", {}, `${n.label}: ${nodeLabel(n)}`))));
    announce(`Path of ${p.edges.length} steps found`);
  } catch (e) {
    if (e.name !== "AbortError") fill(out, h("p", { class: "error", role: "alert" }, e.message));
  }
}

// -- routing ------------------------------------------------------------------------------------

function go(view, params) {
  location.hash = `#/${view}${params && Object.keys(params).length ? "?" + qs(params) : ""}`;
}

const ROUTES = [
  [/^\/?$|^\/search$/, (m, p) => searchView(p), "search"],
  [/^\/recommendation\/(.+)$/, (m) => recommendationView(m[1]), "search"],
  [/^\/case\/(.+)$/, (m) => caseView(m[1]), "search"],
  [/^\/force\/(.+)$/, (m) => forceView(m[1]), "forces"],
  [/^\/programme\/(.+)$/, (m) => reachView("programme", "Programme")(m[1]), "programmes"],
  [/^\/theme\/(.+)$/, (m) => reachView("theme", "Theme")(m[1]), "programmes"],
  [/^\/body\/(.+)$/, (m) => bodyView(m[1]), "forces"],
  [/^\/forces$/, () => listView("forces", "Forces"), "forces"],
  [/^\/programmes$/, () => listView("programmes", "Programmes"), "programmes"],
  [/^\/themes$/, () => listView("themes", "Themes"), "programmes"],
  [/^\/bodies$/, () => listView("bodies", "Bodies"), "forces"],
  [/^\/patterns$/, (m, p) => patternsView(p), "patterns"],
  [/^\/graph$/, (m, p) => graphView(p), "graph"],
];

let routeCount = 0;  // which view is current: a view left behind must not write over its successor

async function route() {
  const mine = ++routeCount;
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  const params = new URLSearchParams(query || "");
  inflight.abort();
  inflight = new AbortController();
  for (const [re, view, nav] of ROUTES) {
    const m = path.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll("[data-nav]")) {
      if (a.dataset.nav === nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    try {
      await view(m.map(x => x && decodeURIComponent(x)), params);
    } catch (e) {
      if (e.name === "AbortError" || mine !== routeCount) return;  // a newer view took over
      render("Not found", h("h1", {}, e.status === 404 ? "Not found" : "Something went wrong"), h("p", { class: "error", role: "alert" }, e.message),
        h("p", {}, h("a", { href: "#/" }, "Back to search")));
    }
    return;
  }
  render("Not found", h("h1", {}, "Not found"), h("p", {}, "No such view. ", h("a", { href: "#/" }, "Back to search")));
}

window.addEventListener("hashchange", route);
// The skip link must not change the address: the address chooses the view.
document.querySelector("a.skip").addEventListener("click", (e) => { e.preventDefault(); main.focus(); });
api("/stats").then(s => { limits = { ...limits, ...s.limits }; }).catch(() => {}).then(loadNames).finally(route);
