"""Users: creation rules, roles, deactivation and password changes, with the
sessions they end and the audit entries they leave."""

import datetime as dt
import secrets

import bcrypt
import pytest

from data_access import audit, auth, passwords, users
from data_access.demo import DEMO_USERS
from data_access.models import utcnow
from data_access.passwords import DEMO_PASSWORDS
from tests.factories import make_user, password_hash


def _session(db, user_id):
    with db.write() as s:
        return auth.start_session(
            s, user_id=user_id, expires_at=utcnow() + dt.timedelta(days=1), token=secrets.token_hex(8)
        )


def test_create_user_stores_a_bcrypt_hash_and_a_lower_case_username(db):
    with db.write() as s:
        record = users.create_user(
            s,
            username="  Asha.K ",
            name="Asha K",
            role="reviewer",
            password_hash=users.hash_password("a-long-password", username="asha.k", rounds=4),
            actor="admin",
        )
    assert record.username == "asha.k"
    with db.read() as s:
        stored = users.password_hash_for(s, "ASHA.K")
        assert bcrypt.checkpw(b"a-long-password", stored.encode())
        assert audit.list_entries(s, filters=audit.AuditFilter(action="user.create"))["actor"].tolist() == ["admin"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"username": "x"}, "2 to 64"),
        ({"username": "has space"}, "2 to 64"),
        ({"name": "  "}, "name is required"),
        ({"role": "superuser"}, "role must be"),
        ({"email": "not-an-email"}, "not an email"),
        ({"capacity": -1}, "negative"),
    ],
)
def test_bad_user_input_is_refused_and_nothing_is_written(db, kwargs, words):
    args = {
        "username": "newperson",
        "name": "New Person",
        "role": "reviewer",
        "password_hash": password_hash(),
        "actor": "admin",
        **kwargs,
    }
    with pytest.raises(users.UserError, match=words), db.write() as s:
        users.create_user(s, **args)
    with db.read() as s:
        assert users.count_users(s) == 0


def test_usernames_are_unique_whatever_their_case(db):
    with db.write() as s:
        make_user(s, username="dup")
    with pytest.raises(users.UserError, match="taken"), db.write() as s:
        make_user(s, username="DUP")


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("short", "has 5 characters; it needs at least 12"),
        ("password12", "has 10 characters; it needs at least 12"),
        ("x" * 73, "at most 72"),
        (" leading-space-pw", "start or end"),
        ("aaaaaaaaaaaa", "repetitive"),
        ("abababababab", "repetitive"),
        ("password1234", "list of the most common passwords"),
        ("QwertyUiop123", "list of the most common passwords"),  # compared whatever the case
        ("Sunshine2026!!", "common password with digits or symbols added"),
        ("admin-demo-pass", "demo call's published passwords"),
        ("reviewer-demo-pass", "demo call's published passwords"),
        ("my-name-is-Asha.K-ok", "contains the username"),
    ],
)
def test_password_rules_refuse_and_say_why(password, words):
    with pytest.raises(users.UserError, match=words):
        users.hash_password(password, username="asha.k", rounds=4)


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "three unrelated words", "kettle-glacier-7", "Zebra-Ladder-Quince"],
)
def test_long_uncommon_passwords_are_accepted(password):
    assert bcrypt.checkpw(password.encode(), users.hash_password(password, username="asha.k", rounds=4).encode())


def test_demo_passwords_are_accepted_in_demo_mode_only_and_are_the_demo_accounts_passwords():
    assert {u.password for u in DEMO_USERS} == DEMO_PASSWORDS
    for u in DEMO_USERS:
        with pytest.raises(users.UserError, match="only in demo mode"):
            users.hash_password(u.password, username=u.username, rounds=4)
        assert users.hash_password(u.password, username=u.username, rounds=4, demo_mode=True).startswith("$2")


def test_the_common_password_list_is_shipped_and_read():
    common = passwords.common_passwords()
    assert len(common) == 19640
    assert {"password", "password12", "password1234", "qwertyuiop123"} <= common
    assert all(p == p.lower() for p in common)


def test_a_username_of_two_characters_is_not_searched_for():
    # Otherwise one generated password in a few dozen would be refused by chance.
    assert users.hash_password("an-ok-kettle-glacier", username="ok", rounds=4).startswith("$2")


def test_deactivating_ends_every_session_and_hides_the_hash(db):
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        person = make_user(s)
    session_id = _session(db, person.user_id)
    with db.write() as s:
        users.set_active(s, user_id=person.user_id, active=False, actor="boss")
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=session_id).viewer is None
        assert users.password_hash_for(s, person.username) is None
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="user.deactivate")).iloc[0]
        assert entry["old"] == {"active": True} and entry["new"] == {"active": False}


def test_changing_a_password_ends_every_session(db):
    with db.write() as s:
        person = make_user(s)
    first, second = _session(db, person.user_id), _session(db, person.user_id)
    with db.write() as s:
        users.set_password(s, user_id=person.user_id, password_hash=password_hash("another-password"), actor="admin")
    with db.read() as s:
        for sid in (first, second):
            check = auth.check_session(s, auth_session_id=sid)
            assert check.viewer is None
            assert check.reason == "password changed"
    assert _session(db, person.user_id)  # a new sign-in works again


def test_the_last_active_admin_cannot_be_deactivated_and_nobody_deactivates_themselves(db):
    with db.write() as s:
        only = make_user(s, role="admin", username="only")
        other = make_user(s, role="admin", username="other")
    with pytest.raises(users.UserError, match="your own account"), db.write() as s:
        users.set_active(s, user_id=only.user_id, active=False, actor="only")
    with db.write() as s:
        users.set_active(s, user_id=other.user_id, active=False, actor="only")
    with pytest.raises(users.UserError, match="last active admin"), db.write() as s:
        users.set_active(s, user_id=only.user_id, active=False, actor="someone-else")


def test_role_changes_are_audited_and_take_effect_in_the_session_check(db):
    with db.write() as s:
        person = make_user(s, role="reviewer")
    sid = _session(db, person.user_id)
    with db.write() as s:
        users.set_role(s, user_id=person.user_id, role="office", actor="admin")
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=sid).viewer.role == "office"
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="user.role")).iloc[0]
        assert entry["old"] == {"role": "reviewer"} and entry["new"] == {"role": "office"}


def test_require_role_refuses_whatever_changed_since_sign_in(db):
    """The one server-side re-check behind admin-only writes (line-ups,
    published redactions): the account must still be active, still hold the
    role and still carry the username the session signed in with."""
    from dataclasses import replace

    from data_access.errors import AccessDenied

    with db.write() as session:
        admin = make_user(session, role="admin")
        other = make_user(session, role="admin")
    with db.read() as session:
        users.require_role(session, admin, "admin", to="change line-ups")  # allowed: no exception
        with pytest.raises(AccessDenied, match="only an active reviewer may score"):
            users.require_role(session, admin, "reviewer", to="score")
        with pytest.raises(AccessDenied):  # someone else's id under this username
            users.require_role(session, replace(admin, user_id=other.user_id), "admin", to="change line-ups")
        with pytest.raises(AccessDenied):
            users.require_role(session, replace(admin, user_id=10**9), "admin", to="change line-ups")
    with db.write() as session:
        users.set_active(session, user_id=admin.user_id, active=False, actor=other.username)
    with db.read() as session, pytest.raises(AccessDenied, match="only an active admin may change line-ups"):
        users.require_role(session, admin, "admin", to="change line-ups")
