"""Checks of single setting values: whether a cookie key is strong enough to
sign sign-ins with, and whether an address can be the app's public URL.

Pure functions of a value (no environment, no files); `config.settings`
applies them while loading and re-exports them.
"""

from __future__ import annotations

import math
from collections import Counter
from urllib.parse import urlsplit

MIN_COOKIE_KEY_LENGTH = 32
# A key's entropy, estimated as its length times the Shannon entropy of its own
# characters (bits per character): `secrets.token_hex(16)`, the weakest random
# key of 32 characters in common use, estimates at 91 bits or more in 200,000
# draws (median 116); `"ab" * 32` at 64, `"a" * 64` at 0.
MIN_COOKIE_KEY_BITS = 80
# Distinct characters: 32 hex digits from token_hex(16) have 9 or more.
MIN_COOKIE_KEY_DISTINCT = 8
# Keys that appear in documentation, examples or library defaults.
KNOWN_DEFAULT_KEYS = {
    "some_key",
    "some_signature_key",
    "abcdef",
    "random_signature_key",
    "changeme",
    "change-me",
    "secret",
    "cookie_key",
    "replace-me",
    "replace-with-a-long-random-key",
}
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def estimated_key_bits(key: str) -> float:
    """The key's length times the Shannon entropy of its characters."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


def _repeats_a_block(key: str) -> bool:
    """True when the key is a shorter block written out again and again ("abcabcabc...")."""
    return any(len(key) % size == 0 and key == key[:size] * (len(key) // size) for size in range(1, len(key) // 2 + 1))


def cookie_key_problem(key: str) -> str | None:
    """Why a cookie key is too weak to sign sign-ins with, or None."""
    make_one = f" Make a random one: {MAKE_A_KEY}."
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        return f"the cookie key has {len(key)} characters; it needs at least {MIN_COOKIE_KEY_LENGTH}." + make_one
    distinct = len(set(key))
    if distinct < MIN_COOKIE_KEY_DISTINCT:
        return (
            f"the cookie key uses only {distinct} different character{'s' if distinct != 1 else ''}; "
            f"a random key uses at least "
            f"{MIN_COOKIE_KEY_DISTINCT}." + make_one
        )
    if _repeats_a_block(key):
        return "the cookie key is one short sequence of characters repeated, which is easy to guess." + make_one
    bits = estimated_key_bits(key)
    if bits < MIN_COOKIE_KEY_BITS:
        return (
            f"the cookie key's entropy is about {bits:.0f} bits (its length times the entropy of its characters); "
            f"it needs at least {MIN_COOKIE_KEY_BITS}." + make_one
        )
    return None


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the app's public address (the base of links in messages), or None.

    It must be an http or https address with a host, and no user name,
    password, query or fragment (a link's own query is added after it)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks the port)
    except ValueError as exc:
        return f"is not a web address ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "must begin with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must not contain a query (?) or fragment (#)"
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "must not contain spaces or control characters"
    return None
