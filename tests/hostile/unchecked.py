"""A test-only build of the gate with the text pre-check disabled (written for iopc-kg): the hostile
corpus must be refused or stopped by the engine's classification, the read-only handle and the jail
alone. Production code has no switch for this."""

from __future__ import annotations

from graph.sandbox import Sandbox
from graph.sandbox.text import Token


class UncheckedSandbox(Sandbox):
    def precheck_cypher(self, query: str) -> None:
        pass

    def precheck_sparql(self, text: str, allow_service: bool) -> list[Token]:
        return []
