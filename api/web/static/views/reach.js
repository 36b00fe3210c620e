// A programme or a theme (how far it reaches across forces), and a body.

import { hbars } from "../charts.js";
import { STATUS_LABEL, api, badge, downloads, facts, folded, h, join, link, name, plural, qs, render } from "../lib.js";
import { explore, recent, recommendationsCsv } from "./profile.js";

const byStatus = (counts) => Object.entries(counts || {}).map(([s, n]) => [badge(s, `${STATUS_LABEL[s] || s}: ${n}`), " "]);

export function reachView(kind, label) {
  return async (id) => {
    const p = await api(`/${kind}s/${encodeURIComponent(id)}`);
    const forces = (p.forces || []).map(f => ({ label: f.name || f.id, value: f.recommendations, href: `#/force/${f.id}` }));
    const names = Object.fromEntries((p.forces || []).map(f => [f.id, f.name]));
    const users = (p.users || []).map(f => link("force", f, names[f] || name("force", f)));
    render(p.name || id,
      h("p", { class: "muted" }, label), h("h1", {}, p.name || id),
      facts([["Kind", p.kind], ["Also called", (p.aliases || []).join(", ")], ["Recommendations", p.recommendations],
        ["Years", p.first_year ? `${p.first_year}–${p.last_year}` : null],
        ["Responses", byStatus(p.by_status)],
        ["Forces that use it", users.length > 12 ? folded(users, { n: 8, cls: "inline" }) : join(users)]]),
      explore(kind, id),
      downloads([["RDF (Turtle)", kind === "programme" ? `/export?${qs({ programme: id, format: "ttl" })}` : `/${kind}s/${encodeURIComponent(id)}?format=ttl`],
        recommendationsCsv(kind, id),
        ["Graph (GraphML)", `/graph/neighbourhood?${qs({ node: `${kind}:${id}`, format: "graphml" })}`],
        ["Changes (Atom feed)", `/changes.atom?${qs({ [kind]: id })}`]]),
      h("h2", {}, "Reach across forces"),
      forces.length ? [hbars(forces, { title: `Recommendations reaching ${p.name} per force`, max: 15 }),
        forces.length > 15 ? h("p", { class: "muted" }, `The 15 forces with most of ${forces.length}; the CSV has them all.`) : null]
        : h("p", { class: "muted" }, "No recommendation reaches it yet."),
      recent(kind, id, "Newest recommendations"));
  };
}

export async function bodyView(id) {
  const b = await api(`/bodies/${encodeURIComponent(id)}`);
  const forces = (b.forces || []).map(f => ({ label: f.name || f.id, value: f.recommendations, href: `#/force/${f.id}` }));
  const members = (b.members || []).map(m => link("force", m.id || m, m.name || name("force", m.id || m)));
  render(b.name || id,
    h("p", { class: "muted" }, "Body"), h("h1", {}, b.name || id),
    facts([["Kind", (b.kind || "").replace(/_/g, " ")], ["Also called", (b.aliases || []).join(", ")],
      ["Responses", byStatus(b.by_status)],
      ["Members", members.length > 12 ? folded(members, { n: 8, cls: "inline" }) : join(members)]]),
    explore("body", id),
    downloads([["RDF (Turtle)", `/bodies/${encodeURIComponent(id)}?format=ttl`], recommendationsCsv("body", id),
      ["Changes (Atom feed)", `/changes.atom?${qs({ body: id })}`]]),
    h("h2", {}, "Across forces"), forces.length ? hbars(forces, { title: `Recommendations involving ${b.name} per force` }) : h("p", { class: "muted" }, "None."),
    facts([["Addressed to it", plural((b.addressed_to || []).length, "recommendation")], ["Linked to it", plural((b.linked_to || []).length, "recommendation")]]),
    recent("body", id, "Newest recommendations"));
}
