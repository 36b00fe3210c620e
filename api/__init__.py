"""The interfaces of iopc-kg: the command line and the HTTP service."""
