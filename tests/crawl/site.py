"""A fixture web site on 127.0.0.1 for the crawler tests: sitemaps, listings, robots.txt and pages
that misbehave on purpose. Every page is synthetic, written by the iopc-kg team in the layouts of
FORMATS.md (AI-A, PC-B, PC-C); none is a real IOPC page.

`site.routes` maps a path (with its query) to a `Route`; tests change routes between crawls.
`site.log` records every request: (monotonic time, path, headers).
"""

from __future__ import annotations

import gzip
import html
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ontology.sources import load_sources


def page_html(text: str, title: str = "Recommendation") -> bytes:
    """A page's text as the HTML of a site: header, nav and footer around a <main> of paragraphs."""
    paras = "\n".join("<p>" + "<br>".join(html.escape(line) for line in block.split("\n")) + "</p>"
                      for block in text.strip().split("\n\n"))
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<nav><a href='/about'>About</a></nav><main>{paras}</main>"
            f"<footer>Synthetic fixture page written by the iopc-kg team.</footer></body></html>").encode()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str | None = None
    # Answers for the first requests, before `status`/`body` apply: (status, headers, body, delay).
    script: list = field(default_factory=list)
    delay: float = 0.0
    content_type: str = "text/html; charset=utf-8"
    hits: int = 0


class FixtureSite:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[float, str, dict]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with site._lock:
                    site.log.append((time.monotonic(), self.path, dict(self.headers)))
                    route = site.routes.get(self.path)
                    if route is not None:
                        route.hits += 1
                        scripted = route.script.pop(0) if route.script else None
                if route is None:
                    return self._send(404, {}, b"not found", "text/plain")
                if scripted is not None:
                    status, headers, body, delay = scripted
                    if delay:
                        time.sleep(delay)
                    return self._send(status, headers, body, route.content_type)
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    return self._send(304, {"ETag": route.etag}, b"", None)
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                self._send(route.status, headers, route.body, route.content_type)

            def _send(self, status, headers, body, ctype):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that gave up (the slow page, the too-big page) is part of the test

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.log]

    def sources_file(self, tmp_path, delay: float = 0.01):
        """A sources file declaring only this site (tests never let the crawler see the real ones)."""
        path = tmp_path / "sources.yaml"
        path.write_text(f"""
fixture:
  label: Fixture site on 127.0.0.1
  start: ["{self.base}/sitemap.xml", "{self.base}/our-work/learning"]
  pages:
    - /our-work/learning/recommendation-[a-z0-9-]+
    - /node/[0-9]+
    - /sources/iopc/learning/[^/?#]+/
  listings:
    - /our-work/learning(\\?page=[0-9]+)?
  delay: {delay}
""")
        return load_sources(path)


# -- the pages ------------------------------------------------------------------------------------

ESSEX_AWAITING = """Source · IOPC Learning Case

Recommendations - Essex Police, March 2025

Essex Police Ref: 2024/300001 Recommended 3 Mar 2025 Response due 28 Apr 2025

Custody
A detainee was not checked at the intervals his care plan required…

View on IOPC website ↗

Recommendations

1 total
Recommendation 1

The IOPC recommends that Essex Police remind custody staff that rousing checks must be carried out at the intervals set in the detainee's care plan, and that each check is recorded on Athena at the time it is made.

Addressed to: Essex Police
Linked bodies: Essex Police
Awaiting response
"""

ESSEX_ACCEPTED = ESSEX_AWAITING.replace("Awaiting response\n", """Accepted
Force response

Accepted Essex Police has issued a custody bulletin on rousing checks and added a prompt to the Athena custody record so that a missed check is flagged to the custody sergeant.
""")

KENT = """Source · IOPC Learning Case

Recommendations - Kent Police, November 2024

Kent Police Ref: 2024/300002 Recommended 12 Nov 2024 Response due 7 Jan 2025

Roads policing
An officer's pursuit was not authorised by the control room before it began…

View on IOPC website ↗

Recommendations

1 total
Recommendation 1

The IOPC recommends that Kent Police remind response drivers that a pursuit must be authorised by the force control room before it is continued, and review whether its pursuit training covers this.

Addressed to: Kent Police
Linked bodies: Kent Police
Accepted
Force response

Accepted The force has reissued its pursuit policy to all response drivers and added the authorisation step to the refresher training.
"""

SUSSEX = """Source · IOPC Learning Case

Recommendations - Sussex Police, June 2024

Sussex Police Ref: 2024/300003 Recommended 10 Jun 2024 Response due 5 Aug 2024

Mental health
A call about a man in crisis was graded as a non-emergency…

View on IOPC website ↗

Recommendations

1 total
Recommendation 1

The IOPC recommends that Sussex Police review how call handlers grade calls about people in mental health crisis, and provide guidance on when such a call needs an emergency response.

Addressed to: Sussex Police
Linked bodies: Sussex Police
Accepted
Force response

Accepted Call handlers have received new guidance and the grading of mental health calls is audited monthly.
"""


def case_page(ref: str, force: str, text: str, status: str = "Accepted", response: str | None = None) -> str:
    """A one-recommendation AI-A page (synthetic)."""
    out = f"""Source · IOPC Learning Case

Recommendations - {force}, May 2024

{force} Ref: {ref} Recommended 2 May 2024 Response due 27 Jun 2024

Training
A summary of the case…

View on IOPC website ↗

Recommendations

1 total
Recommendation 1

{text}

Addressed to: {force}
Linked bodies: {force}
{status}
"""
    if response:
        out += f"Force response\n\n{response}\n"
    return out


