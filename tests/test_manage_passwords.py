"""manage.py and the password policy: create-user, set-password and seed-demo
refuse what the policy refuses, say why, and change nothing."""

import datetime as dt

import bcrypt
import pytest

from data_access import auth
from data_access.db import Database
from data_access.models import utcnow
from data_access.users import count_users, get_user_by_username, password_hash_for
from tests.factories import TEST_PASSWORD, make_user
from tests.test_manage import DEMO_MODE, manage

CREATE = ["create-user", "olivia", "--name", "Olivia", "--role", "office", "--password-stdin"]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("password12", "it needs at least 12"),
        ("admin-demo-pass", "demo call's published passwords"),
        ("password1234", "list of the most common passwords"),
        ("Sunshine2026!!", "common password with digits or symbols added"),
        ("olivia-likes-tea", "contains the username"),
    ],
)
def test_create_user_refuses_a_weak_password_says_why_and_changes_nothing(db_url, password, words):
    result = manage(*CREATE, db_url=db_url, stdin=password + "\n")
    assert result.returncode == 1
    assert words in result.stderr and "Nothing was changed" in result.stderr
    db = Database(db_url)
    with db.read() as s:
        assert count_users(s) == 0
    db.dispose()


def test_a_demo_password_is_accepted_in_demo_mode(db_url):
    result = manage(*CREATE, db_url=db_url, stdin="office-demo-pass\n", env=DEMO_MODE)
    assert result.returncode == 0, result.stderr


def test_seed_demo_runs_only_in_demo_mode(sqlite_url):
    refused = manage("seed-demo", db_url=sqlite_url)
    assert refused.returncode == 1
    assert "only in demo mode" in refused.stderr and "nothing was written" in refused.stderr
    db = Database(sqlite_url)
    with db.read() as s:
        assert count_users(s) == 0
    db.dispose()


def test_set_password_checks_the_policy_sets_the_hash_and_ends_sign_ins(db):
    with db.write() as s:
        person = make_user(s, role="admin", username="olivia")
        session_id = auth.start_session(s, user_id=person.user_id, expires_at=utcnow() + dt.timedelta(days=1))
    for weak, words in [("password12", "at least 12"), ("Olivia-2026-pass", "contains the username")]:
        refused = manage("set-password", "olivia", db_url=db.url, stdin=weak + "\n")
        assert refused.returncode == 1
        assert words in refused.stderr and "Nothing was changed" in refused.stderr
    with db.read() as s:
        assert bcrypt.checkpw(TEST_PASSWORD.encode(), password_hash_for(s, "olivia").encode())
        assert auth.check_session(s, auth_session_id=session_id).viewer is not None

    result = manage("set-password", "OLIVIA", db_url=db.url, stdin="kettle-glacier-quince\n")
    assert result.returncode == 0, result.stderr
    assert "set the password of olivia" in result.stdout
    with db.read() as s:
        assert bcrypt.checkpw(b"kettle-glacier-quince", password_hash_for(s, "olivia").encode())
        assert auth.check_session(s, auth_session_id=session_id).viewer is None

    unknown = manage("set-password", "nobody", db_url=db.url, stdin="kettle-glacier-quince\n")
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr
    with db.read() as s:
        assert get_user_by_username(s, "nobody") is None
