// What the force, programme, theme and body pages share: links out, the CSV, the newest recommendations.

import { api, fill, h, plural, qs, state } from "../lib.js";
import { hitItem } from "./search.js";

export function explore(kind, id) {
  // kind is both the search filter and the graph's node kind: force, programme, theme, body.
  return h("p", { class: "actions" }, h("a", { class: "button", href: `#/search?${qs({ [kind]: id })}` }, "Search its recommendations"), " ",
    h("a", { class: "button", href: `#/graph?${qs({ node: `${kind}:${id}` })}` }, "Show in the graph"));
}

export function recommendationsCsv(filter, id) {
  return ["Recommendations CSV", `/search?${qs({ [filter]: id, page_size: state.limits.max_page_size, format: "csv" })}`];
}

export function recent(filter, id, label) {
  // The newest recommendations with this force / programme / theme / body, from the search index:
  // a page of them, not every id (a programme can reach thousands at 10k cases).
  const box = h("section", { class: "recent", "aria-labelledby": "recent-h" }, h("h2", { id: "recent-h" }, label), h("p", { class: "loading" }, "Loading…"));
  api(`/search?${qs({ [filter]: id, sort: "newest", page_size: 10, facets: false })}`).then(r => {
    fill(box, h("h2", { id: "recent-h" }, `${label} (${r.total.toLocaleString()})`),
      r.hits.length ? h("ol", { class: "hits" }, r.hits.map(hitItem)) : h("p", { class: "muted" }, "None."),
      r.total > r.hits.length ? h("p", {}, h("a", { href: `#/search?${qs({ [filter]: id, sort: "newest" })}` }, `All ${plural(r.total, "recommendation")} in search`)) : null);
  }).catch(e => { if (e.name !== "AbortError") fill(box, h("p", { class: "error" }, e.message)); });
  return box;
}
