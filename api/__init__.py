"""The interfaces of iopc-kg: the command line and the HTTP service."""

__version__ = "0.2.0"
