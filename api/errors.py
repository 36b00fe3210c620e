"""One JSON error shape for every error: {status, code, message, details}. No stack trace reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ontology import exc

log = logging.getLogger("iopc_kg.api")


class ErrorBody(BaseModel):
    """What every error response holds."""

    status: int = Field(description="The HTTP status code, repeated.")
    code: str = Field(description="A stable machine-readable code, e.g. `not_found`, `invalid_parameter`.")
    message: str = Field(description="What went wrong, for a person.")
    details: dict = Field(default_factory=dict, description="Per-parameter or per-field detail.")


# Exception class -> HTTP status. The first match in the class's MRO wins.
HANDLERS: dict[type[exc.IopcKgError], int] = {
    exc.NotFound: 404,
    exc.InvalidData: 422,
    exc.InvalidSource: 422,
    exc.QueryRefused: 400,
    exc.BadRequest: 400,
    exc.NotAcceptable: 406,
    exc.UnsupportedMediaType: 415,
    exc.QueryTimeout: 504,
    exc.StoreUnavailable: 503,
    exc.InvalidModel: 500,
}


def error_response(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None) -> JSONResponse:
    body = ErrorBody(status=status, code=code, message=message, details=details or {})
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _status_for(error: exc.IopcKgError) -> int:
    for cls in type(error).__mro__:
        if cls in HANDLERS:
            return HANDLERS[cls]
    return 500


def install(app: FastAPI) -> None:
    @app.exception_handler(exc.IopcKgError)
    async def iopc_error(request: Request, error: exc.IopcKgError):
        return error_response(_status_for(error), error.code, error.message, {k: _plain(v) for k, v in error.errors.items()},
                              headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        details: dict[str, str] = {}
        for e in error.errors():
            # A parameter's name as the client wrote it: the position of a repeated value (`status.0`)
            # is pydantic's, and says less than the value itself.
            loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "header") and not isinstance(x, int)]
            name = ".".join(loc) or "request"
            value = e.get("input")
            said = f"{value!r}: {e.get('msg', 'invalid')}" if isinstance(value, (str, int, float)) else e.get("msg", "invalid")
            details[name] = f"{details[name]}; {said}" if name in details else said
        names = ", ".join(details)
        first = next(iter(details.values()), "")
        return error_response(422, "invalid_parameter", f"Invalid parameter {names}: {first}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 406: "not_acceptable", 413: "too_large"}
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 405:  # every method of every route on this path, not just the first route's
            from starlette.routing import Match

            methods = set()
            for route in app.router.routes:
                match, _ = route.matches({"type": "http", "path": request.url.path, "method": "GET"})
                if match != Match.NONE and getattr(route, "methods", None):
                    methods |= route.methods
            if "GET" in methods:  # HEAD is answered wherever GET is (app.HeadAsGet)
                methods.add("HEAD")
            headers["Allow"] = ", ".join(sorted(methods))
        return error_response(error.status_code, codes.get(error.status_code, "http_error"), str(error.detail),
                              headers=headers or None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "An unexpected error occurred; it has been logged.")


def _plain(value):
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "A query the service refuses (a write on a read-only route, a broken limit)."},
    404: {"model": ErrorBody, "description": "No such id."},
    422: {"model": ErrorBody, "description": "A parameter is invalid; `details` names it."},
    503: {"model": ErrorBody, "description": "The store or the index cannot be reached."},
    504: {"model": ErrorBody, "description": "The query ran past the time limit."},
}
