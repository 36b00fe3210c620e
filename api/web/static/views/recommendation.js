// A recommendation (with its response and the similar recommendations made to other forces) and a case.

import { api, badge, caseName, downloads, facts, fill, h, join, link, name, qs, recTitle, render } from "../lib.js";

// Scores below this are word overlap more than likeness: on the samples, unrelated texts scored
// 0.05-0.11 while Essex's and Kent's recommendations to review Athena scored 0.16. The reader can
// move it; the page says how many it hid.
const MIN_SIMILARITY = 0.15;

// The recommendation's history as crawls saw it (issue 16): one item per observed state, oldest first.
function timeline(history) {
  if (!history || !history.length) return null;
  const day = (t) => (t || "").slice(0, 10);
  return [h("h2", { id: "history-h" }, "History"), h("ol", { class: "timeline", "aria-labelledby": "history-h" }, history.map(o =>
    h("li", {}, h("time", { datetime: o.first_seen }, day(o.first_seen)), " ", badge(o.status),
      h("span", { class: "muted" }, ` ${o.change === "new" ? "first seen" : `${o.change} changed`}; last seen ${day(o.last_seen)}`),
      o.response ? h("div", { class: "muted" }, o.response.length > 220 ? o.response.slice(0, 219) + "…" : o.response) : null)))];
}

export async function recommendationView(id) {
  const r = await api(`/recommendations/${encodeURIComponent(id)}`);
  const bodies = (list) => join((list || []).map(b => b.kind === "Force" || b.label === "Force" ? link("force", b.id, b.name) : link("body", b.id, b.name || b.id)));
  const due = r.response_due ? [r.response_due, r.response_due_derived ? " (56 days after it was made)" : "",
    r.overdue ? [" ", h("span", { class: "badge overdue" }, `overdue by ${r.days_overdue} days`)] : ""] : null;
  const enc = encodeURIComponent(id);
  const view = [
    h("p", { class: "muted" }, link("case", r.case_id, caseName(r))),
    h("h1", {}, recTitle({ ...r, id }, { force: false })),
    r.title ? h("p", {}, r.title) : null,
    h("p", {}, badge(r.status, r.status_label)),
    r.case_incomplete ? h("p", { class: "notice", id: "rec-incomplete" }, "The pages seen so far carry only part of this case.") : null,
    (r.warnings || []).length ? h("ul", { class: "notice", id: "rec-warnings", "aria-label": "What the parser noticed" },
      r.warnings.map(w => h("li", {}, w))) : null,
    facts([
      ["Force", r.force ? link("force", r.force.id, r.force.name) : null],
      ["Made", r.date_recommended || "not given"],
      ["Response due", due],
      ["Addressed to", bodies(r.addressed_to)],
      ["Linked bodies", bodies(r.linked_bodies)],
      ["Programmes", join((r.programmes || []).map(p => link("programme", p.id, p.name)))],
      ["Themes", join((r.themes || []).map(t => link("theme", t.id || t, t.name || name("theme", t))))],
      ["Defers to", join((r.defers_to || []).map(d => d.id ? link(d.kind === "Programme" ? "programme" : "body", d.id, d.name || d.id) : String(d.name || d)))],
      ["Sources", join((r.sources || []).filter(s => s.url).map(s => h("a", { href: s.url, rel: "noopener", class: "url" }, s.url)))],
    ]),
    h("h2", {}, "Recommendation"), h("blockquote", { id: "rec-text" }, r.text),
    h("h2", {}, "Response"), r.response ? h("blockquote", { id: "rec-response" }, r.response) : h("p", { class: "muted" }, "No response published."),
    timeline(r.history),
    h("p", {}, h("a", { class: "button", href: `#/graph?${qs({ node: `recommendation:${id}` })}` }, "Show in the graph")),
    downloads([["Turtle", `/recommendations/${enc}?format=ttl`], ["JSON-LD", `/recommendations/${enc}?format=jsonld`],
      ["JSON", `/recommendations/${enc}`], ["Similar as CSV", `/recommendations/${enc}/similar?format=csv`]]),
    h("h2", { id: "similar-h" }, "Similar recommendations made to other forces"),
    h("div", { id: "similar" }, h("p", { class: "loading" }, "Looking…")),
  ];
  render(recTitle({ ...r, id }), view);
  try {
    const s = await api(`/recommendations/${enc}/similar?limit=10`);
    fill(document.getElementById("similar"), similarList(s.similar));
  } catch (e) {
    if (e.name !== "AbortError") fill(document.getElementById("similar"), h("p", { class: "error" }, e.message));
  }
}

