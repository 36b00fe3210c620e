"""The exceptions of iopc-kg; every package raises these, and each boundary (CLI, API) translates them."""

from __future__ import annotations


class IopcKgError(Exception):
    """Base of every error iopc-kg raises on purpose."""

    code = "error"

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidModel(IopcKgError):
    """The ontology's data files are inconsistent."""

    code = "invalid_model"


class InvalidData(IopcKgError):
    """A record breaks the model; `errors` maps each property to what is wrong with it."""

    code = "invalid_data"


class InvalidSource(IopcKgError):
    """A source file cannot be read or holds no recommendation; the message names the file."""

    code = "invalid_source"


class NotFound(IopcKgError):
    """An id that the store or index does not hold."""

    code = "not_found"


class QueryRefused(IopcKgError):
    """A read-only query tried to write, or broke a limit."""

    code = "query_refused"


class BadRequest(IopcKgError):
    """A request a protocol calls malformed (SPARQL 1.1 Protocol: no query, two queries)."""

    code = "bad_request"


class NotAcceptable(IopcKgError):
    """No representation of the answer in any media type the request accepts."""

    code = "not_acceptable"


class UnsupportedMediaType(IopcKgError):
    """A request body in a media type the route does not read."""

    code = "unsupported_media_type"


class StoreUnavailable(IopcKgError):
    """The configured store cannot be opened or reached."""

    code = "store_unavailable"


class QueryTimeout(IopcKgError):
    """A query ran past its time limit and was stopped."""

    code = "query_timeout"

    @classmethod
    def after(cls, timeout_ms: int | None, what: str = "query") -> "QueryTimeout":
        return cls(f"the {what} ran past its limit of {timeout_ms} ms", errors={"timeout_ms": timeout_ms})
