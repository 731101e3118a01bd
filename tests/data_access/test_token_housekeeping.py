"""What `manage.py purge-expired` does for one-time links and password resets (both databases):
used and expired links' rows are removed (their audit trail kept, never a token's hash), and the
reset throttle's rows count for the reset window (an hour), not the sign-in lock's 15 minutes."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from data_access import auth, housekeeping, tokens
from data_access.audit import AuditFilter, list_entries
from data_access.models import LoginThrottle, PasswordToken, utcnow
from tests.data_access.test_tokens import outbox_rows, reset, settings_for
from tests.factories import make_user
from tests.test_manage import manage


def _links(db) -> dict[int, tuple[dt.datetime | None, dt.datetime]]:
    with db.read() as s:
        return {row.id: (row.used_at, row.expires_at) for row in s.scalars(select(PasswordToken))}


def _three_links(db):
    """A used link, an expired unused one and a live one, of three people."""
    now = utcnow()
    with db.write() as s:
        people = [make_user(s, username=name, email=f"{name}@example.org") for name in ("used", "expired", "live")]
        issued = {
            person.username: tokens.issue(
                s,
                user_id=person.user_id,
                purpose=tokens.RESET,
                lifetime=dt.timedelta(hours=hours),
                actor="test",
                now=now - dt.timedelta(hours=2),
            )
            for person, hours in zip(people, (3, 1, 3), strict=True)
        }
    tokens.set_password_with_link(db, token=issued["used"].token, password="copper kettle orchard lantern", rounds=4)
    return issued


def test_used_and_expired_links_are_removed_the_live_one_kept_and_the_audit_says_so(db, call_config):
    issued = _three_links(db)
    with db.write() as s:
        dry = tokens.purge_old_links(s, actor="manage.py", dry_run=True)
    assert (dry.used, dry.expired) == (1, 1)
    assert set(_links(db)) == {i.token_id for i in issued.values()}  # a dry run changes nothing
    with db.write() as s:
        done = tokens.purge_old_links(s, actor="manage.py")
    assert (done.used, done.expired) == (1, 1)
    assert set(_links(db)) == {issued["live"].token_id}
    with db.read() as s:
        assert tokens.check(s, token=issued["live"].token) is not None  # the live link still works
        assert tokens.check(s, token=issued["expired"].token) is None
        [entry] = list_entries(s, filters=AuditFilter(action="password_link.purge")).to_dict("records")
        issues = list_entries(s, filters=AuditFilter(action="password_link.issue"))
    new = json.loads(entry["new"]) if isinstance(entry["new"], str) else entry["new"]
    assert new == {"used": 1, "expired": 1, "links": sorted([issued["used"].token_id, issued["expired"].token_id])}
    assert len(issues) == 3  # each link's issue entry (whose, purpose, expiry) stays
    audit_text = issues.to_csv() + str(entry)
    assert not any(tokens.digest(i.token) in audit_text or i.token in audit_text for i in issued.values())
    with db.write() as s:
        again = tokens.purge_old_links(s, actor="manage.py")
    assert (again.used, again.expired) == (0, 0)


def test_purge_expired_removes_old_links_and_counts_them_in_its_dry_run(db, db_url, call_config):
    issued = _three_links(db)
    dry = manage("purge-expired", "--dry-run", db_url=db_url)
    assert dry.returncode == 0, dry.stderr
    assert "one-time links: would remove 2 links that can no longer be used (1 used, 1 expired unused)" in dry.stdout
    assert len(_links(db)) == 3
    real = manage("purge-expired", db_url=db_url)
    assert real.returncode == 0, real.stderr
    assert "one-time links: removed 2 links that can no longer be used (1 used, 1 expired unused)" in real.stdout
    assert set(_links(db)) == {issued["live"].token_id}


def test_a_purge_half_way_through_the_reset_window_does_not_restart_the_reset_count(db, db_url, call_config):
    settings = settings_for()
    with db.write() as s:
        target = make_user(s, username="target", email="target@example.org")
    half_an_hour_ago = utcnow() - dt.timedelta(minutes=30)
    for _ in range(tokens.RESET_MAX_REQUESTS - 1):
        tokens.request_reset(
            db, identifier="target", client="198.51.100.9", settings=settings, config=call_config,
            now=half_an_hour_ago, answer_seconds=0,
        )  # fmt: skip
    assert manage("purge-expired", db_url=db_url).returncode == 0
    with db.read() as s:
        kept = set(s.scalars(select(LoginThrottle.username)))
    assert {
        tokens.RESET_KEY + "target",
        tokens.RESET_CLIENT_KEY + "198.51.100.9",
        tokens.RESET_ACCOUNT_KEY + str(target.user_id),
    } <= kept
    for _ in range(2):
        reset(db, "target", settings, call_config, client="198.51.100.9")
    # Within one hour, RESET_MAX_REQUESTS messages at most, purge or not.
    assert len(outbox_rows(db)) == tokens.RESET_MAX_REQUESTS


def test_reset_throttle_rows_go_once_the_reset_window_has_passed_and_sign_in_rows_after_their_lock(db, call_config):
    settings = settings_for()
    now = utcnow()
    with db.write() as s:
        for key, minutes_ago in (("signin-old", 20), ("signin-new", 10)):
            auth.reserve_attempt(
                s, username=key, max_failures=5, lock_minutes=15, now=now - dt.timedelta(minutes=minutes_ago)
            )
        for key, minutes_ago in ((tokens.RESET_KEY + "old", 70), (tokens.RESET_KEY + "new", 50)):
            auth.reserve_attempt(
                s, username=key, max_failures=3, lock_minutes=60, now=now - dt.timedelta(minutes=minutes_ago)
            )
    lines = housekeeping.purge_expired(db, config=call_config, settings=settings, actor="manage.py", dry_run=True)
    assert "and 2 sign-in throttle rows that no longer count" in lines[1]
    housekeeping.purge_expired(db, config=call_config, settings=settings, actor="manage.py", dry_run=False)
    with db.read() as s:
        assert set(s.scalars(select(LoginThrottle.username))) == {"signin-new", tokens.RESET_KEY + "new"}
