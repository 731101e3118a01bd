"""Exceptions shared by the data layer's modules (kept here so that any module
can raise them without importing another module's whole API)."""


class AccessDenied(Exception):
    """The viewer may not see or change this."""
