// The graph view, made for questions rather than hairballs. With no node it opens on an overview:
// forces linked to the programmes, themes and bodies their recommendations reach, a line's width the
// number of recommendations, the heaviest first, and a sentence saying how many of how many are
// drawn with a button for more (never a silent cut). With ?node=kind:id it shows that node's
// neighbours and grows as nodes are clicked. Names sit on nodes and relation names on edges; labels
// keep one size on screen at any zoom, and where two would overlap the lighter one is left to its
// tooltip, the list beside the graph and the details panel. Path ends are chosen by searching any
// node, not only those drawn. Downloads are of what is on screen.

import { NAMES, announce, caseName, name, api, fill, foldable, go, h, plural, qs, recNumber, recTitle, render, state } from "../lib.js";

const KIND_COLOUR = {
  Force: "#0b5cad", Case: "#57606a", Recommendation: "#9a6700", Response: "#1a7f37", Body: "#8250df",
  Programme: "#b42318", Theme: "#0a7f86", Source: "#6e7781",
};
const KIND_PAGE = { Force: "force", Programme: "programme", Body: "body", Theme: "theme", Recommendation: "recommendation", Case: "case" };
// The overview's relation kinds (GET /graph/overview?kinds=...), as a reader names them.
const RELATIONS = [["programme", "Programmes their recommendations mention"], ["theme", "Themes"],
  ["addressed_to", "Bodies recommendations are addressed to"], ["linked_body", "Bodies linked to recommendations"],
  ["uses", "Programmes forces use (gazetteer)"], ["member_of", "Bodies forces sit on (gazetteer)"]];
const DEFAULT_KINDS = ["programme", "theme", "addressed_to"];
const LABEL_PX = 12;  // labels' size on screen, whatever the zoom
const EDGE_LABEL_PX = 10;

let cy = null;

const narrow = () => !window.matchMedia("(min-width: 50em)").matches;
const clip = (t, n = 40) => (t.length > n ? t.slice(0, n - 1) + "…" : t);
const relationName = (type) => type.toLowerCase().replace(/_/g, " ");

// A Recommendation node carries its force's id; recTitle wants {id, name}.
const asRec = (n) => ({ ...n, force: n.force ? { id: n.force, name: name("force", n.force) } : null });

export function nodeLabel(n) {
  switch (n.label) {
    case "Recommendation": return clip(recTitle(asRec(n), { force: !n.reference }).replace("Recommendation", "Rec"));
    case "Case": return clip(caseName(n));
    case "Response": return `Response to rec ${recNumber({ id: String(n.id).replace(/-response$/, ""), case_id: n.case_id }) || ""}`.trim();
    case "Source": return "Source page";
    default: return clip(n.name || n.title || n.id);
  }
}

// -- choosing a node by searching any node ----------------------------------------------------------

const choices = new Map();  // option text -> node key, for every node a picker can name

function offer(text, key) {
  if (choices.has(text)) return;
  choices.set(text, key);
  document.getElementById("graph-node-options")?.append(h("option", { value: text }));
}

function offerKnown() {
  const kinds = { force: "Force", programme: "Programme", theme: "Theme", body: "Body" };
  for (const [kind, label] of Object.entries(kinds)) {
    for (const [id, nm] of Object.entries(NAMES[kind])) offer(`${nm} (${label.toLowerCase()})`, `${kind}:${id}`);
  }
}

function textFor(key) {
  for (const [t, k] of choices) if (k === key) return t;
  const node = cy && cy.getElementById(key);
  if (node && node.length) { const t = `${node.data("name")} (${node.data("kind").toLowerCase()})`; offer(t, key); return t; }
  return key;
}

/** The node key a picker's text names: a listed choice, kind:id, or the one choice containing it. */
function keyOf(text) {
  text = text.trim();
  if (!text) return null;
  if (choices.has(text)) return choices.get(text);
  if (/^(force|programme|theme|body|recommendation|case|response|source):\S+$/.test(text)) return text;
  const low = text.toLowerCase();
  const found = [...choices].filter(([t]) => t.toLowerCase().includes(low));
  return found.length ? found.sort((a, b) => a[0].length - b[0].length)[0][1] : null;
}

