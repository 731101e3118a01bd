"""What this app accepts as an email address (pure; used by the settings and the outbox).

One bare address (`name@example.org`), in ASCII: no display name, no angle
brackets, no second address after a comma or semicolon, no comment, no quoted
local part, no white space, no control character (so no CR or LF, which would
start a new header). The local part is a dot-atom of at most 64 characters, the
domain at least two dot-separated labels of letters, digits and hyphens, the
whole at most 254 characters (RFC 5321's limit on a path). Stricter than
RFC 5322 on purpose: an address that a mail server would need quoting or
SMTPUTF8 for is refused with a message rather than sent in a form that some
server or mail client might read as two addresses or a header.
"""

from __future__ import annotations

import re

MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_LENGTH = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class AddressError(ValueError):
    """An address this app will not write to; the message is for people."""


def check_address(value: object) -> str:
    """The address, with surrounding spaces removed; `AddressError` saying why if it is not one bare address."""
    if not isinstance(value, str):
        raise AddressError("An email address must be text.")
    if "\r" in value or "\n" in value:
        raise AddressError("An email address may not contain a line break.")
    address = value.strip(" \t")
    if not address:
        raise AddressError("The email address is empty.")
    if len(address) > MAX_ADDRESS_LENGTH:
        raise AddressError(f"The email address is longer than {MAX_ADDRESS_LENGTH} characters.")
    if not address.isascii():
        raise AddressError("The email address has characters outside plain ASCII; use its ASCII form.")
    if any(ch in address for ch in '<>,;"()[]\\ \t') or any(ord(ch) < 32 or ord(ch) == 127 for ch in address):
        raise AddressError(
            "Give one bare email address (name@example.org): no name, angle brackets, spaces, quotes, "
            "or second address."
        )
    _check_parts(address)
    return address


def _check_parts(address: str) -> None:
    """The local part and the domain of an address with no forbidden character."""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise AddressError("An email address needs a name, an @ and a domain (name@example.org).")
    if "@" in local:
        raise AddressError("An email address has one @.")
    if len(local) > MAX_LOCAL_LENGTH:
        raise AddressError(f"The part before the @ is longer than {MAX_LOCAL_LENGTH} characters.")
    if not _LOCAL.fullmatch(local):
        raise AddressError("The part before the @ has a character or a dot where an address may not.")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressError("The domain after the @ is not a domain name (example.org).")


def mask_address(address: str) -> str:
    """An address shortened for logs: its first character and its domain (`j…@example.org`)."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else "…"
