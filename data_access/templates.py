"""Message templates as the admin edited them, and their previews with real data.

A purpose's template is its stored row in `message_templates`, or else its
default from `messages.templates`. Saving is for an active admin only
(checked here, in the unit of work), validated first (a template with any
problem is refused whole: `TemplateRefused` carries every problem and
nothing is saved), protected against overwriting someone else's edit
(`expected_version`: the version the admin opened, 0 for the default;
`StaleTemplate` if it moved) and audited with the old and new wording.
`reset_template` returns a purpose to its default.

Versions only go up, per purpose: the default is version 0 until the first
save (version 1); a reset makes the default the next version, and the next
save the one after, so a save made against a version from before a reset is
still refused as stale. A default's version is the highest one the purpose
has had, read from the audit log of its saves and resets (written in the
same unit of work as each of them), since a default has no stored row.

`preview` renders a template with real data: the first active reviewer and
the submissions assigned to them (reference and title only: never a
contributor's identity), or the first submission; the spec's examples where
there is no such data, and for what only exists when a message is sent (a
link's token, its expiry, a reply date). `render_template` renders the
stored template for sending, raising `TemplateError` with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Update, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import audit
from data_access.db import rows_matched
from data_access.models import Assignment, AuditEntry, MessageTemplate, Review, Submission, User, utcnow
from data_access.standing import standing_assignments, standing_reviews
from data_access.users import require_role
from messages.links import LinkError, app_link
from messages.templates import TEMPLATES, Problem, Rendered, TemplateError, TemplateSpec, render, spec_for, validate

__all__ = [
    "Preview",
    "StaleTemplate",
    "TemplateError",
    "TemplateRecord",
    "TemplateRefused",
    "call_values",
    "get_template",
    "list_templates",
    "preview",
    "render_template",
    "reset_template",
    "save_template",
]

TO_EDIT = "edit message templates"
# A preview's links carry this word where a sent message carries a real token: it opens nothing.
PREVIEW_TOKEN = "preview"  # noqa: S105 (not a secret: a placeholder that matches no stored token)


@dataclass(frozen=True)
class TemplateRecord:
    """A purpose's template as it is used now. `version` 0 and `is_default`: the default wording."""

    purpose: str
    subject: str
    text: str
    html: str | None
    version: int
    is_default: bool
    updated_by: str | None
    updated_at: dt.datetime | None


class TemplateRefused(ValueError):
    """A template with problems: nothing was saved. `problems` says what, where."""

    def __init__(self, purpose: str, problems: list[Problem]) -> None:
        self.purpose = purpose
        self.problems = problems
        super().__init__(f"{purpose} was not saved: " + "; ".join(str(p) for p in problems))


class StaleTemplate(Exception):
    """The template changed since it was opened; nothing was overwritten."""

    def __init__(self, purpose: str, current: TemplateRecord) -> None:
        self.purpose = purpose
        self.current = current
        super().__init__(
            f"{purpose} was changed by {current.updated_by or 'someone'} since you opened it "
            f"(now version {current.version}); nothing was saved"
        )


def _default(spec: TemplateSpec, version: int = 0) -> TemplateRecord:
    return TemplateRecord(spec.purpose, spec.subject, spec.text, spec.html, version, True, None, None)


_VERSIONED = ("message_template.save", "message_template.reset")


def _last_versions(session: Session, purpose: str | None = None) -> dict[str, int]:
    """The highest version each purpose has had, from the audit log of its saves and resets
    (every one is audited in its own unit of work); a purpose never edited is not listed."""
    stmt = select(AuditEntry.entity_id, AuditEntry.old, AuditEntry.new).where(
        AuditEntry.entity == "message_template", AuditEntry.action.in_(_VERSIONED)
    )
    if purpose is not None:
        stmt = stmt.where(AuditEntry.entity_id == purpose)
    last: dict[str, int] = {}
    for entity_id, *values in session.execute(stmt):
        for value in values:
            version = value.get("version") if isinstance(value, dict) else None
            if isinstance(version, int) and entity_id is not None:
                last[entity_id] = max(last.get(entity_id, 0), version)
    return last


