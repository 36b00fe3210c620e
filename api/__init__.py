"""The interfaces of iopc-kg: the HTTP service (app, routes, content negotiation, lanes) and the command
line with its client for a running server. The top layer: may import every other package; none
imports it."""

__version__ = "0.2.0"
