// Bar charts drawn with HTML and CSS grid rather than SVG: the labels are page text, so they wrap to
// fit at any width, keep the page's font size on a phone (an SVG viewBox shrank them to 6 px) and are
// never cut off ("46 force"). The bars fill whatever width the card has. Each chart is a list of
// rows a screen reader reads in order (name, then count); the bars themselves are decoration.

import { h, STATUSES, STATUS_LABEL, plural } from "./lib.js";

export function hbars(rows, { title, unit = "", max = 15, colour = "var(--link)" }) {
  rows = rows.slice(0, max);
  const peak = Math.max(1, ...rows.map(r => r.value));
  const value = (n) => unit ? plural(n, unit) : Number(n).toLocaleString();
  return h("figure", { class: "chart" }, h("figcaption", { class: "visually-hidden" }, title),
    h("ol", { class: "bars" }, rows.map(r => h("li", {},
      h("span", { class: "bar-name" }, r.href ? h("a", { href: r.href }, r.label) : r.label),
      h("span", { class: "bar-track", "aria-hidden": "true" },
        h("span", { class: "bar", style: `--w: ${(100 * r.value / peak).toFixed(2)}%; --c: ${r.colour || colour}` })),
      h("span", { class: "bar-value" }, value(r.value))))));
}

export function stacked(rows, { title }) {
  // rows: [{label, parts: {status: count}}], each bar split by response status.
  const total = (r) => Object.values(r.parts).reduce((a, b) => a + b, 0);
  const peak = Math.max(1, ...rows.map(total));
  const used = STATUSES.filter(s => rows.some(r => r.parts[s]));
  const legend = h("div", { class: "legend", "aria-hidden": "true" }, used.map(s => h("span", { style: `--c: var(--${s})` }, STATUS_LABEL[s])));
  const bars = h("ol", { class: "bars stacked" }, rows.map(r => h("li", {},
    h("span", { class: "bar-name" }, r.label),
    h("span", { class: "bar-track", "aria-hidden": "true" },
      h("span", { class: "bar-stack", style: `--w: ${(100 * total(r) / peak).toFixed(2)}%` },
        used.filter(s => r.parts[s]).map(s => h("span", { class: "seg", title: `${STATUS_LABEL[s]}: ${r.parts[s]}`,
          style: `--w: ${(100 * r.parts[s] / total(r)).toFixed(2)}%; --c: var(--${s})` })))),
    h("span", { class: "bar-value" }, total(r).toLocaleString(),
      h("span", { class: "visually-hidden" }, `: ${used.filter(s => r.parts[s]).map(s => `${STATUS_LABEL[s]} ${r.parts[s]}`).join(", ")}`)))));
  const table = h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, h("span", { class: "visually-hidden" }, "Row")), used.map(s => h("th", { class: "num" }, STATUS_LABEL[s])))),
    h("tbody", {}, rows.map(r => h("tr", {}, h("th", { scope: "row" }, r.label), used.map(s => h("td", { class: "num" }, r.parts[s] || 0)))))));
  return h("figure", { class: "chart" }, h("figcaption", { class: "visually-hidden" }, title), legend, bars,
    h("details", {}, h("summary", {}, "Table"), table));
}