def _record(row: MessageTemplate) -> TemplateRecord:
    return TemplateRecord(
        row.purpose, row.subject, row.body_text, row.body_html, row.version, False, row.updated_by, row.updated_at
    )


def get_template(session: Session, purpose: str) -> TemplateRecord:
    """The purpose's stored template, else its default (KeyError for an unknown purpose)."""
    spec = spec_for(purpose)
    row = session.get(MessageTemplate, purpose)
    return _default(spec, _last_versions(session, purpose).get(purpose, 0)) if row is None else _record(row)


def list_templates(session: Session) -> list[TemplateRecord]:
    """Every purpose's template as used now, in the order of `messages.templates.TEMPLATES`."""
    stored = {row.purpose: row for row in session.scalars(select(MessageTemplate))}
    last = _last_versions(session) if len(stored) < len(TEMPLATES) else {}
    return [_record(stored[p]) if p in stored else _default(spec, last.get(p, 0)) for p, spec in TEMPLATES.items()]


def _html_or_none(html: str | None) -> str | None:
    return html if html is not None and html.strip() else None


def _wording(record: TemplateRecord) -> dict[str, Any]:
    return {"subject": record.subject, "text": record.text, "html": record.html, "version": record.version}


def _change_or_stale(session: Session, purpose: str, stmt: Update | Delete) -> None:
    """Run an UPDATE or DELETE guarded by the version the admin opened; StaleTemplate if it matched nothing."""
    matched = rows_matched(session, stmt)
    session.expire_all()  # the next read sees the row as the database has it now
    if matched != 1:
        raise StaleTemplate(purpose, get_template(session, purpose))


def _audit(session: Session, viewer: Viewer, action: str, before: TemplateRecord, after: TemplateRecord) -> None:
    audit.record(
        session,
        actor=viewer.username,
        action=action,
        entity="message_template",
        entity_id=before.purpose,
        old=_wording(before),
        new=_wording(after),
    )


def save_template(
    session: Session,
    purpose: str,
    subject: str,
    text: str,
    html: str | None,
    viewer: Viewer,
    expected_version: int,
) -> TemplateRecord:
    """Save the admin's wording for `purpose`. Raises AccessDenied (not an active
    admin), TemplateRefused (any problem: nothing saved) or StaleTemplate."""
    require_role(session, viewer, Role.ADMIN, to=TO_EDIT)
    spec = spec_for(purpose)
    html = _html_or_none(html)
    problems = validate(spec, subject, text, html)
    if problems:
        raise TemplateRefused(purpose, problems)
    before = get_template(session, purpose)
    if before.version != expected_version:
        raise StaleTemplate(purpose, before)
    values = {"subject": subject, "body_text": text, "body_html": html, "updated_by": viewer.username}
    if before.is_default:
        try:
            with session.begin_nested():  # two admins saving a default at once: one INSERT wins
                session.add(MessageTemplate(purpose=purpose, version=before.version + 1, updated_at=utcnow(), **values))
        except IntegrityError:
            raise StaleTemplate(purpose, get_template(session, purpose)) from None
    else:
        stmt = (
            update(MessageTemplate)
            .where(MessageTemplate.purpose == purpose, MessageTemplate.version == expected_version)
            .values(version=MessageTemplate.version + 1, updated_at=utcnow(), **values)
        )
        _change_or_stale(session, purpose, stmt)
    after = get_template(session, purpose)
    _audit(session, viewer, "message_template.save", before, after)
    return after


def reset_template(session: Session, purpose: str, viewer: Viewer, expected_version: int) -> TemplateRecord:
    """Return `purpose` to its default wording (admin only; StaleTemplate if it moved)."""
    require_role(session, viewer, Role.ADMIN, to=TO_EDIT)
    spec = spec_for(purpose)
    before = get_template(session, purpose)
    if before.version != expected_version:
        raise StaleTemplate(purpose, before)
    if before.is_default:
        return before
    stmt = delete(MessageTemplate).where(
        MessageTemplate.purpose == purpose, MessageTemplate.version == expected_version
    )
    _change_or_stale(session, purpose, stmt)
    after = _default(spec, before.version + 1)  # the default, as the next version: versions only go up
    _audit(session, viewer, "message_template.reset", before, after)
    return after


