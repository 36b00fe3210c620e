// Forces, programmes, themes, bodies: one table each.

import { api, downloads, h, link, render, state } from "../lib.js";

export async function listView(kind, title) {
  const r = await api(`/${kind}?page_size=${state.limits.max_page_size}`);
  const rows = [...r.data].sort((a, b) => (b.recommendations || 0) - (a.recommendations || 0) || String(a.name).localeCompare(b.name));
  const page = { forces: "force", programmes: "programme", themes: "theme", bodies: "body" }[kind];
  render(title, h("h1", {}, title),
    downloads([["CSV", `/${kind}?format=csv`]]),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", { class: "wide-only" }, "Kind"), h("th", { class: "num" }, "Recommendations"))),
      h("tbody", {}, rows.map(x => h("tr", {}, h("td", {}, link(page, x.id, x.name || x.id)), h("td", { class: "wide-only" }, (x.kind || "").replace(/_/g, " ")),
        h("td", { class: "num" }, x.recommendations ?? x.forces ?? "")))))),
    r.count > rows.length ? h("p", { class: "muted" }, `${rows.length} of ${r.count} shown; the CSV has them all.`) : null);
}
