"""The demo call's published passwords sign in only in demo mode.

`make run` seeds the demo call into the default SQLite database with the
passwords the README publishes. If that database is later served for real
(demo mode off, a real cookie key), those accounts must not open: the right
demo password is refused with a plain message, no session is recorded, and
the attempt still counts against the throttle. In demo mode they work.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select
from streamlit.runtime.state import session_state_proxy
from streamlit.runtime.state.safe_session_state import SafeSessionState
from streamlit.runtime.state.session_state import SessionState

from config import load_settings
from data_access import users
from data_access.models import AuthSession, LoginThrottle
from tests.factories import make_user
from ui.auth import DEMO_ACCOUNT_MESSAGE, FAILED_MESSAGE, attempt_sign_in

DEMO_PASSWORD = "admin-demo-pass"


@pytest.fixture
def demo_admin(db):
    """An account holding a demo password, as `seed-demo` leaves it."""
    with db.write() as s:
        viewer = make_user(s, role="admin", username="admin")
        users.set_password(
            s,
            user_id=viewer.user_id,
            password_hash=users.hash_password(DEMO_PASSWORD, username="admin", rounds=4, demo_mode=True),
            actor="test",
        )
    return viewer


@pytest.fixture
def session_state(monkeypatch):
    state = SafeSessionState(SessionState(), lambda: None)
    monkeypatch.setattr(session_state_proxy, "get_session_state", lambda: state)
    return state


def sessions(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(AuthSession.id)))


def counted_attempts(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.coalesce(func.sum(LoginThrottle.failures), 0)))


def test_a_demo_password_is_refused_outside_demo_mode_with_a_plain_message(db, demo_admin, session_state):
    settings = load_settings()
    assert not settings.demo_mode
    viewer, message = attempt_sign_in(db, settings, "admin", DEMO_PASSWORD)
    assert viewer is None
    assert message == DEMO_ACCOUNT_MESSAGE
    assert "set-password" in message
    assert sessions(db) == 0
    assert counted_attempts(db) == 1  # it counts against the throttle like a failure
    # A wrong password still gets the usual message, whatever the mode.
    assert attempt_sign_in(db, settings, "admin", "not-the-password-at-all")[1] == FAILED_MESSAGE


@pytest.mark.parametrize(
    "typed",
    [" admin-demo-pass", "admin-demo-pass ", "\tadmin-demo-pass", "admin-demo-pass\u00a0", "\u3000admin-demo-pass"],
)
def test_whitespace_around_a_demo_password_does_not_get_round_the_refusal(db, demo_admin, session_state, typed):
    # The library strips whitespace before checking the password, so these
    # are the demo password as far as bcrypt is concerned.
    viewer, message = attempt_sign_in(db, load_settings(), "admin", typed)
    assert viewer is None
    assert message == DEMO_ACCOUNT_MESSAGE
    assert sessions(db) == 0


def test_the_same_demo_password_signs_in_in_demo_mode(db, demo_admin, session_state):
    settings = load_settings({**os.environ, "EVIDENCE_DEMO": "1"})
    assert settings.demo_mode
    viewer, message = attempt_sign_in(db, settings, "admin", DEMO_PASSWORD)
    assert message == ""
    assert viewer is not None and viewer.username == "admin"
    assert sessions(db) == 1