def render_template(session: Session, purpose: str, values: Mapping[str, Any]) -> Rendered:
    """The purpose's template as used now, rendered with `values`; TemplateError with the reason."""
    record = get_template(session, purpose)
    return render(spec_for(purpose), record.subject, record.text, record.html, values)


# Previews with real data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A rendered preview, the variables that came from real data, and whose data it shows."""

    rendered: Rendered
    real: tuple[str, ...]
    about: str  # "Priya Shah (reviewer)", "CFE-0042", or "examples"


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def call_values(config: CallConfig) -> dict[str, Any]:
    """The call's own values for a message (title, organisers, conference, review deadline)."""
    return {
        "call_title": config.title,
        "organisers": config.organisers,
        "conference": config.conference,
        "review_deadline": _long_date(config.review_deadline),
    }


# Each link variable: the page it opens and the query parameter that carries its token
# (a reply link's is `reply`, `data_access.invitations.REPLY_PARAM`: `token` is a password link's).
LINKS = {
    "set_password_link": ("set_password", "token"),
    "reset_link": ("set_password", "token"),
    "reply_link": ("reply", "reply"),
}


def _links(spec: TemplateSpec, base_url: str | None) -> dict[str, Any]:
    """The spec's link variables, made from the public address with a token that opens nothing."""
    if not base_url:
        return {}
    try:
        made = {name: app_link(base_url, path, **{param: PREVIEW_TOKEN}) for name, (path, param) in LINKS.items()}
        made["app_link"] = app_link(base_url)
    except LinkError:
        return {}
    names = {v.name for v in spec.variables}
    return {name: link for name, link in made.items() if name in names}


def _first_reviewer(session: Session) -> User | None:
    stmt = select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.id).limit(1)
    return session.scalars(stmt).first()


def reviewer_values(session: Session, reviewer: User) -> dict[str, Any]:
    """A reviewer's own values for a message: name, username, their standing assignments
    (reference and title, which they may read; never an identity) and their counts."""
    stmt = standing_assignments(
        select(Submission.reference, Submission.title)
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
    )
    rows = session.execute(stmt.where(Assignment.reviewer_id == reviewer.id).order_by(Submission.reference)).all()
    done = session.scalar(
        standing_reviews(select(func.count(Review.id))).where(
            Review.reviewer_id == reviewer.id, Review.status == "submitted"
        )
    )
    return {
        "recipient_name": reviewer.name,
        "username": reviewer.username,
        "assignments": [{"reference": r.reference, "title": r.title} for r in rows],
        "assigned_count": len(rows),
        "new_count": len(rows),
        "unfinished_count": len(rows) - int(done or 0),
    }


def _contributor_values(session: Session) -> tuple[str, dict[str, Any]] | None:
    row = session.execute(
        select(Submission.reference, Submission.title, Submission.contact_name).order_by(Submission.id).limit(1)
    ).first()
    if row is None:
        return None
    return row.reference, {"reference": row.reference, "title": row.title, "recipient_name": row.contact_name or ""}


def _real_values(session: Session, spec: TemplateSpec) -> tuple[str, dict[str, Any]]:
    if spec.recipient == "reviewer":
        reviewer = _first_reviewer(session)
        if reviewer is not None:
            return f"{reviewer.name} (reviewer)", reviewer_values(session, reviewer)
    else:
        found = _contributor_values(session)
        if found is not None:
            return found
    return "examples", {}


def preview(
    session: Session,
    purpose: str,
    subject: str,
    text: str,
    html: str | None,
    *,
    viewer: Viewer,
    config: CallConfig,
    base_url: str | None = None,
) -> Preview:
    """The wording given (saved or not), rendered as one real recipient would receive it
    (admin only: it shows a real reviewer's or contributor's data). TemplateError with the
    reason if it cannot be rendered."""
    require_role(session, viewer, Role.ADMIN, to="preview messages")
    spec = spec_for(purpose)
    about, real = _real_values(session, spec)
    real |= call_values(config) | _links(spec, base_url)
    names = {v.name for v in spec.variables}
    real = {name: value for name, value in real.items() if name in names}
    values = spec.examples() | real
    rendered = render(spec, subject, text, _html_or_none(html), values)
    return Preview(rendered, tuple(sorted(real)), about)
