"""One-time links to set a password: invitations and password resets.

A link carries a random token (32 bytes from `secrets`, URL-safe); only its
SHA-256 is stored (table `password_tokens`). The raw token is never stored:
a message that carries a link is queued with `LINK_PLACEHOLDER` where the
link goes (and `EXPIRY_PLACEHOLDER` for when it expires), and the token is
minted when the message is sent (`fill_link`, called by `data_access.delivery`
for each send and each download of a message not sent yet), in the sent copy
only. So neither an admin previewing the outbox nor a database backup holds a
working link. Issuing a link for a user and purpose drops their earlier unused
links of that purpose (so does queueing a message that will carry one). A link
works once, until it expires: using it is one UPDATE ... WHERE used_at IS NULL
AND expires_at > now, so of two uses at the same moment exactly one matches a
row (PostgreSQL re-checks the WHERE after the first one's row lock; SQLite's
write units run one at a time). Setting
the password goes through the policy and hashing of `data_access.users`,
ends every sign-in of the user, and drops their other unused links.

A wrong, expired or used link gets one sentence (`INVALID_LINK`), the same
for all three, and changes nothing.

Password resets (`request_reset`) answer the same whether or not an account
matches: both throttle counts are taken either way (per username or address,
and per client, in `login_throttle` under their own prefixes; and a matched
account has a count of its own, so that asking by username and by address
does not double its messages), the message is
rendered either way, and the answer never comes sooner than
`RESET_ANSWER_SECONDS` after the request.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from config import Settings
from config.call_config import CallConfig
from config.mail_address import AddressError, check_address
from data_access import audit, outbox
from data_access import auth as auth_da
from data_access import users as users_da
from data_access.db import Database, rows_matched
from data_access.models import OutboxMessage, PasswordToken, User, utcnow
from data_access.templates import render_template
from messages.links import LinkError, app_link
from messages.templates import TemplateError

log = logging.getLogger("evidence_review")

INVITATION, RESET = "invitation", "reset"
LINK_PURPOSES = ("reviewer.invitation", "reviewer.reset")  # the messages that carry a link
USED = "used"  # what replaces a used link's token in a message queued before links were minted at send time
LINK_PLACEHOLDER = "(one-time link, shown only in the message sent)"  # where the link goes, in the stored message
EXPIRY_PLACEHOLDER = "(a time given in the message sent)"  # and when it stops working
TOKEN_PURPOSES = {"reviewer.invitation": INVITATION, "reviewer.reset": RESET}  # message purpose -> link purpose
_RENDER_LINK = "https://one-time-link.invalid/"  # what the template renders for the link before the placeholder
LINK_PAGE = "set_password"  # the page the links open (`ui.one_time_links`)
INVALID_LINK = (
    "This link does not work: it is not right, it has expired, or it has been used already. "
    "Ask for a new one from the sign-in page (Forgot your password?) or from the call's administrator."
)
RESET_ANSWER_SECONDS = 0.5  # a reset request is never answered sooner, account or not
RESET_KEY = "reset:"  # throttle rows of reset requests, per username or address (no username has a colon)
RESET_CLIENT_KEY = "reset-client:"  # and per client
RESET_ACCOUNT_KEY = "reset-account:"  # and per account matched (by its id), whichever name asked
RESET_MAX_REQUESTS = 3  # resets one username or address may ask for within the window
RESET_MAX_CLIENT_REQUESTS = 20  # resets one client (IP address) may ask for within the window, whatever the accounts
RESET_WINDOW_MINUTES = 60  # the window, and how long a username, address or client that reached its count waits
RESET_ACTOR = "password reset request"
RESET_UNAVAILABLE = (
    "Password resets cannot be sent from this app at the moment. Ask the call's administrator to set a new password."
)


class LinkInvalid(ValueError):
    """The link is wrong, expired or used (always `INVALID_LINK`)."""

    def __init__(self) -> None:
        super().__init__(INVALID_LINK)


digest = auth_da.token_digest  # SHA-256, hex


@dataclass(frozen=True)
class Issued:
    token: str  # the raw token, for the link only: never stored
    token_id: int
    expires_at: dt.datetime


def issue(
    session: Session, *, user_id: int, purpose: str, lifetime: dt.timedelta, actor: str, now: dt.datetime | None = None
) -> Issued:
    """A new link for `user_id` and `purpose`; their earlier unused links of that purpose stop working."""
    now = now or utcnow()
    session.execute(
        delete(PasswordToken).where(
            PasswordToken.user_id == user_id, PasswordToken.purpose == purpose, PasswordToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    row = PasswordToken(
        user_id=user_id,
        purpose=purpose,
        token_sha256=digest(token),
        created_at=now,
        expires_at=now + lifetime,
        created_by=actor[:64],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="password_link.issue",
        entity="user",
        entity_id=user_id,
        new={"purpose": purpose, "link": row.id, "expires_at": row.expires_at.isoformat()},
    )
    return Issued(token, row.id, row.expires_at)


@dataclass(frozen=True)
class LinkHolder:
    user_id: int
    username: str
    name: str
    purpose: str
    expires_at: dt.datetime


def check(session: Session, *, token: str, now: dt.datetime | None = None) -> LinkHolder | None:
    """Whose link this is, if it works now (unused, unexpired, an active account); None otherwise."""
    now = now or utcnow()
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(PasswordToken, User)
        .join(User, User.id == PasswordToken.user_id)
        .where(PasswordToken.token_sha256 == digest(token))
    ).first()
    if row is None:
        return None
    link, user = row
    if link.used_at is not None or link.expires_at <= now or not user.active:
        return None
    return LinkHolder(user.id, user.username, user.name, link.purpose, link.expires_at)


def use(session: Session, *, token: str, password_hash: str, now: dt.datetime | None = None) -> str:
    """Use the link once: set the user's password (a hash from `users.hash_password`),
    end their sign-ins, drop their other unused links; their username. LinkInvalid
    if it does not work (the caller's unit of work then changes nothing)."""
    now = now or utcnow()
    if not token or len(token) > 200:
        raise LinkInvalid()
    sha = digest(token)
    matched = rows_matched(
        session,
        update(PasswordToken)
        .where(PasswordToken.token_sha256 == sha, PasswordToken.used_at.is_(None), PasswordToken.expires_at > now)
        .values(used_at=now),
    )
    if matched != 1:
        raise LinkInvalid()
    link = session.scalars(select(PasswordToken).where(PasswordToken.token_sha256 == sha)).one()
    user = session.get(User, link.user_id)
    if user is None or not user.active:
        raise LinkInvalid()
    users_da.set_password(session, user_id=user.id, password_hash=password_hash, actor=user.username)
    session.execute(
        delete(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None), PasswordToken.id != link.id
        )
    )
    # A message queued before links were minted at send time held the token until now: it is kept there no longer.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_user_id == user.id, OutboxMessage.purpose.in_(LINK_PURPOSES))
        .values(
            body_text=func.replace(OutboxMessage.body_text, token, USED),
            body_html=func.replace(OutboxMessage.body_html, token, USED),
        )
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=user.username,
        action="password_link.use",
        entity="user",
        entity_id=user.id,
        new={"purpose": link.purpose, "link": link.id},
        detail="password set through a one-time link; existing sign-ins ended",
    )
    return user.username


