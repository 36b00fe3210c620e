// A force: its figures, responses per year, programmes and themes, the forces most like it, overdue.

import { hbars, stacked } from "../charts.js";
import { api, downloads, facts, folded, h, link, name, qs, recTitle, render } from "../lib.js";
import { explore, recent, recommendationsCsv } from "./profile.js";

export async function forceView(id) {
  const f = await api(`/forces/${encodeURIComponent(id)}`);
  const years = (f.by_year || []).map(y => ({ label: y.year === null ? "undated" : String(y.year), parts: y.statuses }));
  const card = (title, body) => h("section", { class: "card" }, h("h2", {}, title), body);
  render(f.name || id,
    h("h1", {}, f.name || id),
    facts([["Kind", f.kind], ["Country", f.country], ["Cases", f.cases], ["Recommendations", f.recommendations],
      ["data.police.uk", f.police_uk_id ? h("a", { href: `https://data.police.uk/api/forces/${f.police_uk_id}`, rel: "noopener" }, f.police_uk_id) : null],
      ["Also called", (f.aliases || []).join(", ")]]),
    explore("force", id),
    downloads([["RDF (Turtle)", `/export?${qs({ force: id, format: "ttl" })}`], ["JSON-LD", `/export?${qs({ force: id, format: "jsonld" })}`],
      recommendationsCsv("force", id),
      ["Graph (GraphML)", `/graph/neighbourhood?${qs({ node: `force:${id}`, format: "graphml" })}`],
      ["Changes (Atom feed)", `/changes.atom?${qs({ force: id })}`]]),
    h("div", { class: "cols" },
      card("Recommendations per year, by response",
        years.length ? stacked(years, { title: `Recommendations to ${f.name} per year by response status` }) : h("p", { class: "muted" }, "None.")),
      card("Top programmes",
        f.programmes.length ? hbars(f.programmes.map(p => ({ label: p.name, value: p.recommendations, href: `#/programme/${p.id}` })), { title: "Programmes by recommendations", max: 10 }) : h("p", { class: "muted" }, "None.")),
      card("Top themes",
        f.themes.length ? hbars(f.themes.map(t => ({ label: t.name, value: t.recommendations, href: `#/theme/${t.id}` })), { title: "Themes by recommendations", colour: "#0a7f86", max: 10 }) : h("p", { class: "muted" }, "None.")),
      card("Forces most like it",
        f.similar_forces.length ? folded(f.similar_forces.map(s => {
          const shared = [...s.shared_programmes.map(x => name("programme", x)), ...s.shared_themes.map(x => name("theme", x))];
          return h("li", {}, link("force", s.id, s.name), h("span", { class: "muted" }, ` · similarity ${s.score.toFixed(2)}`),
            h("div", { class: "muted small" }, `Shares ${shared.slice(0, 6).join(", ")}${shared.length > 6 ? ` and ${shared.length - 6} more` : ""}`));
        }), { n: 5, tag: "ol" }) : h("p", { class: "muted" }, "None yet."))),
    recent("force", id, "Newest recommendations"),
    h("h2", {}, `Overdue responses (${f.overdue.length})`),
    f.overdue.length ? folded(f.overdue.map(r => h("li", {}, link("recommendation", r.id || r, recTitle(typeof r === "string" ? { id: r } : r, { force: false })))), { n: 10 })
      : h("p", { class: "muted" }, "None overdue."),
    f.bodies.length ? [h("h2", {}, "Bodies it shares recommendations with"),
      folded(f.bodies.map(b => h("li", {}, link("body", b.id, b.name), h("span", { class: "muted" }, ` · ${b.recommendations ?? ""}`))), { n: 10 })] : null);
}
