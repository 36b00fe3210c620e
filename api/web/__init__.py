"""The web explorer: a page at `/` over the JSON API (plain HTML, CSS and JavaScript; no build step)."""
