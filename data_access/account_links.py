"""Accounts get one-time links, never a password chosen by someone else.

The admin adds people and resets passwords without ever typing or seeing a
password (`ui.user_admin`, `manage.py create-user`):

* a person with an email address is sent a one-time link through the outbox
  (an invitation, or a reset: `data_access.tokens`);
* a person without one gets a link that the admin is shown once, to hand over
  in person or by phone (`HandedLink`): the same single-use, expiring link
  whose token is stored hashed. The raw token is in the returned value only;
  nothing keeps it.

Making a new link of a purpose (invitation, reset) ends the person's earlier
unused links of that purpose. A reset leaves the current password working
until the link is used; then the new password is set and every sign-in of the
person ends (`tokens.use`). Every function takes the caller's unit of work and
raises `users.UserError` (a sentence for people) with nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from access.roles import Role
from config import Settings
from config.call_config import CallConfig
from data_access import audit, outbox, tokens
from data_access import users as users_da
from data_access.db import Database
from data_access.models import User
from messages.links import LinkError, app_link


@dataclass(frozen=True)
class HandedLink:
    """A one-time link for the admin to hand over; `url` holds the raw token (never stored)."""

    username: str
    purpose: str  # tokens.INVITATION or tokens.RESET
    url: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkSent:
    """What an account action did: a message queued in the outbox, or a link to hand over."""

    user: users_da.UserRecord
    message: outbox.OutboxRecord | None = None
    link: HandedLink | None = None


def expiry_words(moment: dt.datetime) -> str:
    """`Monday 7 December 2026 at 09:30 UTC`."""
    moment = moment.astimezone(dt.UTC)
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def _active(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise users_da.UserError("Only an active account can be given a link; reactivate it first.")
    return user


def hand_over(session: Session, *, user_id: int, purpose: str, settings: Settings, actor: str) -> HandedLink:
    """A new one-time link of `purpose` for the admin to hand over (the person's earlier
    unused links of that purpose end). An invitation only for a person with no password."""
    user = _active(session, user_id)
    if purpose == tokens.INVITATION and users_da.has_password(session, user.id):
        raise users_da.UserError(f"{user.username} has a password already: reset it instead.")
    if purpose == tokens.INVITATION:
        lifetime = dt.timedelta(days=settings.invitation_link_days)
    else:
        lifetime = dt.timedelta(minutes=settings.reset_link_minutes)
    issued = tokens.issue(session, user_id=user.id, purpose=purpose, lifetime=lifetime, actor=actor)
    try:
        url = app_link(settings.public_url, tokens.LINK_PAGE, token=issued.token)
    except LinkError as exc:
        reason = str(exc)
        raise users_da.UserError(f"{reason[:1].upper()}{reason[1:]}.") from None
    audit.record(
        session,
        actor=actor,
        action="password_link.show",
        entity="user",
        entity_id=user.id,
        new={"purpose": purpose, "link": issued.token_id, "expires_at": issued.expires_at.isoformat()},
        detail="shown once, to hand over in person or by phone",
    )
    return HandedLink(user.username, purpose, url, issued.expires_at)


def add_user(
    session: Session, *, settings: Settings, config: CallConfig, actor: str, email: str | None, **fields: Any
) -> LinkSent:
    """Add a person without a password: with an address, their invitation is queued;
    without, an invitation link is made for the admin to hand over."""
    if (email or "").strip():
        record, message = tokens.create_and_invite(
            session, settings=settings, config=config, actor=actor, email=email, **fields
        )
        return LinkSent(record, message=message)
    record = users_da.create_user(session, password_hash=users_da.INVITED_HASH, actor=actor, **fields)
    return LinkSent(
        record, link=hand_over(session, user_id=record.id, purpose=tokens.INVITATION, settings=settings, actor=actor)
    )


def new_invitation(session: Session, *, user_id: int, settings: Settings, config: CallConfig, actor: str) -> LinkSent:
    """A fresh invitation for a person who has not set a password yet: queued to their
    address, or a link to hand over; their earlier invitation links end."""
    user = _active(session, user_id)
    record = users_da.get_user(session, user.id)
    assert record is not None
    if user.email:
        return LinkSent(
            record, message=tokens.invite(session, user_id=user.id, settings=settings, config=config, actor=actor)
        )
    return LinkSent(
        record, link=hand_over(session, user_id=user.id, purpose=tokens.INVITATION, settings=settings, actor=actor)
    )


def reset(session: Session, *, user_id: int, settings: Settings, config: CallConfig, actor: str) -> LinkSent:
    """A password reset: a message with a one-time link queued to the person's address,
    or, without one, a link to hand over. Their password works until the link is used."""
    user = _active(session, user_id)
    record = users_da.get_user(session, user.id)
    assert record is not None
    if not users_da.has_password(session, user.id):
        raise users_da.UserError(f"{user.username} has not set a password yet: send a new invitation instead.")
    if user.email:
        return LinkSent(
            record, message=tokens.queue_reset(session, user_id=user.id, settings=settings, config=config, actor=actor)
        )
    return LinkSent(
        record, link=hand_over(session, user_id=user.id, purpose=tokens.RESET, settings=settings, actor=actor)
    )


def create_user_command(
    db: Database,
    *,
    settings: Settings,
    config: CallConfig,
    password: str | None,
    actor: str = "manage.py",
    **fields: Any,
) -> list[str]:
    """`python manage.py create-user`: with a password (an admin's, or --password-stdin),
    the account is made with it; without, it is made with no password and gets a
    one-time link (queued to its address, or printed to hand over). The lines to
    print; UserError (nothing written) otherwise."""
    made = f"created {fields['role']} {users_da.normalise_username(fields['username'])} ({fields['name'].strip()})"
    if password is not None:
        password_hash = users_da.hash_password(
            password, username=fields["username"], rounds=settings.bcrypt_rounds, demo_mode=settings.demo_mode
        )
        with db.write() as session:
            users_da.create_user(session, password_hash=password_hash, actor=actor, **fields)
        return [made]
    if fields["role"] == Role.ADMIN:
        raise users_da.UserError("An admin made from the command line chooses their password.")
    try:
        with db.write() as session:
            done = add_user(session, settings=settings, config=config, actor=actor, **fields)
    except users_da.UserError as exc:
        raise users_da.UserError(f"{exc} (Or give a password with --password-stdin.)") from None
    if done.message is not None:
        return [
            f"{made} without a password; queued their invitation (message {done.message.id}): `send-queued` sends it, "
            f"and its link works once, for {settings.invitation_link_days:g} days"
        ]
    assert done.link is not None
    return [
        f"{made} without a password. Give them this one-time link to set their own, yourself (in person or by phone):",
        done.link.url,
        f"It works once, until {expiry_words(done.link.expires_at)}; `manage.py invite` cannot resend it "
        "(no address): an admin makes a new one on the Users page.",
    ]
