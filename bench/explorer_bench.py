"""Web explorer at 10k cases: how long each main view takes to be ready in a real browser.

Usage: python -m bench.explorer_bench [--size 10000] [--repeat 7] [--data DIR]

Builds a generated corpus (or uses --data), starts `iopc-kg serve`, and drives Debian's Chromium
through Playwright: for each view, from setting the address to the view's content being on screen
(search results with facets, a force profile with its charts, a programme's reach, the graph view
laid out, the patterns page). The first visit of each view is reported apart (cold caches on the
server), then the median and the slowest of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.api_bench import build, serve
from bench.graph_bench import machine
from tests.web.browser import FLAGS, find

VIEWS = [
    ("search `automated reminders` + force facet", "/#/search?q=automated+reminders&force=essex", "#result-count"),
    ("search `\"body worn video\"`, page 3, newest", "/#/search?q=%22body+worn+video%22&page=3&sort=newest", "#result-count"),
    ("recommendation (with similar)", None, "#similar ol li, #similar p.muted"),
    ("force profile (Essex)", "/#/force/essex", "main figure.chart"),
    ("programme reach (Athena)", "/#/programme/athena", "#recent-h:not(:has(+ .loading))"),
    ("graph overview", "/#/graph", "#graph-nodes li"),
    ("graph view (force:essex)", "/#/graph?node=force:essex", "#graph-nodes li"),
    ("patterns", "/#/patterns", "#deps-h"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--data", type=Path)
    args = ap.parse_args()
    chromium = find()
    if not chromium:
        raise SystemExit("Chromium is needed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if not args.data:
            build(args.size, data)
        server = serve(data, 18200, 1)
        base = "http://127.0.0.1:18200"
        print(f"{machine()}; {args.size:,} generated cases; Chromium headless via Playwright, "
              f"1 server worker")
        print("| view | first visit ms | then median ms | then slowest ms |\n|---|---|---|---|")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
                page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 900})
                page.set_default_timeout(60_000)
                page.goto("/#/search?q=training")
                page.wait_for_selector("ol.hits .hit-title")
                rec = page.locator("ol.hits .hit-title").first.get_attribute("href")
                for label, url, ready in VIEWS:
                    times = []
                    for _ in range(args.repeat):
                        page.goto("/#/")  # leave the view, so the next visit renders it afresh
                        page.wait_for_selector("#q")
                        t = time.perf_counter()
                        page.goto(url or f"/{rec}")
                        page.wait_for_selector(ready, state="attached")
                        times.append((time.perf_counter() - t) * 1000)
                    rest = times[1:]
                    print(f"| {label} | {times[0]:.0f} | {statistics.median(rest):.0f} | {max(rest):.0f} |", flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