function similarList(all) {
  // A threshold the reader can move: weak matches are hidden, and the page says how many.
  const box = h("div", {});
  const input = h("input", { type: "number", id: "similar-min", min: "0", max: "1", step: "0.05", value: String(MIN_SIMILARITY), class: "narrow" });
  const draw = () => {
    const min = Math.max(0, Math.min(1, parseFloat(input.value) || 0));
    const shown = all.filter(x => x.score >= min);
    const hidden = all.length - shown.length;
    fill(box, shown.length ? h("ol", {}, shown.map(x => h("li", {},
      link("recommendation", x.id, recTitle(x, { force: false })), x.force ? [" · ", link("force", x.force.id || x.force, x.force.name || x.force)] : "",
      h("span", { class: "muted" }, ` · similarity ${Number(x.score).toFixed(2)}`),
      x.text ? h("div", { class: "muted" }, x.text.length > 220 ? x.text.slice(0, 219) + "…" : x.text) : null)))
      : h("p", { class: "muted" }, all.length ? "None as similar as that." : "None found among other forces."),
    hidden ? h("p", { class: "muted", id: "similar-hidden" }, `${hidden} less similar (below ${min.toFixed(2)}) hidden.`) : null);
  };
  input.addEventListener("change", draw);
  draw();
  return [h("p", { class: "inline-control" }, h("label", { for: "similar-min" }, "Show similarity of at least "), input), box];
}

export async function caseView(id) {
  const c = await api(`/cases/${encodeURIComponent(id)}`);
  render(caseName(c),
    h("h1", {}, caseName(c)), c.title && c.reference ? h("p", {}, c.title) : null,
    c.incomplete ? h("p", { class: "notice", id: "case-incomplete" },
      "Incomplete: the pages seen so far carry this case (its header) but none of its recommendations. "
      + "It is completed when a rendering with them is ingested.") : null,
    c.no_recommendations ? h("p", { class: "notice", id: "case-no-recommendations" },
      `No recommendations: the page says so ("${c.no_recommendations}"). The case is complete with none.`) : null,
    facts([["Force", c.force ? link("force", c.force.id, c.force.name) : null], ["Made", c.date_recommended], ["Response due", c.response_due],
      ["Published", c.published], ["Other references", (c.aliases || []).join(", ")]]),
    c.summary ? h("p", {}, c.summary) : null,
    h("h2", {}, "Recommendations"),
    c.recommendations.length
      ? h("ol", {}, c.recommendations.map(r => h("li", {}, link("recommendation", r.id, `${recTitle({ ...r, case_id: c.id }, { force: false }).split(" · ")[0]}: ${r.text.length > 200 ? r.text.slice(0, 199) + "…" : r.text}`), " ", badge(r.status, r.status_label))))
      : h("p", { class: "muted" }, c.no_recommendations ? "None: the investigation made none." : "None on the pages seen so far."),
    (c.warnings || []).length ? [h("h2", {}, "What the parser noticed"), h("ul", { id: "case-warnings" }, c.warnings.map(w => h("li", {}, w)))] : null,
    downloads([["Turtle", `/cases/${encodeURIComponent(id)}?format=ttl`], ["JSON-LD", `/cases/${encodeURIComponent(id)}?format=jsonld`]]));
}
