"""The web explorer at `/`: a static page and its assets under `/ui` (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
# The page loads only its own files; data comes from this service's API. Styles set from script
# (the graph library sizes its canvas) need 'unsafe-inline' for style attributes only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

# The API documentation pages: Swagger UI and ReDoc, vendored (api/web/vendor.py). Both style their
# components from script (inline styles); ReDoc runs its search in a worker it builds from a blob.
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")

router = APIRouter(include_in_schema=False)


@router.get("/")
def explorer() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/docs")
def swagger_ui() -> FileResponse:
    return FileResponse(STATIC / "apidocs" / "swagger.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})


@router.get("/redoc")
def redoc() -> FileResponse:
    return FileResponse(STATIC / "apidocs" / "redoc.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"})


def mount(app) -> None:
    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")
