"""People who use the app: admin, office and reviewers.

Passwords are stored as bcrypt hashes only. Deactivating a user or changing a
password moves `sessions_valid_after` forward and revokes their sign-in
sessions, so a browser still holding a signed cookie is signed out at its next
action. The same three events (and a change of email address) end the user's
unused one-time links (`data_access.tokens`): a link is a key for whoever holds
the mailbox it went to, so it must not outlive a corrected address, come back
with a reactivated account, or still work after the password was set another way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import bcrypt
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from access.roles import ROLES, Role
from access.visibility import Viewer
from config import limits
from data_access import audit, passwords
from data_access.errors import AccessDenied
from data_access.models import AuthSession, PasswordToken, User, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The stored "hash" of an account made without a password (invited: `data_access.tokens`).
# No bcrypt hash has this form, so no password signs in with it; `password_hash_for` never returns it.
INVITED_HASH = "!invited"


class UserError(ValueError):
    """Bad input about a user; the message is for people."""


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    name: str
    email: str | None
    role: str
    active: bool
    organisation: str | None
    capacity: int | None
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None


def _record(u: User) -> UserRecord:
    return UserRecord(
        u.id, u.username, u.name, u.email, u.role, u.active, u.organisation, u.capacity, u.created_at, u.last_sign_in_at
    )


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def check_password_rules(password: str, *, username: str | None, demo_mode: bool = False) -> None:
    """Refuse a password the policy does not accept (`data_access.passwords`), saying why."""
    problem = passwords.password_problem(password, username=username, demo_mode=demo_mode)
    if problem is not None:
        raise UserError(problem)


def hash_password(password: str, *, username: str | None, rounds: int = 12, demo_mode: bool = False) -> str:
    """The bcrypt hash of a password the policy accepts for `username`
    (the demo call's passwords only in demo mode); UserError otherwise."""
    check_password_rules(password, username=username, demo_mode=demo_mode)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def _check_fields(
    *, username: str, name: str, role: str, email: str | None, capacity: int | None, organisation: str | None = None
) -> None:
    for what, value, limit in (
        ("The name", name, limits.USER_NAME),
        ("The email address", email, limits.USER_EMAIL),
        ("The organisation", organisation, limits.USER_ORGANISATION),
    ):
        if problem := limits.too_long(what, value, limit):
            raise UserError(problem)
    if not USERNAME_RE.match(username):
        raise UserError(
            "A username has 2 to 64 characters: lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit."
        )
    if not name.strip():
        raise UserError("A name is required.")
    if role not in ROLES:
        raise UserError(f"The role must be one of {', '.join(ROLES)}.")
    if email and not EMAIL_RE.match(email):
        raise UserError(f"{email!r} is not an email address.")
    if capacity is not None and capacity < 0:
        raise UserError("Capacity cannot be negative.")


def create_user(
    session: Session,
    *,
    username: str,
    name: str,
    role: str,
    password_hash: str,
    actor: str,
    email: str | None = None,
    organisation: str | None = None,
    capacity: int | None = None,
) -> UserRecord:
    username = normalise_username(username)
    email = (email or "").strip() or None
    _check_fields(username=username, name=name, role=role, email=email, capacity=capacity, organisation=organisation)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"The username {username!r} is taken.")
    user = User(
        username=username,
        name=name.strip(),
        role=role,
        password_hash=password_hash,
        email=email,
        organisation=(organisation or "").strip() or None,
        capacity=capacity,
        active=True,
        sessions_valid_after=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        new={
            "username": username,
            "name": user.name,
            "role": role,
            "email": email,
            "organisation": user.organisation,
            "capacity": capacity,
        },
    )
    return _record(user)


def get_user(session: Session, user_id: int) -> UserRecord | None:
    user = session.get(User, user_id)
    return _record(user) if user else None


def get_user_by_username(session: Session, username: str) -> UserRecord | None:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    return _record(user) if user else None


def password_hash_for(session: Session, username: str) -> str | None:
    """The hash of an active user, or None (unknown, deactivated, or no password set yet)."""
    return session.scalar(
        select(User.password_hash).where(
            User.username == normalise_username(username), User.active.is_(True), User.password_hash != INVITED_HASH
        )
    )


def has_password(session: Session, user_id: int) -> bool:
    """Whether the user has a password (False: invited, and not yet set one)."""
    return session.scalar(select(User.password_hash).where(User.id == user_id)) not in (None, INVITED_HASH)


def invited_user_ids(session: Session) -> set[int]:
    """The users made without a password who have not set one yet."""
    return set(session.scalars(select(User.id).where(User.password_hash == INVITED_HASH)))


def list_users(session: Session, *, role: str | None = None, active_only: bool = False) -> list[UserRecord]:
    stmt = select(User).order_by(User.role, User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return [_record(u) for u in session.scalars(stmt)]


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count(User.id))) or 0)