def set_password_with_link(
    db: Database, *, token: str, password: str, rounds: int, demo_mode: bool = False, now: dt.datetime | None = None
) -> str:
    """Check the link, hash the password under the policy (`users.UserError` says
    why it is refused; the link still works then), and use the link; the username.
    bcrypt runs outside the write unit."""
    with db.read() as session:
        holder = check(session, token=token, now=now)
    if holder is None:
        raise LinkInvalid()
    password_hash = users_da.hash_password(password, username=holder.username, rounds=rounds, demo_mode=demo_mode)
    with db.write() as session:
        return use(session, token=token, password_hash=password_hash, now=now)


@dataclass(frozen=True)
class LinksPurged:
    used: int
    expired: int  # (unused)


def purge_old_links(
    session: Session, *, actor: str, now: dt.datetime | None = None, dry_run: bool = False
) -> LinksPurged:
    """Remove the rows of links that can no longer be used: used, or expired (`manage.py
    purge-expired`). A removed link's token answers as any wrong one does (`INVALID_LINK`).
    What an audit needs stays in the audit log: each link's `password_link.issue` (whose,
    purpose, expiry) and `password_link.use` entries, and one `password_link.purge`
    entry with the counts and the links' ids; never a token's hash."""
    now = now or utcnow()
    rows = session.execute(
        select(PasswordToken.id, PasswordToken.used_at)
        .where(or_(PasswordToken.used_at.is_not(None), PasswordToken.expires_at <= now))
        .order_by(PasswordToken.id)
    ).all()
    report = LinksPurged(used=sum(r.used_at is not None for r in rows), expired=sum(r.used_at is None for r in rows))
    if dry_run or not rows:
        return report
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 500):
        session.execute(delete(PasswordToken).where(PasswordToken.id.in_(ids[start : start + 500])))
    audit.record(
        session,
        actor=actor,
        action="password_link.purge",
        entity="password_link",
        new={"used": report.used, "expired": report.expired, "links": ids},
        detail="rows of used and expired one-time links removed",
    )
    return report


