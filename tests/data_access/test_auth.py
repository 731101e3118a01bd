"""Server-side sign-in records and the per-username throttle."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from data_access import auth
from data_access.db import Database
from data_access.models import AuthSession, LoginThrottle, utcnow
from tests.factories import make_user

T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _fail(db, username, when, *, max_failures=3, lock_minutes=15):
    """An attempt whose password turns out wrong: the lock it leaves, if any."""
    with db.write() as s:
        attempt = auth.reserve_attempt(
            s, username=username, max_failures=max_failures, lock_minutes=lock_minutes, now=when
        )
    assert attempt.allowed
    return attempt.locked_until


def _locked(db, username, when):
    with db.read() as s:
        return auth.locked_until(s, username=username, now=when)


@pytest.mark.parametrize("username", ["reviewer-real", "no-such-person"])
def test_failures_lock_a_username_whether_or_not_it_exists(db, username):
    with db.write() as s:
        make_user(s, username="reviewer-real")
    assert _fail(db, username, T0) is None
    assert _fail(db, username, T0 + dt.timedelta(seconds=5)) is None
    until = _fail(db, username, T0 + dt.timedelta(seconds=10))
    assert until == T0 + dt.timedelta(seconds=10, minutes=15)
    assert _locked(db, username.upper(), T0 + dt.timedelta(minutes=5)) == until


def test_the_lock_ends_by_itself(db):
    for i in range(3):
        until = _fail(db, "someone", T0 + dt.timedelta(seconds=i))
    assert _locked(db, "someone", until - dt.timedelta(seconds=1)) == until
    assert _locked(db, "someone", until + dt.timedelta(seconds=1)) is None
    # after unlocking, the count starts again from zero
    assert _fail(db, "someone", until + dt.timedelta(seconds=2)) is None


def test_failures_spread_over_more_than_the_window_do_not_lock(db):
    for i in range(6):
        assert _fail(db, "slow", T0 + dt.timedelta(minutes=20 * i)) is None


def test_a_success_clears_the_count(db):
    _fail(db, "asha", T0)
    _fail(db, "asha", T0)
    with db.write() as s:
        auth.clear_failures(s, username="asha")
    assert _fail(db, "asha", T0) is None


def test_a_username_is_locked_independently_of_others(db):
    for _ in range(3):
        _fail(db, "victim", T0)
    assert _locked(db, "victim", T0) is not None
    assert _locked(db, "bystander", T0) is None


def _start(db, user_id, token, *, days=1):
    with db.write() as s:
        return auth.start_session(s, user_id=user_id, expires_at=utcnow() + dt.timedelta(days=days), token=token)


def test_only_tokens_this_server_issued_and_did_not_revoke_are_accepted(db):
    with db.write() as s:
        person = make_user(s)
    sid = _start(db, person.user_id, "token-a")
    with db.read() as s:
        found, check = auth.check_token(s, token="token-a")
        assert found == sid and check.viewer.username == person.username
        assert auth.check_token(s, token="token-never-issued")[1].viewer is None
    with db.write() as s:
        auth.revoke_session(s, auth_session_id=sid)
    with db.read() as s:
        _found, check = auth.check_token(s, token="token-a")
        assert check.viewer is None and check.reason == "signed out"


def test_expired_sessions_are_refused(db):
    with db.write() as s:
        person = make_user(s)
        sid = auth.start_session(s, user_id=person.user_id, expires_at=utcnow() - dt.timedelta(seconds=1), token="old")
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=sid).reason == "expired"


def test_tokens_are_stored_only_as_digests(db):
    with db.write() as s:
        person = make_user(s)
    _start(db, person.user_id, "secret-token-value")
    from sqlalchemy import text

    with db.read() as s:
        stored = s.execute(text("SELECT token_sha256 FROM auth_sessions")).scalars().all()
    assert stored == [auth.token_digest("secret-token-value")]
    assert "secret-token-value" not in stored[0]


def test_attempts_at_the_same_moment_on_separate_connections_let_through_only_the_limit(db_url):
    """The first attempts on a username race to create its row, the rest to read
    it; each on its own engine (as on separate replicas)."""
    start = threading.Barrier(16)
    answers = []

    def attempt():
        database = Database(db_url)
        try:
            start.wait(timeout=30)
            with database.write() as s:
                answers.append(auth.reserve_attempt(s, username="target", max_failures=5, lock_minutes=15, now=T0))
        finally:
            database.dispose()

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 16
    assert sum(a.allowed for a in answers) == 5
    assert {a.locked_until for a in answers if not a.allowed} == {T0 + dt.timedelta(minutes=15)}


def test_purging_removes_expired_sessions_and_old_throttle_rows_and_keeps_live_ones(db):
    now = utcnow()
    with db.write() as s:
        person = make_user(s)
    live = _start(db, person.user_id, "live")
    signed_out_live = _start(db, person.user_id, "signed-out-live")
    with db.write() as s:
        auth.revoke_session(s, auth_session_id=signed_out_live)
    just_expired = _start(db, person.user_id, "just-expired", days=-0.5)  # within the day's grace
    expired = _start(db, person.user_id, "expired", days=-3)
    signed_out_expired = _start(db, person.user_id, "signed-out-expired", days=-5)
    with db.write() as s:
        auth.revoke_session(s, auth_session_id=signed_out_expired)
    minutes = dt.timedelta(minutes=1)
    for _ in range(3):  # locked now
        _fail(db, "locked-now", now - 2 * minutes)
    for _ in range(3):  # locked, and the lock has ended
        _fail(db, "lock-ended", now - 20 * minutes)
    _fail(db, "recent-failure", now - 5 * minutes)
    _fail(db, "old-failure", now - 16 * minutes)

    def rows():
        with db.read() as s:
            return (
                set(s.scalars(select(AuthSession.id))),
                set(s.scalars(select(LoginThrottle.username))),
            )

    before = rows()
    with db.write() as s:
        assert auth.purge_expired_sessions(s, dry_run=True) == 2
        assert auth.purge_old_throttle(s, lock_minutes=15, dry_run=True) == 2
    assert rows() == before
    with db.write() as s:
        assert auth.purge_expired_sessions(s) == 2
        assert auth.purge_old_throttle(s, lock_minutes=15) == 2
    sessions, throttle = rows()
    assert sessions == {live, signed_out_live, just_expired}
    assert expired not in sessions and signed_out_expired not in sessions
    assert throttle == {"locked-now", "recent-failure"}
    with db.read() as s:
        assert auth.check_token(s, token="live")[1].viewer.username == person.username
        assert auth.check_token(s, token="signed-out-live")[1].reason == "signed out"
        assert auth.locked_until(s, username="locked-now") is not None
    # The failure that stayed still counts towards the lock.
    assert _fail(db, "recent-failure", now) is None
    assert _fail(db, "recent-failure", now) is not None
