"""Server-side sign-in state: sessions that can be revoked, and the throttle.

streamlit-authenticator's cookie is a signed JWT of a username and an expiry;
the server cannot take it back. So every sign-in is also recorded here, keyed
by the SHA-256 of the cookie's token, and every run of the app checks that the
record is still valid: not signed out, not expired, the user still active and
their password unchanged since. A cookie signed with the right key but never
issued by this server is refused as well.

Failed sign-ins are counted per username, whether or not it exists, and lock
that username for a while; the caller shows one message for every failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from data_access.models import AuthSession, LoginThrottle, User, utcnow
from scoring.visibility import Viewer


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, *, user_id: int, expires_at: dt.datetime, token: str | None = None) -> int:
    """Record a sign-in; `token` is the cookie's JWT when a cookie was issued."""
    now = utcnow()
    record = AuthSession(
        user_id=user_id, token_sha256=token_digest(token) if token else None, issued_at=now, expires_at=expires_at
    )
    session.add(record)
    session.execute(update(User).where(User.id == user_id).values(last_sign_in_at=now))
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


def purge_expired_sessions(session: Session, *, older_than_days: int = 30) -> int:
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    result = session.execute(delete(AuthSession).where(AuthSession.expires_at < cutoff))
    return result.rowcount or 0


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


def record_failure(
    session: Session, *, username: str, max_failures: int, lock_minutes: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Count a failed sign-in; return the lock's end if this failure locks it."""
    now = now or utcnow()
    key = throttle_key(username)
    window = dt.timedelta(minutes=lock_minutes)
    row = session.get(LoginThrottle, key, with_for_update=session.bind.dialect.name != "sqlite")
    if row is None:
        row = LoginThrottle(username=key, failures=0, first_failure_at=now)
        session.add(row)
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until = None
        row.failures = 0
        row.first_failure_at = now
    if now - row.first_failure_at > window:
        row.failures = 0
        row.first_failure_at = now
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until = now + window
        row.failures = 0
        row.first_failure_at = now
    session.flush()
    return row.locked_until


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == throttle_key(username)))