def require_role(session: Session, viewer: Viewer, role: Role, *, to: str) -> None:
    """Re-check on the server, in this transaction, that the viewer is still an
    active account with `role` under the same username; AccessDenied("only an
    active <role> may <to>") if not (role changed, deactivated, renamed)."""
    user = session.execute(  # the three columns, not the whole row (issue 21: on many pages' every run)
        select(User.active, User.role, User.username).where(User.id == viewer.user_id)
    ).first()
    _refuse_unless(user, viewer, role, to=to)


def require_role_user(session: Session, viewer: Viewer, role: Role, *, to: str) -> User:
    """`require_role` for a caller that needs the account's row itself: that row (read once)."""
    user = session.get(User, viewer.user_id)
    _refuse_unless(user, viewer, role, to=to)
    assert user is not None
    return user


def _refuse_unless(user, viewer: Viewer, role: Role, *, to: str) -> None:
    if user is None or not user.active or user.role != role or user.username != viewer.username:
        raise AccessDenied(f"only an active {role} may {to}")


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=session.get_bind().dialect.name != "sqlite")
    if user is None:
        raise UserError("No such user.")
    return user


def revoke_sessions(session: Session, *, user_id: int, reason: str) -> None:
    now = utcnow()
    session.execute(update(User).where(User.id == user_id).values(sessions_valid_after=now))
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def drop_unused_links(session: Session, *, user_id: int) -> None:
    """End the user's one-time links that have not been used (`data_access.tokens`)."""
    session.execute(delete(PasswordToken).where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None)))


def set_active(session: Session, *, user_id: int, active: bool, actor: str) -> UserRecord:
    user = _load(session, user_id)
    if user.username == actor and not active:
        raise UserError("You cannot deactivate your own account.")
    if user.active == active:
        return _record(user)
    if not active and user.role == Role.ADMIN:
        others = session.scalar(
            select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        )
        if not others:
            raise UserError("This is the last active admin; make another admin first.")
    old = user.active
    user.active = active
    session.flush()
    if not active:
        revoke_sessions(session, user_id=user.id, reason="deactivated")
        drop_unused_links(session, user_id=user.id)
    audit.record(
        session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
        old={"active": old},
        new={"active": active},
    )
    session.refresh(user)
    return _record(user)


def set_role(session: Session, *, user_id: int, role: str, actor: str) -> UserRecord:
    if role not in ROLES:
        raise UserError(f"The role must be one of {', '.join(ROLES)}.")
    user = _load(session, user_id)
    if user.role == role:
        return _record(user)
    if user.role == Role.ADMIN and user.username == actor:
        raise UserError("You cannot change your own role; ask another admin.")
    old = user.role
    user.role = role
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.role",
        entity="user",
        entity_id=user.id,
        old={"role": old},
        new={"role": role},
    )
    return _record(user)


def set_password(session: Session, *, user_id: int, password_hash: str, actor: str) -> None:
    user = _load(session, user_id)
    user.password_hash = password_hash
    session.flush()
    revoke_sessions(session, user_id=user.id, reason="password changed")
    drop_unused_links(session, user_id=user.id)
    audit.record(
        session,
        actor=actor,
        action="user.password",
        entity="user",
        entity_id=user.id,
        detail="password changed; existing sign-ins ended",
    )


def update_details(
    session: Session,
    *,
    user_id: int,
    actor: str,
    name: str | None = None,
    email: str | None = None,
    organisation: str | None = None,
    capacity: int | None = None,
    clear_capacity: bool = False,
) -> UserRecord:
    user = _load(session, user_id)
    old = {"name": user.name, "email": user.email, "organisation": user.organisation, "capacity": user.capacity}
    previous_email = user.email
    new_name = user.name if name is None else name.strip()
    new_email = user.email if email is None else (email.strip() or None)
    new_capacity = None if clear_capacity else (user.capacity if capacity is None else capacity)
    _check_fields(
        username=user.username,
        name=new_name,
        role=user.role,
        email=new_email,
        capacity=new_capacity,
        organisation=None if organisation is None else organisation.strip(),
    )
    user.name, user.email, user.capacity = new_name, new_email, new_capacity
    if organisation is not None:
        user.organisation = organisation.strip() or None
    new = {"name": user.name, "email": user.email, "organisation": user.organisation, "capacity": user.capacity}
    if new != old:
        session.flush()
        if (previous_email or "").lower() != (user.email or "").lower():
            drop_unused_links(session, user_id=user.id)  # links already sent went to the old address
        audit.record(
            session,
            actor=actor,
            action="user.update",
            entity="user",
            entity_id=user.id,
            old={k: v for k, v in old.items() if new[k] != v},
            new={k: v for k, v in new.items() if old[k] != v},
        )
    return _record(user)