def sitemap(entries: list[tuple[str, str | None]]) -> bytes:
    urls = "".join(f"<url><loc>{html.escape(u)}</loc>{f'<lastmod>{m}</lastmod>' if m else ''}</url>" for u, m in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def sitemap_index(locs: list[str]) -> bytes:
    items = "".join(f"<sitemap><loc>{html.escape(u)}</loc></sitemap>" for u in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'.encode()


def listing(links: list[str], next_page: str | None) -> bytes:
    items = "".join(f"<li><a href='{html.escape(u)}'>{html.escape(u)}</a></li>" for u in links)
    more = f"<a rel='next' href='{html.escape(next_page)}'>Next</a>" if next_page else ""
    return f"<!doctype html><html><body><main><ul>{items}</ul>{more}</main></body></html>".encode()


def build(site: FixtureSite) -> None:
    """The fixture site of the first crawl (see tests/crawl/test_crawl.py for what each route tests)."""
    b = site.base
    r = site.routes
    r["/robots.txt"] = Route(
        f"User-agent: *\nDisallow: /\n\nUser-agent: iopc-kg\nDisallow: /private/\n"
        f"Disallow: /our-work/learning/recommendation-withheld\n\nSitemap: {b}/sitemap.xml\n".encode(),
        content_type="text/plain")
    r["/sitemap.xml"] = Route(sitemap_index([f"{b}/sitemap-iopc.xml", f"{b}/sitemap-mirror.xml.gz"]), content_type="application/xml")
    r["/sitemap-iopc.xml"] = Route(sitemap([
        (f"{b}/our-work/learning/recommendation-essex-police-march-2025", "2025-03-10"),
        (f"{b}/our-work/learning/recommendation-kent-police-november-2024", "2024-11-20"),
        (f"{b}/our-work/learning/recommendation-withheld", "2024-01-01"),  # robots.txt disallows it
        (f"{b}/node/777", None),  # redirects to a page of the same source
        (f"{b}/node/778", None),  # redirects to another host: refused
        (f"{b}/node/779", None),  # redirects to a page fetched already (listed above): not fetched twice
        (f"{b}/about", None),  # matches no pattern: not fetched
        ("http://example.org/our-work/learning/recommendation-elsewhere", None),  # undeclared host
    ]), content_type="application/xml")
    r["/sitemap-mirror.xml.gz"] = Route(gzip.compress(sitemap([
        (f"{b}/sources/iopc/learning/sussex-police-2024-06/", "2024-06-15"),
        (f"{b}/sources/iopc/learning/slow-page/", None),
        (f"{b}/sources/iopc/learning/too-big/", None),
    ])), content_type="application/x-gzip")
    r["/our-work/learning"] = Route(listing([f"{b}/our-work/learning/recommendation-thames-valley-police-may-2024"],
                                            "/our-work/learning?page=2"))
    r["/our-work/learning?page=2"] = Route(listing(["/our-work/learning/recommendation-norfolk-constabulary-may-2024",
                                                     "/our-work/learning/recommendation-flaky-server",
                                                     "/private/drafts/recommendation-x"], None))
    r["/our-work/learning/recommendation-essex-police-march-2025"] = Route(page_html(ESSEX_AWAITING), etag='"essex-1"')
    r["/our-work/learning/recommendation-kent-police-november-2024"] = Route(page_html(KENT), etag='"kent-1"')
    r["/our-work/learning/recommendation-withheld"] = Route(page_html(KENT))
    r["/node/777"] = Route(status=301, headers={"Location": "/our-work/learning/recommendation-devon-and-cornwall-police-may-2024"})
    r["/our-work/learning/recommendation-devon-and-cornwall-police-may-2024"] = Route(page_html(case_page(
        "2024/300004", "Devon and Cornwall Police",
        "The IOPC recommends that Devon and Cornwall Police ensure that officers record the reasons for a stop and search on body-worn video.",
        response="Accepted The force has updated its stop and search guidance.")), etag='"devon-1"')
    r["/node/779"] = Route(status=301, headers={"Location": "/our-work/learning/recommendation-kent-police-november-2024"})
    r["/node/778"] = Route(status=302, headers={"Location": "http://example.org/elsewhere"})
    r["/sources/iopc/learning/sussex-police-2024-06/"] = Route(page_html(SUSSEX), headers={"Last-Modified": "Sat, 15 Jun 2024 10:00:00 GMT"})
    # Slow on the first request only (longer than the client's timeout); the retry gets it.
    r["/sources/iopc/learning/slow-page/"] = Route(page_html(case_page(
        "2024/300005", "Thames Valley Police",
        "The IOPC recommends that Thames Valley Police review how its control room records the handover of a missing person report between shifts.",
        response="Accepted A handover checklist is now used.")), script=[(200, {}, b"late", 2.0)])
    r["/sources/iopc/learning/too-big/"] = Route(b"<html><body>" + b"x" * 300_000 + b"</body></html>")
    r["/our-work/learning/recommendation-thames-valley-police-may-2024"] = Route(page_html(case_page(
        "2024/300006", "Thames Valley Police",
        "The IOPC recommends that Thames Valley Police remind detention officers to record every visit to a cell on the custody record.",
        status="Awaiting response")), script=[(429, {"Retry-After": "1"}, b"slow down", 0)])
    r["/our-work/learning/recommendation-norfolk-constabulary-may-2024"] = Route(page_html(case_page(
        "2024/300007", "Norfolk Constabulary",
        "The IOPC recommends that Norfolk Constabulary review its guidance on the use of spit and bite guards on children.",
        response="Accepted The guidance has been revised.")), script=[(500, {}, b"oops", 0), (503, {}, b"busy", 0)])
    r["/our-work/learning/recommendation-flaky-server"] = Route(b"down", status=500)
    r["/private/drafts/recommendation-x"] = Route(page_html(KENT))
