// iopc-kg explorer: one page over the JSON API, as ES modules the browser loads itself (no build
// step). This file is the router; each view is a module under views/, the charts are charts.js and
// what views share is lib.js. Views are chosen by the URL's hash (#/force/essex), so every view has
// an address a researcher can bookmark or cite.

import { h, loadNames, api, newView, render, state } from "./lib.js";
import { graphView } from "./views/graph.js";
import { forceView } from "./views/force.js";
import { listView } from "./views/lists.js";
import { patternsView } from "./views/patterns.js";
import { bodyView, reachView } from "./views/reach.js";
import { caseView, recommendationView } from "./views/recommendation.js";
import { searchView } from "./views/search.js";

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
  newView();
  for (const [re, view, nav] of ROUTES) {
    const m = path.match(re);
    if (!m) continue;
    for (const a of document.querySelectorAll("[data-nav]")) {
      if (a.dataset.nav === nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
    const main = document.getElementById("main");
    delete main.dataset.view;
    try {
      await view(m.map(x => x && decodeURIComponent(x)), params);
      // Which address the page now shows, once its view has drawn (tests and scripts wait on it).
      if (mine === routeCount) main.dataset.view = location.hash || "#/";
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
document.querySelector("a.skip").addEventListener("click", (e) => { e.preventDefault(); document.getElementById("main").focus(); });
api("/stats").then(s => { state.limits = { ...state.limits, ...s.limits }; }).catch(() => {}).then(loadNames).finally(route);
