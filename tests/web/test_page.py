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
    for path, kind in (("/ui/app.js", "javascript"), ("/ui/style.css", "text/css"), ("/ui/vendor/cytoscape.min.js", "javascript")):
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
