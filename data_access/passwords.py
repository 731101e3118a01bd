"""The password policy, after the NCSC's guidance and NIST SP 800-63B.

Length matters, composition rules do not: a password needs at least 12
characters (and at most 72 bytes, all that bcrypt reads), and is refused when
it is on a list of common passwords (or is one with only digits or symbols
added before or after it), when it contains the username, or when it is
mostly one character repeated. Every refusal says why, in a sentence for
people. There are no rules about upper case, digits or symbols, and no expiry.

The list is `common_passwords.txt.gz` beside this file: the 19,640 passwords
of Django's CommonPasswordValidator, copied unchanged from the Django package
(provenance and licence in `common_passwords.NOTICE`).

The demo call's published passwords (README, `manage.py demo-info`) are
accepted only in demo mode, where they skip the other rules; outside it they
are refused like a common password.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

MIN_LENGTH = 12
MAX_BYTES = 72  # bcrypt ignores (bcrypt 5 refuses) anything longer
MIN_USERNAME_CHECKED = 3  # a shorter username would refuse too many good passwords by chance
MIN_DISTINCT_CHARACTERS = 4
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")
# The demo call's sign-ins (data_access.demo.DEMO_USERS; a test checks they agree).
DEMO_PASSWORDS = frozenset({"admin-demo-pass", "office-demo-pass", "reviewer-demo-pass"})


def is_demo_password(password: str) -> bool:
    """Would this sign in as one of the demo call's published passwords (which sign in only in demo mode)?

    streamlit-authenticator strips whitespace (any Unicode whitespace) from a
    password before checking it, so " admin-demo-pass" signs in where
    "admin-demo-pass" does: compare as it compares."""
    return password.strip() in DEMO_PASSWORDS


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords, lower case."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _core(password: str) -> str:
    """The password without the digits, symbols and spaces before and after its letters."""
    start, end = 0, len(password)
    while start < end and not password[start].isalpha():
        start += 1
    while end > start and not password[end - 1].isalpha():
        end -= 1
    return password[start:end]


def password_problem(password: str, *, username: str | None, demo_mode: bool = False) -> str | None:
    """Why `password` may not be set (for `username`), or None if it may."""
    if password in DEMO_PASSWORDS:
        if demo_mode:
            return None
        return (
            "This is one of the demo call's published passwords, which work only in demo mode. "
            "Choose a password of your own."
        )
    if len(password) < MIN_LENGTH:
        return (
            f"The password has {len(password)} characters; it needs at least {MIN_LENGTH}. "
            "Three or four unrelated words make a long password that is easy to remember."
        )
    if len(password.encode("utf-8")) > MAX_BYTES:
        return f"The password must be at most {MAX_BYTES} bytes long."
    if password != password.strip():
        return "The password must not start or end with a space."
    name = (username or "").strip().lower()
    if len(name) >= MIN_USERNAME_CHECKED and name in password.lower():
        return "The password contains the username; choose one that does not."
    common = common_passwords()
    if password.lower() in common:
        return "This password is on a list of the most common passwords, which attackers try first; choose another."
    core = _core(password).lower()
    if len(core) >= 4 and core in common:
        return (
            "This password is a common password with digits or symbols added before or after it, "
            "which attackers try early; choose another."
        )
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return "The password is too repetitive."
    return None
