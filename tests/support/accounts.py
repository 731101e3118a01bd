"""Sign-ins for the app servers the browser tests start.

Those servers run as a deployment does, with demo mode off, where the demo
call's published passwords do not sign in (`ui.auth.DEMO_ACCOUNT_MESSAGE`).
So after seeding the demo call, a test gives each demo account a password of
its own with `give_test_passwords`, and signs in with `password_of`.
"""

from __future__ import annotations

import hashlib

from data_access import users
from data_access.db import Database
from data_access.demo import DEMO_USERS


def password_of(username: str) -> str:
    """The browser tests' password for a demo account (it passes the password policy)."""
    return "chromium-" + hashlib.sha256(f"browser test sign-in {username}".encode()).hexdigest()[:16]


def give_test_passwords(db: Database) -> None:
    """Replace the demo accounts' published passwords with the tests' own."""
    with db.write() as session:
        for demo_user in DEMO_USERS:
            user = users.get_user_by_username(session, demo_user.username)
            if user is None:
                continue
            hashed = users.hash_password(password_of(demo_user.username), username=demo_user.username, rounds=4)
            users.set_password(session, user_id=user.id, password_hash=hashed, actor="test")