let lookup = 0;
function picker(id, label, value = "") {
  // A text box with suggestions: the named forces, programmes, themes and bodies, the nodes drawn,
  // and recommendations found by searching their text as one types.
  const input = h("input", { type: "text", id, list: "graph-node-options", value, autocomplete: "off", "aria-describedby": "graph-node-help" });
  input.addEventListener("input", () => {
    const text = input.value.trim(), mine = ++lookup;
    if (text.length < 3 || choices.has(text)) return;
    setTimeout(async () => {
      if (mine !== lookup) return;
      try {
        const r = await api(`/search?${qs({ q: text, page_size: 8, facets: false })}`);
        for (const hit of r.hits) offer(`${recTitle(hit)} (recommendation)`, `recommendation:${hit.id}`);
      } catch { /* suggestions are a help, not a need */ }
    }, 250);
  });
  return { input, field: h("div", { class: "field" }, h("label", { for: id }, label), input) };
}

// -- drawing ------------------------------------------------------------------------------------

function style() {
  return [
    { selector: "node", style: {
      "background-color": "data(colour)", label: "data(name)", width: "data(size)", height: "data(size)",
      "font-size": LABEL_PX, color: "#1b1f24", "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
      "text-max-width": 150, "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1,
      "min-zoomed-font-size": 0 } },
    { selector: "node.quiet", style: { label: "" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#b35900", label: "data(name)" } },
    { selector: "node.hover", style: { label: "data(name)", "z-index": 20, "text-background-opacity": 1 } },
    { selector: "node.root", style: { "border-width": 3, "border-color": "#1b1f24" } },
    { selector: "edge", style: {
      width: "data(w)", "line-color": "#aab4be", "curve-style": "bezier", "target-arrow-shape": "triangle",
      "target-arrow-color": "#aab4be", "arrow-scale": 0.6, label: "data(label)", "font-size": EDGE_LABEL_PX, color: "#4a5560",
      "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
    { selector: "edge.quiet", style: { label: "" } },
    { selector: "edge.path", style: { "line-color": "#b35900", "target-arrow-color": "#b35900", width: 4 } },
    { selector: "node.path", style: { "border-width": 3, "border-color": "#b35900" } },
  ];
}

function boxesOverlap(a, b) {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

/** Keep labels one size on screen, then hide those that would cover a weightier one. */
function declutter() {
  if (!cy) return;
  const z = cy.zoom();
  cy.batch(() => {
    cy.nodes().style({ "font-size": LABEL_PX / z, "text-max-width": 150 / z, "text-margin-y": 3 / z, "text-background-padding": 1 / z });
    cy.edges().style({ "font-size": EDGE_LABEL_PX / z, "text-background-padding": 1 / z });
    cy.elements().removeClass("quiet");
  });
  const rank = (e) => (e.selected() ? 3e9 : 0) + (e.hasClass("root") ? 2e9 : 0) + (e.hasClass("path") ? 1e9 : 0) + (e.data("weight") || 0);
  const nodes = cy.nodes(":visible").sort((a, b) => rank(b) - rank(a) || a.id().localeCompare(b.id()));
  const edges = cy.edges(":visible").sort((a, b) => rank(b) - rank(a) || a.id().localeCompare(b.id()));
  const kept = [];
  const quiet = [];
  const opts = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false };
  // Node circles are taken room too: a label drawn across a weightier node (or any node, for an
  // edge's label) would hide it.
  const bodies = nodes.map(n => [n.id(), n.boundingBox({ includeNodes: true, includeEdges: false, includeLabels: false, includeOverlays: false })]);
  let rankIndex = 0;
  for (const el of [...nodes, ...edges]) {
    const above = el.isNode() ? bodies.slice(0, rankIndex++) : bodies;
    const box = el.boundingBox(opts);
    if (!box.w || !box.h) continue;
    const own = el.isNode() ? [el.id()] : [el.data("source"), el.data("target")];
    if (kept.some(k => boxesOverlap(k, box)) || above.some(([id, b]) => !own.includes(id) && boxesOverlap(b, box))) quiet.push(el);
    else kept.push(box);
  }
  cy.batch(() => { for (const el of quiet) el.addClass("quiet"); });
}

function sized(elements) {
  // Node size and edge width by weight, square-root scaled so one heavy force does not dwarf the rest.
  const nodes = elements.filter(e => e.group === "nodes"), edges = elements.filter(e => e.group === "edges");
  const peakN = Math.max(1, ...nodes.map(n => n.data.weight || 1)), peakE = Math.max(1, ...edges.map(e => e.data.weight || 1));
  for (const n of nodes) n.data.size = 14 + 26 * Math.sqrt((n.data.weight || 1) / peakN);
  for (const e of edges) e.data.w = 1 + 5 * Math.sqrt((e.data.weight || 1) / peakE);
  return elements;
}

function nodeElement(n) {
  return { group: "nodes", data: { id: n.key, name: nodeLabel(n), kind: n.label, colour: KIND_COLOUR[n.label] || "#57606a", weight: n.weight || n.recommendations || 1, raw: n } };
}

function edgeElement(e) {
  const relation = e.relation || relationName(e.type);
  return { group: "edges", data: { id: `${e.source}|${e.type}|${e.target}`, source: e.source, target: e.target, type: e.type, relation,
    weight: e.weight || 1, label: e.weight ? `${relation} · ${e.weight}` : relation } };
}

function addGraph(answer) {
  const added = [];
  for (const n of answer.nodes) if (!cy.getElementById(n.key).length) added.push(nodeElement(n));
  for (const e of answer.edges) {
    const el = edgeElement(e);
    if (!cy.getElementById(el.data.id).length) added.push(el);
  }
  if (added.length) cy.add(sized(added));
  return added.length;
}

function layout(incremental = false) {
  const fcose = typeof window.cytoscapeFcose === "function";  // registered itself on load
  const opts = fcose ? {
    name: "fcose", animate: false, randomize: !incremental, quality: "default", nodeDimensionsIncludeLabels: true,
    idealEdgeLength: () => 90, nodeRepulsion: () => 9000, nodeSeparation: 80, packComponents: true, padding: 20,
  } : { name: "cose", animate: false, randomize: false, padding: 20 };
  try { cy.layout(opts).run(); } catch { cy.layout({ name: "cose", animate: false, padding: 20 }).run(); }
  stretch();
  // Labels keep their size on screen, so the drawing's extent depends on the zoom: fit, size the
  // labels for that zoom, and fit again so none sticks out of the frame.
  for (let i = 0; i < 3; i++) { cy.fit(undefined, 16); declutter(); }
}

/** Spread the drawing to the frame's shape (a phone's frame is tall, a layout comes out square or
 * wide), at most threefold, so the nodes use the room and the zoom stays near 1. */
function stretch() {
  const nodes = cy.nodes(":visible");
  if (nodes.length < 3) return;
  const bb = nodes.boundingBox({ includeLabels: false });
  const want = cy.width() / Math.max(1, cy.height()), have = bb.w / Math.max(1, bb.h);
  const sx = have < want ? Math.min(3, want / have) : 1, sy = have > want ? Math.min(3, have / want) : 1;
  const mx = (bb.x1 + bb.x2) / 2, my = (bb.y1 + bb.y2) / 2;
  nodes.positions(n => { const p = n.position(); return { x: mx + (p.x - mx) * sx, y: my + (p.y - my) * sy }; });
}

// -- files of what is on screen -------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" }[c]));

function graphml() {
  const nodes = cy.nodes(":visible"), edges = cy.edges(":visible");
  const keys = [["kind", "node", "string"], ["name", "node", "string"], ["weight", "node", "double"], ["x", "node", "double"], ["y", "node", "double"],
    ["relation", "edge", "string"], ["eweight", "edge", "double"]];
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ...keys.map(([id, what, type]) => `  <key id="${id}" for="${what}" attr.name="${id === "eweight" ? "weight" : id}" attr.type="${type}"/>`),
    '  <graph id="iopc-kg" edgedefault="directed">',
    ...nodes.map(n => `    <node id="${esc(n.id())}"><data key="kind">${esc(n.data("kind"))}</data><data key="name">${esc(n.data("raw").name || n.data("name"))}</data>` +
      `<data key="weight">${n.data("weight")}</data><data key="x">${n.position("x").toFixed(1)}</data><data key="y">${n.position("y").toFixed(1)}</data></node>`),
    ...edges.map(e => `    <edge source="${esc(e.data("source"))}" target="${esc(e.data("target"))}"><data key="relation">${esc(e.data("relation"))}</data><data key="eweight">${e.data("weight")}</data></edge>`),
    "  </graph>", "</graphml>", ""].join("\n");
}

function gexf() {
  const nodes = cy.nodes(":visible"), edges = cy.edges(":visible");
  const rgb = (hex) => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
  return ['<?xml version="1.0" encoding="UTF-8"?>',
    '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" version="1.3">',
    '  <graph defaultedgetype="directed">',
    '    <attributes class="node"><attribute id="kind" title="kind" type="string"/><attribute id="weight" title="weight" type="double"/></attributes>',
    '    <attributes class="edge"><attribute id="relation" title="relation" type="string"/></attributes>',
    "    <nodes>",
    ...nodes.map(n => { const [r, g, b] = rgb(n.data("colour")); return `      <node id="${esc(n.id())}" label="${esc(n.data("raw").name || n.data("name"))}">` +
      `<attvalues><attvalue for="kind" value="${esc(n.data("kind"))}"/><attvalue for="weight" value="${n.data("weight")}"/></attvalues>` +
      `<viz:color r="${r}" g="${g}" b="${b}"/><viz:position x="${n.position("x").toFixed(1)}" y="${(-n.position("y")).toFixed(1)}" z="0"/><viz:size value="${n.data("size").toFixed(1)}"/></node>`; }),
    "    </nodes>", "    <edges>",
    ...edges.map((e, i) => `      <edge id="${i}" source="${esc(e.data("source"))}" target="${esc(e.data("target"))}" weight="${e.data("weight")}" label="${esc(e.data("relation"))}">` +
      `<attvalues><attvalue for="relation" value="${esc(e.data("relation"))}"/></attvalues></edge>`),
    "    </edges>", "  </graph>", "</gexf>", ""].join("\n");
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function screenDownloads(base) {
  return h("p", { class: "downloads" }, h("span", { class: "muted" }, "This view as:"),
    h("button", { type: "button", id: "save-graphml", onclick: () => save(new Blob([graphml()], { type: "application/graphml+xml" }), `${base}.graphml`) }, "GraphML"),
    h("button", { type: "button", id: "save-gexf", onclick: () => save(new Blob([gexf()], { type: "application/gexf+xml" }), `${base}.gexf`) }, "GEXF"),
    h("button", { type: "button", id: "save-png", onclick: () => save(cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" }), `${base}.png`) }, "PNG"));
}

// -- the view -------------------------------------------------------------------------------------

export async function graphView(params) {
  const start = params.get("node");
  const kinds = params.getAll("kinds").filter(k => RELATIONS.some(([r]) => r === k));
  const chosenKinds = kinds.length ? kinds : DEFAULT_KINDS;
  const minWeight = Math.max(1, parseInt(params.get("min") || "1", 10) || 1);
  const firstN = start ? (narrow() ? 25 : 40) : (narrow() ? 30 : 70);
  const n = Math.min(state.limits.max_nodes, Math.max(1, parseInt(params.get("n") || String(firstN), 10) || firstN));
  const here = { ...(start ? { node: start } : { kinds: kinds.length ? kinds : null, min: minWeight > 1 ? minWeight : null }) };

  const startPick = picker("graph-node", "Start from any node (type part of a name)");
  const fromPick = picker("path-from", "From"), toPick = picker("path-to", "To");
  const options = h("datalist", { id: "graph-node-options" });
  const details = h("div", { id: "graph-details" }, h("p", { class: "muted" }, start ? "Choose a node (click it, or use the list) to see it and expand its neighbours." : "Choose a node (click it, or use the list) to see it."));
  const list = h("ul", { class: "node-list", id: "graph-nodes" });
  const pathOut = h("div", { id: "path-result", "aria-live": "polite" });
  const count = h("p", { id: "graph-count", "aria-live": "polite" }, "Loading…");
  const container = h("div", { id: "cy", role: "img", "aria-label": start ? "The chosen node and its neighbours; the list of nodes below holds the same" : "Forces and what their recommendations reach; the list of nodes below holds the same" });
  const startError = h("p", { id: "graph-node-error", class: "error", hidden: true, role: "alert" });

  const relationFilter = start ? h("fieldset", { class: "relations", id: "graph-relations" }, h("legend", {}, "Relations shown"))
    : h("form", { class: "relations", id: "graph-relations", onsubmit: (e) => {
      e.preventDefault();
      const picked = [...e.target.querySelectorAll("input[name=kinds]:checked")].map(x => x.value);
      const min = parseInt(e.target.querySelector("#graph-min").value, 10) || 1;
      go("graph", { kinds: picked.length ? picked : DEFAULT_KINDS, min: min > 1 ? min : null });
    } },
    h("fieldset", {}, h("legend", {}, "Relations drawn"),
      RELATIONS.map(([k, label]) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "kinds", value: k, checked: chosenKinds.includes(k) }), label))),
    h("p", { class: "field" }, h("label", { for: "graph-min" }, "Only connections of at least this many recommendations"),
      h("input", { type: "number", id: "graph-min", min: "1", value: String(minWeight), class: "narrow" })),
    h("button", { type: "submit", class: "primary" }, "Apply"));

  render("Graph", h("h1", {}, start ? "Graph around a node" : "Graph overview"),
    h("p", { class: "muted intro" }, start
      ? ["Everything one step from the chosen node; click a node to add its neighbours. ", h("a", { href: "#/graph" }, "Back to the overview")]
      : "Forces linked to the programmes, themes and bodies their recommendations reach. A line's width is the number of recommendations; the heaviest connections are drawn first."),
    h("form", { class: "search graph-start", onsubmit: (e) => {
      e.preventDefault();
      const key = keyOf(startPick.input.value);
      if (!key) { startError.textContent = `No node matches "${startPick.input.value}": type part of a name and pick from the suggestions, or kind:id.`; startError.hidden = false; return; }
      go("graph", { node: key });
    } }, h("div", { class: "q" }, startPick.field), h("button", { class: "primary", type: "submit" }, "Show")),
    h("p", { id: "graph-node-help", class: "muted small help" }, "A force, programme, theme or body by name, a recommendation by its words, or kind:id such as force:essex."),
    startError, options,
    h("div", { class: "graph-bar" }, count, h("p", { class: "graph-more", id: "graph-more" })),
    h("aside", { "aria-label": "Graph filters", class: "filters" }, foldable("Filters", relationFilter)),
    h("div", { class: "legend", id: "graph-legend" }),
    h("div", { class: "graph-layout" }, container,
      h("aside", { "aria-label": "Graph details" },
        h("h2", {}, "Selected"), details,
        h("h2", {}, "Path between two nodes"),
        h("form", { class: "path", onsubmit: (e) => {
          e.preventDefault();
          findPath(keyOf(fromPick.input.value), keyOf(toPick.input.value), pathOut);
        } }, fromPick.field, toPick.field, h("button", { type: "submit", id: "find-path" }, "Find path")), pathOut,
        h("h2", {}, "Downloads"),
        screenDownloads(start ? `graph-${start.replace(/[^\w-]+/g, "-")}` : "graph-overview"),
        h("p", { class: "downloads" }, h("span", { class: "muted" }, start ? "The node's whole neighbourhood:" : "Every connection of these kinds:"),
          h("a", { class: "button", download: "", href: start ? `/graph/neighbourhood?${qs({ node: start, format: "graphml" })}`
            : `/graph/overview?${qs({ kinds: chosenKinds, min_weight: minWeight, format: "graphml" })}` }, "GraphML")),
        h("h2", { id: "graph-nodes-h" }, "Nodes in view"), h("div", { class: "node-list-wrap" }, list))));

  offerKnown();
  if (typeof window.cytoscape !== "function") await new Promise(r => window.addEventListener("load", r, { once: true }));
  cy = window.cytoscape({ container, minZoom: 0.05, maxZoom: 4, style: style() });
  window.iopcGraph = cy;  // for the end-to-end tests and for the curious, in the console
  let settle = 0;
  cy.on("zoom", () => { clearTimeout(settle); settle = setTimeout(declutter, 120); });
  cy.on("dragfree", "node", declutter);
  // A name that gave way to a weightier one shows while the pointer is on its node.
  cy.on("mouseover", "node", (e) => e.target.addClass("hover"));
  cy.on("mouseout", "node", (e) => e.target.removeClass("hover"));

  const refresh = () => {
    const nodes = cy.nodes().map(x => x.data()).sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    fill(list, ...nodes.map(x => h("li", {}, h("span", { class: "kind-dot", style: `--c: ${x.colour}`, "aria-hidden": "true" }),
      h("button", { type: "button", onclick: () => select(x.id, Boolean(start)) }, `${x.kind}: ${x.name}`))));
    document.getElementById("graph-nodes-h").textContent = `Nodes in view (${nodes.length})`;
    for (const x of nodes) offer(`${x.raw.name || x.name} (${x.kind.toLowerCase()})`, x.id);
    const kindsShown = [...new Set(nodes.map(x => x.kind))];
    fill(document.getElementById("graph-legend"), Object.entries(KIND_COLOUR).filter(([k]) => kindsShown.includes(k)).map(([k, c]) => h("span", { style: `--c: ${c}` }, k)));
    if (start) relationChecks();
  };

  const relationChecks = () => {
    // In a neighbourhood the relation filter hides edges (and nodes they alone joined) in place.
    const types = [...new Set(cy.edges().map(e => e.data("type")))].sort();
    const was = new Map([...relationFilter.querySelectorAll("input")].map(x => [x.value, x.checked]));
    fill(relationFilter, h("legend", {}, "Relations shown"), types.map(t => {
      const box = h("input", { type: "checkbox", value: t, checked: was.has(t) ? was.get(t) : true, onchange: apply });
      return h("label", { class: "check" }, box, relationName(t));
    }));
  };
  const apply = () => {
    const on = new Set([...relationFilter.querySelectorAll("input:checked")].map(x => x.value));
    cy.batch(() => {
      cy.edges().forEach(e => e.style("display", on.has(e.data("type")) ? "element" : "none"));
      cy.nodes().forEach(x => x.style("display", x.hasClass("root") || x.connectedEdges().some(e => on.has(e.data("type"))) ? "element" : "none"));
    });
    declutter();
    say();
  };

  let answer = null;
  const say = () => {
    const shownN = cy.nodes(":visible").length, shownE = cy.edges(":visible").length;
    const more = document.getElementById("graph-more");
    fill(more);
    if (start) {
      fill(count, `Showing ${plural(shownN, "node")} and ${plural(shownE, "connection")} around ${cy.getElementById(start).data("name") || start}.`,
        answer && answer.truncated ? ` It has ${plural(answer.total_nodes - 1, "neighbour")} in all; these are the most recent.` : "");
      if (answer && answer.truncated && n < state.limits.max_nodes) more.append(h("a", { class: "button", href: `#/graph?${qs({ ...here, n: Math.min(state.limits.max_nodes, n * 2) })}` }, `Show up to ${Math.min(state.limits.max_nodes, n * 2)} nodes`));
    } else if (answer) {
      const all = !answer.truncated;
      fill(count, all ? `Showing all ${plural(answer.total_edges, "connection")} between ${plural(answer.total_nodes, "node")}`
        : `Showing the ${answer.edges.length.toLocaleString()} heaviest of ${plural(answer.total_edges, "connection")}, between ${answer.nodes.length.toLocaleString()} of ${plural(answer.total_nodes, "node")}`,
      minWeight > 1 ? ` (each of at least ${plural(minWeight, "recommendation")})` : "", ".");
      if (!all && n < state.limits.max_nodes) {
        const next = Math.min(state.limits.max_nodes, n * 2, answer.total_edges);
        more.append(h("a", { class: "button", href: `#/graph?${qs({ ...here, n: next })}` }, next === answer.total_edges ? `Show all ${answer.total_edges}` : `Show ${next}`));
      }
      if (n > firstN) more.append(" ", h("a", { class: "button", href: `#/graph?${qs(here)}` }, "Show fewer"));
    }
    announce(count.textContent);
  };

  const expand = async (key) => {
    try {
      const added = addGraph(await api(`/graph/neighbourhood?${qs({ node: key, depth: 1, max_nodes: 60 })}`));
      if (added) { layout(true); refresh(); say(); }
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
    const weight = d.kind === "Force" && raw.recommendations !== undefined ? plural(raw.recommendations, "recommendation")
      : raw.weight ? `reached by ${plural(raw.weight, "recommendation")} of the forces drawn` : null;
    fill(details, h("p", {}, h("strong", {}, `${d.kind}: `), raw.name || d.name),
      weight ? h("p", { class: "muted" }, weight) : null,
      raw.text ? h("p", { class: "muted" }, raw.text.length > 240 ? raw.text.slice(0, 239) + "…" : raw.text) : null,
      page ? h("p", {}, h("a", { href: `#/${page}/${encodeURIComponent(raw.id)}` }, `Open the ${d.kind.toLowerCase()} page`)) : null,
      h("p", { class: "actions" },
        start ? h("button", { type: "button", onclick: () => expand(key) }, "Expand neighbours") : h("a", { class: "button", href: `#/graph?${qs({ node: key })}` }, "Show its neighbours"), " ",
        h("button", { type: "button", onclick: () => { fromPick.input.value = textFor(key); } }, "Path from here"), " ",
        h("button", { type: "button", onclick: () => { toPick.input.value = textFor(key); } }, "Path to here")));
    declutter();
    if (doExpand) await expand(key);
  };
  cy.on("tap", "node", (e) => select(e.target.id(), Boolean(start)));

  async function findPath(a, b, out) {
    if (!a || !b) { fill(out, h("p", { class: "error", role: "alert" }, "Choose both ends: type part of a name and pick from the suggestions.")); return; }
    if (a === b) { fill(out, h("p", { class: "error", role: "alert" }, "Choose two different nodes.")); return; }
    try {
      const paths = await api(`/graph/path?${qs({ from: a, to: b, limit: 1 })}`);
      cy.elements().removeClass("path");
      if (!paths.length) { fill(out, h("p", {}, "No path within 6 steps.")); return; }
      const p = paths[0];
      const added = addGraph(p);
      for (const x of p.nodes) cy.getElementById(x.key).addClass("path").style("display", "element");
      for (const e of p.edges) cy.getElementById(`${e.source}|${e.type}|${e.target}`).addClass("path").style("display", "element");
      if (added) layout(true); else declutter();
      refresh(); say();
      fill(out, h("ol", { class: "path-steps" }, p.nodes.map(x => h("li", {}, x.label === "Recommendation" ? recTitle(asRec(x)) : `${x.label}: ${x.name || nodeLabel(x)}`))));
      announce(`Path of ${plural(p.edges.length, "step")} found`);
    } catch (e) {
      if (e.name !== "AbortError") fill(out, h("p", { class: "error", role: "alert" }, e.message));
    }
  }

  try {
    answer = start ? await api(`/graph/neighbourhood?${qs({ node: start, depth: 1, max_nodes: n })}`)
      : await api(`/graph/overview?${qs({ kinds: chosenKinds, min_weight: minWeight, max_edges: n })}`);
  } catch (e) {
    if (e.name !== "AbortError") fill(count, h("span", { class: "error", role: "alert" }, e.message));
    return;
  }
  addGraph(answer);
  if (start) {
    cy.getElementById(start).addClass("root");
    fromPick.input.value = textFor(start);
  }
  layout();
  refresh();
  say();
}