# --- messages ------------------------------------------------------------------


def _when(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def _link(settings: Settings, token: str) -> str:
    try:
        return app_link(settings.public_url, LINK_PAGE, token=token)
    except LinkError as exc:
        raise users_da.UserError(f"No link can be made: {exc}.") from None


def _queue(session: Session, *, purpose: str, user: User, values: dict[str, Any], actor: str) -> outbox.OutboxRecord:
    """Queue a message that will carry a link: rendered with the placeholders, never a token."""
    values = values | {"link_expires": EXPIRY_PLACEHOLDER}
    try:
        rendered = render_template(session, purpose, values)
        record, _ = outbox.queue_message(
            session,
            purpose=purpose,
            recipient_email=user.email or "",
            subject=rendered.subject,
            body_text=rendered.text.replace(_RENDER_LINK, LINK_PLACEHOLDER),
            body_html=None if rendered.html is None else rendered.html.replace(_RENDER_LINK, LINK_PLACEHOLDER),
            idempotency_key=f"{purpose}:user-{user.id}:link-{secrets.token_hex(16)}",  # one message per request
            actor=actor,
            recipient_user_id=user.id,
            template=purpose,
        )
    except (TemplateError, outbox.OutboxError) as exc:
        raise users_da.UserError(f"The message cannot be queued: {exc}.") from None
    return record


def _void(session: Session, *, user_id: int, purpose: str) -> None:
    """The user's unused links of `purpose` stop working."""
    session.execute(
        delete(PasswordToken).where(
            PasswordToken.user_id == user_id, PasswordToken.purpose == purpose, PasswordToken.used_at.is_(None)
        )
    )


class LinkUnavailable(ValueError):
    """No link can be put into a message now (the account is inactive, or no public address is set)."""


def carries_link(record: outbox.OutboxRecord) -> bool:
    """Whether a message has a link to mint when it is sent."""
    return record.purpose in TOKEN_PURPOSES and (
        LINK_PLACEHOLDER in record.body_text or LINK_PLACEHOLDER in (record.body_html or "")
    )


def fill_link(
    session: Session, *, record: outbox.OutboxRecord, settings: Settings, actor: str, now: dt.datetime | None = None
) -> outbox.OutboxRecord:
    """The message as it is sent: a new link minted for its recipient (their earlier unused links
    of that purpose stop working) and put where the placeholders are, in a copy: the stored row
    keeps the placeholders. A message without a placeholder is returned as it is. LinkUnavailable
    (nothing minted) if the account is no longer active or no link can be made; the caller's unit
    of work must commit before the message goes, so that its link works when it arrives."""
    if not carries_link(record):
        return record
    user = session.get(User, record.recipient_user_id) if record.recipient_user_id is not None else None
    if user is None or not user.active:
        raise LinkUnavailable("the account is no longer active, so no one-time link was made")
    try:
        app_link(settings.public_url, LINK_PAGE, **{"token": "x"})
    except LinkError as exc:
        raise LinkUnavailable(f"no one-time link can be made: {exc}") from None
    link_purpose = TOKEN_PURPOSES[record.purpose]
    if link_purpose == INVITATION:
        lifetime = dt.timedelta(days=settings.invitation_link_days)
    else:
        lifetime = dt.timedelta(minutes=settings.reset_link_minutes)
    issued = issue(session, user_id=user.id, purpose=link_purpose, lifetime=lifetime, actor=actor, now=now)
    link, expires = _link(settings, issued.token), _when(issued.expires_at)
    text = record.body_text.replace(LINK_PLACEHOLDER, link).replace(EXPIRY_PLACEHOLDER, expires)
    html_body = record.body_html
    if html_body is not None:
        html_body = html_body.replace(LINK_PLACEHOLDER, html.escape(link)).replace(
            EXPIRY_PLACEHOLDER, html.escape(expires)
        )
    return replace(record, body_text=text, body_html=html_body)


def invite(
    session: Session, *, user_id: int, settings: Settings, config: CallConfig, actor: str
) -> outbox.OutboxRecord:
    """Queue an invitation (template reviewer.invitation) with a new one-time link for a user
    who has no password yet; their earlier invitation links stop working. UserError (nothing
    queued) if the user is inactive, has a password, has no address, or no link can be made."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise users_da.UserError("Only an active account can be invited.")
    if users_da.has_password(session, user.id):
        raise users_da.UserError(
            f"{user.username} has a password already; they can use “Forgot your password?” on the sign-in page."
        )
    if not user.email:
        raise users_da.UserError(f"{user.username} has no email address: add one, then send the invitation.")
    _link(settings, "x")  # a link can be made (UserError if not), before anything is queued
    _void(session, user_id=user.id, purpose=INVITATION)
    values = {
        "recipient_name": user.name,
        "username": user.username,
        "call_title": config.title,
        "organisers": config.organisers,
        "review_deadline": f"{config.review_deadline:%A} {config.review_deadline.day} {config.review_deadline:%B %Y}",
        "set_password_link": _RENDER_LINK,
    }
    return _queue(session, purpose="reviewer.invitation", user=user, values=values, actor=actor)


def queue_reset(
    session: Session, *, user_id: int, settings: Settings, config: CallConfig, actor: str
) -> outbox.OutboxRecord:
    """Queue a reset message (template reviewer.reset) with a new one-time link, for the admin
    ("Reset password" on the Users page); their earlier reset links stop working. UserError
    (nothing queued) if the user is inactive or has no address, or no link can be made."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise users_da.UserError("Only an active account's password can be reset.")
    if not user.email:
        raise users_da.UserError(f"{user.username} has no email address to send a reset to.")
    record = _queue(session, purpose="reviewer.reset", user=user, values=_reset_values(config, user), actor=actor)
    _void(session, user_id=user.id, purpose=RESET)  # its link is made when it is sent
    return record


def create_and_invite(
    session: Session, *, settings: Settings, config: CallConfig, actor: str, email: str | None, **fields: Any
) -> tuple[users_da.UserRecord, outbox.OutboxRecord]:
    """Add a user without a password and queue their invitation, in the caller's one unit of work."""
    if not (email or "").strip():
        raise users_da.UserError("An invitation needs the person's email address.")
    record = users_da.create_user(session, password_hash=users_da.INVITED_HASH, email=email, actor=actor, **fields)
    return record, invite(session, user_id=record.id, settings=settings, config=config, actor=actor)


def invite_username(
    db: Database, *, username: str, settings: Settings, config: CallConfig, actor: str = "manage.py"
) -> tuple[bool, str]:
    """`python manage.py invite USERNAME`: (True, what was queued) or (False, why nothing was)."""
    with db.read() as session:
        user = users_da.get_user_by_username(session, username)
    if user is None:
        return False, f"There is no user {username!r}; nothing was queued."
    try:
        with db.write() as session:
            message = invite(session, user_id=user.id, settings=settings, config=config, actor=actor)
    except users_da.UserError as exc:
        return False, f"{exc} Nothing was queued."
    return True, (
        f"queued an invitation to {user.username} (message {message.id}); `send-queued` sends it, and its "
        f"link works once, for {settings.invitation_link_days:g} days; earlier invitation links no longer work"
    )


def _matching(session: Session, identifier: str) -> list[User]:
    wanted = identifier.strip().lower()
    if not wanted:
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.active.is_(True), User.email.is_not(None))
            .where(or_(User.username == wanted, func.lower(User.email) == wanted))
            .order_by(User.id)
        )
    )


