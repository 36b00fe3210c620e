"""The explorer's files as the service serves them (no browser needed): the page, its CSP, its assets
with their types, and the vendored graph library matching its recorded hash."""

from __future__ import annotations

from api.web.vendor import check


def test_the_page_is_served_at_the_root_with_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "http" not in r.text.split("<body>")[0]  # nothing loaded from elsewhere (no CDN)


def test_assets_are_served_with_their_types(client):
    for path, kind in (("/ui/app.js", "javascript"), ("/ui/lib.js", "javascript"), ("/ui/charts.js", "javascript"),
                       ("/ui/views/graph.js", "javascript"), ("/ui/style.css", "text/css"),
                       ("/ui/vendor/cytoscape.min.js", "javascript"), ("/ui/vendor/cytoscape-fcose.js", "javascript")):
        r = client.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"], path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_no_file_outside_the_static_folder_is_served(client):
    for path in ("/ui/../vendor.py", "/ui/%2e%2e/vendor.py", "/ui/..%2fpackage.json", "/ui/../../settings.py"):
        assert client.get(path).status_code == 404, path


def test_the_vendored_library_matches_its_recorded_hash():
    assert check() == []


def test_the_page_is_not_in_the_api_schema(client):
    assert "/" not in client.get("/openapi.json").json()["paths"]


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    """Every colour the style sheet uses for text or behind white badge text: at least 4.5:1 (WCAG AA)."""
    import re

    from api.routes.web import STATIC

    css = (STATIC / "style.css").read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    on_white = ["ink", "muted", "link", "accepted", "partially_accepted", "not_accepted", "awaiting_response", "unknown"]
    low = {name: round(_contrast(colours[name], "#ffffff"), 2) for name in on_white if _contrast(colours[name], "#ffffff") < 4.5}
    assert not low, low
    assert _contrast(colours["muted"], colours["bg-soft"]) >= 4.5


def test_the_api_docs_load_only_vendored_files_under_a_policy(client):
    """/docs and /redoc: no CDN (they were blank offline and unpinned), scripts from this service
    only, and what they load is in the vendored manifest (hash-checked above)."""
    import json
    import re

    from api.web.vendor import MANIFEST

    vendored = set(json.loads(MANIFEST.read_text()))
    for path in ("/docs", "/redoc"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "default-src 'self'" in csp, csp
        assert "http:" not in r.text and "https:" not in r.text, path
        assert "<script>" not in r.text  # no inline script: the CSP allows none
        for asset in re.findall(r'(?:src|href)="(/ui/[^"]+)"', r.text):
            assert client.get(asset).status_code == 200, asset
            if asset.startswith("/ui/vendor/"):
                assert asset.removeprefix("/ui/vendor/") in vendored, asset


def test_every_module_the_page_imports_is_served(client):
    """app.js and the views import each other by relative path (ES modules, no build step): each
    import names a file that exists, so a renamed view cannot break the page silently."""
    import re

    from api.routes.web import STATIC

    modules = [p for p in STATIC.rglob("*.js") if "vendor" not in p.parts]
    assert {"app.js", "lib.js", "charts.js"} <= {p.name for p in modules} and (STATIC / "views").is_dir()
    for module in modules:
        for target in re.findall(r'^import .* from "(\.[^"]+)";', module.read_text(), re.M):
            path = (module.parent / target).resolve()
            assert path.is_file(), f"{module.name} imports {target}: no such file"
            assert client.get("/ui/" + path.relative_to(STATIC).as_posix()).status_code == 200
