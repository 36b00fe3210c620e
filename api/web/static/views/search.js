// The search page: a query, facets (folded behind a toggle on a phone, so results come first), hits.

import { announce, api, badge, downloads, foldable, go, h, join, link, main, marked, plural, qs, recTitle, render, state } from "../lib.js";

const FACETS = [["force", "Force"], ["status", "Status"], ["year", "Year"], ["programme", "Programme"],
  ["theme", "Theme"], ["body", "Body"]];

let refocus = null;  // id of the control to focus once the next search view is drawn

export async function searchView(params) {
  const q = params.get("q") || "";
  const sort = params.get("sort") || "relevance";
  const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  const filters = Object.fromEntries(FACETS.map(([f]) => [f, params.getAll(f)]));
  const overdue = params.get("overdue") === "true";
  const query = { q, sort, page, page_size: 20, ...filters, overdue: overdue ? "true" : undefined };

  const input = h("input", { type: "search", id: "q", name: "q", value: q, placeholder: 'e.g. automated reminders, "body worn video"', autocomplete: "off" });
  const late = h("input", { type: "checkbox", id: "overdue", name: "overdue", checked: overdue });
  const sortSel = h("select", { id: "sort", name: "sort" }, ["relevance", "newest", "oldest"].map(s => h("option", { value: s, selected: s === sort }, s[0].toUpperCase() + s.slice(1))));
  const form = h("form", { class: "search", role: "search", onsubmit: (e) => {
    e.preventDefault();
    go("search", { q: input.value, sort: sortSel.value, ...filters, overdue: late.checked ? "true" : undefined });
  } },
  h("div", { class: "q" }, h("label", { for: "q" }, "Search every recommendation and response"), input),
  h("div", {}, h("label", { for: "sort" }, "Sort "), sortSel),
  h("div", {}, late, h("label", { for: "overdue" }, " Overdue responses only")),
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

  const chosen = FACETS.reduce((n, [f]) => n + filters[f].length, 0);
  const facetPanel = h("aside", { "aria-label": "Filters", class: "filters" },
    foldable(chosen ? `Filters (${chosen} chosen)` : "Filters", FACETS.map(([name, label]) => facetBox(name, label, r.facets[name] || [], query))));
  const summary = h("p", { id: "result-count" }, plural(r.total, "recommendation"),
    h("span", { class: "muted" }, ` · ${r.took_ms} ms · page ${r.page} of ${r.pages}`));
  const extra = [];
  if (r.notice) extra.push(h("p", { class: "notice" }, r.notice));
  if (r.did_you_mean) extra.push(h("p", {}, "Did you mean ", h("a", { href: `#/search?${qs({ ...query, q: r.did_you_mean, page: 1 })}` }, r.did_you_mean), "?"));
  const hits = h("ol", { class: "hits", start: (r.page - 1) * r.page_size + 1 }, r.hits.map(hitItem));
  const pager = h("nav", { class: "pager", "aria-label": "Pages" },
    r.page > 1 ? h("a", { class: "button", href: `#/search?${qs({ ...query, page: r.page - 1 })}`, rel: "prev" }, "← Previous") : null,
    h("span", {}, `Page ${r.page} of ${r.pages}`),
    r.page < r.pages ? h("a", { class: "button", href: `#/search?${qs({ ...query, page: r.page + 1 })}`, rel: "next" }, "Next →") : null);
  const all = { ...query, page: 1, page_size: state.limits.max_page_size };
  const dl = downloads([["CSV", `/search?${qs({ ...all, format: "csv" })}`], ["RDF (Turtle)", `/export?${qs({ q, format: "ttl" })}`],
    ["JSON-LD", `/export?${qs({ q, format: "jsonld" })}`]]);
  main.append(h("div", { class: "layout" }, facetPanel, h("section", { "aria-labelledby": "result-count", class: "results" }, summary, extra, dl, hits, pager)));
  if (refocus) { document.getElementById(refocus)?.focus(); refocus = null; }
  announce(plural(r.total, "result"));
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

export function hitItem(hit) {
  const snippets = Object.entries(hit.snippets || {}).map(([which, s]) =>
    h("p", { class: "snippet" }, h("span", { class: "which" }, which === "text" ? "Recommendation" : "Response"), marked(s)));
  return h("li", {},
    h("a", { class: "hit-title", href: `#/recommendation/${encodeURIComponent(hit.id)}` }, recTitle(hit)),
    hit.title && hit.reference ? h("div", {}, hit.title) : null,
    h("div", { class: "meta" }, hit.status ? badge(hit.status) : null, " ", hit.date_recommended || "undated",
      hit.programmes.length ? [" · ", join(hit.programmes.map(p => link("programme", p.id, p.name)))] : null),
    snippets);
}
