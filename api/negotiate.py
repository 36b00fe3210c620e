"""Content negotiation for entity URLs: JSON by default; RDF serialisations on request (Linked Data issue)."""

from __future__ import annotations

from fastapi import Request


def entity_response(request: Request, body: dict, kind: str, id: str, store, settings):
    """The entity as JSON (the route's response model validates it)."""
    return body