def _account_allowed(session: Session, person: User, now: dt.datetime) -> bool:
    return auth_da.reserve_attempt(
        session,
        username=f"{RESET_ACCOUNT_KEY}{person.id}",
        max_failures=RESET_MAX_REQUESTS,
        lock_minutes=RESET_WINDOW_MINUTES,
        now=now,
    ).allowed


@dataclass(frozen=True)
class _StandIn:
    name: str = "Someone"
    username: str = "someone"


class ResetUnavailable(ValueError):
    """Resets cannot be sent here (no public address for their links); said the same for every account."""


def request_reset(
    db: Database,
    *,
    identifier: str,
    client: str,
    settings: Settings,
    config: CallConfig,
    now: dt.datetime | None = None,
    answer_seconds: float = RESET_ANSWER_SECONDS,
) -> None:
    """Someone asks to reset the password of `identifier` (a username or an address) from
    `client`. A message (template reviewer.reset) is queued for each active account with
    an address that matches, unless the username/address or the client has asked too
    often within the window. Returns nothing, and never sooner than `answer_seconds`:
    the caller answers the same either way."""
    started = time.monotonic()
    now = now or utcnow()
    try:
        app_link(settings.public_url, LINK_PAGE, **{"token": "x"})
    except LinkError:
        raise ResetUnavailable(RESET_UNAVAILABLE) from None
    identifier = (identifier or "")[:320]
    with db.write() as session:
        allowed = [
            auth_da.reserve_attempt(
                session,
                username=key,
                max_failures=limit,
                lock_minutes=RESET_WINDOW_MINUTES,
                now=now,
            ).allowed
            for key, limit in (
                (RESET_KEY + identifier, RESET_MAX_REQUESTS),
                (RESET_CLIENT_KEY + client_key(client), RESET_MAX_CLIENT_REQUESTS),
            )
        ]
        people = _matching(session, identifier) if all(allowed) else []
        # And a count per account, whichever name (username or address) asked for it.
        people = [person for person in people if _account_allowed(session, person, now)]
        for user in people:
            _queue_reset(session, user=user, config=config)
        if not people:
            # The same rendering work as for an account, for nobody: nothing is written.
            try:
                render_template(session, "reviewer.reset", _reset_values(config, _StandIn()) | {"link_expires": "x"})
            except TemplateError:  # as for an account (`_queue_reset`): logged, and the one answer
                log.warning("a password reset message could not be queued: its template cannot be rendered")
    remaining = answer_seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def client_key(client: str | None) -> str:
    """What the per-client reset count is kept under: the connection's address as the server
    saw it (docs/security.md, One-time links), an IPv6 address by its /64 network (one
    household or machine is usually given a whole /64, so its addresses count as one), and
    "unknown" when there is none (a connection from this machine)."""
    if not client:
        return "unknown"
    try:
        address = ipaddress.ip_address(client.strip())
    except ValueError:
        return client.strip()[:100] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _queue_reset(session: Session, *, user: User, config: CallConfig) -> None:
    """Queue one reset message (its link is minted when it is sent). An address the outbox
    would refuse gets none, and a refusal is logged without the account: the person asking
    sees the one answer."""
    try:
        check_address(user.email)
    except AddressError:
        log.warning("a password reset was asked for an account whose address cannot be written to")
        return
    try:
        _queue(session, purpose="reviewer.reset", user=user, values=_reset_values(config, user), actor=RESET_ACTOR)
    except users_da.UserError:
        log.warning("a password reset message could not be queued: its template cannot be rendered")
        return
    _void(session, user_id=user.id, purpose=RESET)


def _reset_values(config: CallConfig, user: User | _StandIn) -> dict[str, Any]:
    return {
        "recipient_name": user.name,
        "username": user.username,
        "organisers": config.organisers,
        "reset_link": _RENDER_LINK,
    }
