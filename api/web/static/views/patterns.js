// Patterns across forces: spread of programmes or themes, overdue responses, responses by year,
// shared dependencies.

import { hbars, stacked } from "../charts.js";
import { STATUSES, api, downloads, folded, go, h, join, link, name, qs, recTitle, render } from "../lib.js";

export async function patternsView(params) {
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
    h("section", { "aria-labelledby": "overdue-h" }, h("h2", { id: "overdue-h" }, `Overdue responses (${deadlines.total.toLocaleString()} on ${deadlines.on})`),
      deadlines.per_force.length ? hbars(deadlines.per_force.map(f => ({ label: f.name || f.id, value: f.overdue, href: `#/force/${f.id}` })), { title: "Overdue responses per force", colour: "#b42318", max: 15 }) : h("p", { class: "muted" }, "None overdue."),
      deadlines.per_force.length > 15 ? h("p", { class: "muted" }, `The 15 forces with most overdue of ${deadlines.per_force.length}; the CSV has every recommendation.`) : null,
      deadlines.overdue.length ? h("div", { class: "table-wrap" }, h("table", {}, h("caption", { class: "visually-hidden" }, "The longest overdue"),
        h("thead", {}, h("tr", {}, h("th", {}, "Recommendation"), h("th", {}, "Force"), h("th", { class: "wide-only" }, "Due"), h("th", { class: "num" }, "Days overdue"))),
        h("tbody", {}, deadlines.overdue.map(r => h("tr", {}, h("td", {}, link("recommendation", r.rec_id, recTitle(r, { force: false }))),
          h("td", {}, link("force", r.force_id, r.force_name || r.force_id)), h("td", { class: "nowrap wide-only" }, r.due), h("td", { class: "num" }, r.days_overdue)))))) : null,
      downloads([["CSV", "/patterns/deadlines?limit=100000&format=csv"]])),
    h("section", { "aria-labelledby": "acceptance-h" }, h("h2", { id: "acceptance-h" }, "Responses by year"),
      years.length ? stacked(years, { title: "Recommendations per year by response status" }) : h("p", { class: "muted" }, "None."),
      downloads([["CSV by year", "/patterns/acceptance?by=year&format=csv"], ["CSV by force", "/patterns/acceptance?by=force&format=csv"]])),
    h("section", { "aria-labelledby": "deps-h" }, h("h2", { id: "deps-h" }, "Shared dependencies"),
      h("p", { class: "muted" }, "Bodies and programmes that responses defer to, with the forces one decision spans."),
      deps.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Deferred to"), h("th", {}, "Forces whose responses defer to it"),
        h("th", { class: "num" }, "Forces the decision spans"))),
        h("tbody", {}, deps.map(d => {
          const deferring = (d.deferring_forces || []).map(f => link("force", f, name("force", f)));
          return h("tr", {}, h("td", {}, link(d.label === "Programme" ? "programme" : "body", d.id, d.name || d.id)),
            h("td", {}, deferring.length > 8 ? folded(deferring, { n: 5, cls: "inline" }) : join(deferring)),
            h("td", { class: "num" }, (d.forces_spanned || []).length));
        })))) : h("p", { class: "muted" }, "None."),
      downloads([["CSV", "/patterns/dependencies?format=csv"], ["All as RDF (Turtle)", "/export?format=ttl"], ["N-Triples", "/export?format=nt"]])));
}
