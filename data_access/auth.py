"""Server-side sign-in state: sessions that can be revoked, and the throttle.

streamlit-authenticator's cookie is a signed JWT of a username and an expiry;
the server cannot take it back. So every sign-in is also recorded here, keyed
by the SHA-256 of the cookie's token, and every run of the app checks that the
record is still valid: not signed out, not expired, the user still active and
their password unchanged since. A cookie signed with the right key but never
issued by this server is refused as well.

Sign-in attempts are counted per username, whether or not it exists, before
the password is checked (a success clears the count), and lock that username
for a while; the caller shows one message for every failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from access.visibility import Viewer
from data_access.db import rows_matched
from data_access.models import AuthSession, LoginThrottle, User, utcnow


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, *, user_id: int, expires_at: dt.datetime, token: str | None = None) -> int:
    """Record a sign-in; `token` is the cookie's JWT when a cookie was issued."""
    now = utcnow()
    record = AuthSession(
        user_id=user_id, token_sha256=token_digest(token) if token else None, issued_at=now, expires_at=expires_at
    )
    session.add(record)
    # The time of a sign-in is bookkeeping: it leaves the data version (and the shared caches) be.
    session.execute(
        update(User).where(User.id == user_id).values(last_sign_in_at=now).execution_options(shared_data=False)
    )
    session.flush()
    return record.id


@dataclass(frozen=True)
class SessionCheck:
    viewer: Viewer | None
    reason: str = ""  # why it is not valid: signed out, expired, deactivated, password changed
    token_sha256: str | None = None  # the SHA-256 of the sign-in's cookie token (None: no cookie issued)


def check_session(session: Session, *, auth_session_id: int, now: dt.datetime | None = None) -> SessionCheck:
    now = now or utcnow()
    row = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(AuthSession.id == auth_session_id)
    ).first()
    if row is None:
        return SessionCheck(None, "unknown session")
    record, user = row
    return _judge(record, user, now)


def check_token(session: Session, *, token: str, now: dt.datetime | None = None) -> tuple[int | None, SessionCheck]:
    """Validate a cookie token against the server's records."""
    now = now or utcnow()
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        return None, SessionCheck(None, "not issued by this server")
    record, user = row
    return record.id, _judge(record, user, now)


def _judge(record: AuthSession, user: User, now: dt.datetime) -> SessionCheck:
    if record.revoked_at is not None:
        return SessionCheck(None, record.revoked_reason or "revoked")
    if record.expires_at <= now:
        return SessionCheck(None, "expired")
    if not user.active:
        return SessionCheck(None, "deactivated")
    if record.issued_at < user.sessions_valid_after:
        return SessionCheck(None, "password changed")
    return SessionCheck(
        Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role),
        token_sha256=record.token_sha256,
    )


def revoke_session(session: Session, *, auth_session_id: int, reason: str = "signed out") -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def _purge(session: Session, model, condition, *, dry_run: bool) -> int:
    if dry_run:
        return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)
    return rows_matched(session, delete(model).where(condition)) or 0


def purge_expired_sessions(
    session: Session, *, older_than_days: float = 1, now: dt.datetime | None = None, dry_run: bool = False
) -> int:
    """Remove sign-in records that expired more than `older_than_days` ago,
    signed out or not; how many (would be) removed. Their cookies carry the
    same expiry and are refused without them; the day's grace keeps the
    "your sign-in has expired" notice for a browser left open."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    return _purge(session, AuthSession, AuthSession.expires_at < cutoff, dry_run=dry_run)


def purge_old_throttle(
    session: Session,
    *,
    lock_minutes: int,
    windows: Mapping[str, int] | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> int:
    """Remove throttle rows that no longer count: a lock that has ended, or
    failures older than the window (`reserve_attempt` would start them again
    from zero). The window is `lock_minutes` (sign-ins), or for a row whose key
    begins with a prefix in `windows`, that prefix's minutes (password resets
    count for an hour: `data_access.tokens`). A row being counted at the same
    moment is kept: on PostgreSQL the delete waits for its row lock and then
    sees it is live."""
    now = now or utcnow()
    windows = dict(windows or {})
    others = and_(true(), *(~LoginThrottle.username.startswith(prefix, autoescape=True) for prefix in windows))
    stale = [and_(others, LoginThrottle.first_failure_at < now - dt.timedelta(minutes=lock_minutes))]
    for prefix, minutes in windows.items():
        stale.append(
            and_(
                LoginThrottle.username.startswith(prefix, autoescape=True),
                LoginThrottle.first_failure_at < now - dt.timedelta(minutes=minutes),
            )
        )
    dead = or_(LoginThrottle.locked_until <= now, and_(LoginThrottle.locked_until.is_(None), or_(*stale)))
    return _purge(session, LoginThrottle, dead, dry_run=dry_run)


# --- throttle ---------------------------------------------------------------


def throttle_key(username: str) -> str:
    return (username or "").strip().lower()[:200]


def locked_until(session: Session, *, username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the username unlocks, if it is locked now."""
    now = now or utcnow()
    row = session.get(LoginThrottle, throttle_key(username))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt as the throttle saw it, before its password is checked."""

    allowed: bool  # False: the username is locked; check no password
    locked_until: dt.datetime | None  # the lock in force now (armed by this attempt, if it was the last allowed)


_INSERT_THROTTLE = {
    "sqlite": sqlite_insert(LoginThrottle).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(LoginThrottle).on_conflict_do_nothing(),
}


def _locked_row(session: Session, key: str, now: dt.datetime) -> LoginThrottle:
    """The username's throttle row, created if need be, locked until the unit of work ends.

    On PostgreSQL two first attempts meet at the primary key (the loser inserts
    nothing) and then queue for the row lock; a row deleted meanwhile by a
    success is made again. On SQLite the write unit holds the database's one
    write lock (BEGIN IMMEDIATE) already."""
    insert_row = _INSERT_THROTTLE[session.get_bind().dialect.name]
    for_update = session.get_bind().dialect.name != "sqlite"
    while True:
        session.execute(insert_row.values(username=key, failures=0, first_failure_at=now))
        row = session.get(LoginThrottle, key, with_for_update=for_update, populate_existing=True)
        if row is not None:
            return row


def reserve_attempt(
    session: Session, *, username: str, max_failures: int, lock_minutes: int, now: dt.datetime | None = None
) -> Attempt:
    """Count a sign-in attempt as a failure *before* its password is checked.

    Counting and checking the lock happen in one transaction on a locked row,
    so attempts sent at the same moment queue here and at most `max_failures`
    of them within the window go on to a password check: the one that reaches
    the limit locks the username for everyone else straight away. A success
    then clears the count (`clear_failures`), lock included."""
    now = now or utcnow()
    window = dt.timedelta(minutes=lock_minutes)
    row = _locked_row(session, throttle_key(username), now)
    if row.locked_until is not None and row.locked_until > now:
        return Attempt(allowed=False, locked_until=row.locked_until)
    if row.locked_until is not None or now - row.first_failure_at > window:
        row.locked_until = None
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until = now + window
    session.flush()
    return Attempt(allowed=True, locked_until=row.locked_until)


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == throttle_key(username)))
