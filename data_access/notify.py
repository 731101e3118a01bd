"""Messages the app queues by itself: new-assignment digests, review reminders
and acknowledgements of receipt (docs/messages.md, "Digests, reminders and
acknowledgements").

Every function renders every message first and queues them together through
`outbox.queue_many` in the caller's unit of work: a template that cannot be
rendered (`NotifyError`, with the reason) queues nothing. Recipients without
a usable address are listed, and nothing is queued for them.

* `queue_digests`: one message per active reviewer listing the submissions
  assigned to them since their last digest (reference and title only: never
  a contributor's identity). The key is the reviewer and the set of those
  assignments' ids, so a second click queues nothing and a later batch of
  assignments queues a new digest.
* `queue_reminders`: to reviewers with unfinished reviews, the reminder up to
  and on the review deadline, the overdue notice after it; one per reviewer,
  purpose and day (key), so running it twice a day queues once.
* `acknowledge_import`: one acknowledgement per submission an import added,
  to its stored contact address (anonymous contributors too: their address is
  only in the outbox, which only the admin sees); one per submission ever.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.roles import Role
from config.call_config import CallConfig
from config.mail_address import AddressError, check_address
from data_access.assignments import _lock as lock_assignments
from data_access.imports import ImportResult
from data_access.models import Assignment, OutboxMessage, Submission, User, utcnow
from data_access.outbox import NewMessage, OutboxError, queue_many
from data_access.reviews import review_progress
from data_access.standing import standing_assignments
from data_access.templates import call_values, render_template, reviewer_values
from messages.links import LinkError, app_link
from messages.templates import TemplateError, spec_for

DIGEST = "reviewer.assignments"
REMINDER = "reviewer.reminder"
OVERDUE = "reviewer.overdue"
ACKNOWLEDGEMENT = "contributor.acknowledgement"
NO_ADDRESS = "no email address"


class NotifyError(ValueError):
    """Messages that cannot be made (no public address, a template that fails); nothing was queued."""


@dataclass
class ReviewerNotice:
    """What a digest or reminder run did, by reviewer name."""

    purpose: str
    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # queued before under the same key: nothing new
    unreachable: list[tuple[str, str]] = field(default_factory=list)  # (name, why): nothing queued
    nothing_to_do: list[str] = field(default_factory=list)  # chosen, but no new or unfinished work

    def lines(self) -> list[str]:
        """The report in words, one line each (names as given: print them as text)."""
        out = [f"{self.purpose}: {len(self.queued)} queued, {len(self.already)} already queued"]
        out += [f"  queued for {name}" for name in self.queued]
        out += [f"  already queued for {name}" for name in self.already]
        out += [f"  not reachable: {name} ({why})" for name, why in self.unreachable]
        out += [f"  nothing to send to {name}" for name in self.nothing_to_do]
        return out


@dataclass
class AcknowledgementReport:
    """What `acknowledge_import` did: counts, and the references left out and why (never an address)."""

    queued: int = 0
    already: int = 0
    no_address: list[str] = field(default_factory=list)
    bad_address: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)

    def lines(self) -> list[str]:
        out = [f"acknowledgements: {self.queued} queued, {self.already} already queued"]
        if self.no_address:
            out.append("  no contact address: " + ", ".join(self.no_address))
        out += [f"  not queued, {reference}: {why}" for reference, why in self.bad_address]
        return out


def _link(base_url: str | None) -> str:
    try:
        return app_link(base_url or "")
    except LinkError as exc:
        raise NotifyError(
            f"Reviewers' messages link to the app, and its address cannot be made ({exc}): "
            "set EVIDENCE_PUBLIC_URL (docs/settings.md). Nothing was queued."
        ) from None


def _render(session: Session, purpose: str, values: dict[str, Any]) -> Any:
    names = {v.name for v in spec_for(purpose).variables}
    try:
        return render_template(session, purpose, {k: v for k, v in values.items() if k in names})
    except TemplateError as exc:
        raise NotifyError(
            f"The {purpose} template cannot be rendered ({exc}); fix it on the Messages page. Nothing was queued."
        ) from None


def _address(value: str | None) -> tuple[str | None, str]:
    """(the address, "") or (None, why it cannot be written to)."""
    if not value or not value.strip():
        return None, NO_ADDRESS
    try:
        return check_address(value), ""
    except AddressError as exc:
        return None, str(exc)


def new_message(purpose: str, to: str, rendered: Any, key: str, **about: Any) -> NewMessage:
    """The outbox's new message for a rendered template (`about`: recipient_user_id or submission_id)."""
    return NewMessage(
        purpose=purpose,
        recipient_email=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        idempotency_key=key,
        template=purpose,
        **about,
    )


def _queue(session: Session, messages: list[NewMessage], actor: str, now: dt.datetime) -> list[bool]:
    """Queue the messages together; for each, whether it is new (False: its key was queued before)."""
    if not messages:
        return []
    before = set(
        session.scalars(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_([m.idempotency_key for m in messages])
            )
        )
    )
    try:
        queue_many(session, messages=messages, actor=actor, now=now)
    except OutboxError as exc:
        raise NotifyError(str(exc)) from None
    return [m.idempotency_key not in before for m in messages]


def _reviewers(session: Session, ids: Iterable[int] | None) -> list[User]:
    stmt = select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.name, User.id)
    if ids is not None:
        stmt = stmt.where(User.id.in_(list(ids)))
    return list(session.scalars(stmt))


def _to_reviewer(
    session: Session, pending: list[tuple[str, NewMessage]], report: ReviewerNotice, reviewer: User, **message: Any
) -> None:
    """Render one reviewer's message into `pending`, or list them as not reachable."""
    to, why = _address(reviewer.email)
    if to is None:
        report.unreachable.append((reviewer.name, why))
        return
    rendered = _render(session, report.purpose, message.pop("values"))
    new = new_message(report.purpose, to, rendered, message.pop("key"), recipient_user_id=reviewer.id)
    pending.append((reviewer.name, new))


def _queue_for_reviewers(
    session: Session, pending: list[tuple[str, NewMessage]], report: ReviewerNotice, actor: str, now: dt.datetime
) -> ReviewerNotice:
    created = _queue(session, [m for _, m in pending], actor, now)
    for (name, _), new in zip(pending, created, strict=True):
        (report.queued if new else report.already).append(name)
    return report


# --- digests of new assignments -------------------------------------------------------------


def _last_digests(session: Session) -> dict[int, dt.datetime]:
    stmt = (
        select(OutboxMessage.recipient_user_id, func.max(OutboxMessage.created_at))
        .where(OutboxMessage.purpose == DIGEST, OutboxMessage.recipient_user_id.is_not(None))
        .group_by(OutboxMessage.recipient_user_id)
    )
    return {uid: when for uid, when in session.execute(stmt) if uid is not None and when is not None}


def _new_assignments(session: Session, reviewer_id: int, since: dt.datetime | None) -> list[Any]:
    stmt = standing_assignments(
        select(Assignment.id, Submission.reference, Submission.title)
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
    ).where(Assignment.reviewer_id == reviewer_id)
    if since is not None:
        stmt = stmt.where(Assignment.created_at > since)
    return list(session.execute(stmt.order_by(Submission.reference)))


def digest_key(reviewer_id: int, assignment_ids: Sequence[int]) -> str:
    """One digest per reviewer and set of assignments."""
    digest = hashlib.sha256(",".join(str(i) for i in sorted(assignment_ids)).encode()).hexdigest()[:32]
    return f"{DIGEST}:{reviewer_id}:{digest}"


def queue_digests(
    session: Session, *, config: CallConfig, base_url: str | None, actor: str, now: dt.datetime | None = None
) -> ReviewerNotice:
    """One digest per active reviewer with assignments made since their last digest (every
    standing assignment if they never had one), in the caller's unit of work."""
    link = _link(base_url)
    lock_assignments(session)  # PostgreSQL: after any assignment being made now (SQLite: one writer at a time)
    now = now or utcnow()
    last = _last_digests(session)
    report = ReviewerNotice(DIGEST)
    pending: list[tuple[str, NewMessage]] = []
    for reviewer in _reviewers(session, None):
        new = _new_assignments(session, reviewer.id, last.get(reviewer.id))
        if not new:
            continue
        values = reviewer_values(session, reviewer) | call_values(config) | {"app_link": link}
        values |= {"new_count": len(new), "assignments": [{"reference": r.reference, "title": r.title} for r in new]}
        key = digest_key(reviewer.id, [r.id for r in new])
        _to_reviewer(session, pending, report, reviewer, values=values, key=key)
    return _queue_for_reviewers(session, pending, report, actor, now)


# --- reminders ---------------------------------------------------------------------------------


def reminder_purpose(config: CallConfig, today: dt.date) -> str:
    """The reminder up to and on the review deadline; the overdue notice after it."""
    return REMINDER if today <= config.review_deadline else OVERDUE


def unfinished_reviewers(session: Session) -> list[tuple[int, str, int]]:
    """(id, name, unfinished reviews) of every active reviewer with unfinished work, by name."""
    return unfinished_in(review_progress(session))  # the same counts as the progress table, in a few queries


def unfinished_in(progress: pd.DataFrame) -> list[tuple[int, str, int]]:
    """`unfinished_reviewers` from the progress table already read (`review_progress`)."""
    progress = progress[progress["active"]]
    unfinished = progress["assigned"] - progress["conflicts"] - progress["submitted"]
    return [
        (int(reviewer_id), str(name), int(n))
        for reviewer_id, name, n in zip(progress["reviewer_id"], progress["reviewer"], unfinished, strict=True)
        if n > 0
    ]


def queue_reminders(
    session: Session,
    *,
    config: CallConfig,
    base_url: str | None,
    actor: str,
    reviewer_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> ReviewerNotice:
    """A reminder (or, after the deadline, an overdue notice) to each chosen active reviewer
    (None: every one) with unfinished reviews, once per reviewer, purpose and day (UTC)."""
    link = _link(base_url)
    now = now or utcnow()
    today = now.astimezone(dt.UTC).date()
    purpose = reminder_purpose(config, today)
    report = ReviewerNotice(purpose)
    pending: list[tuple[str, NewMessage]] = []
    for reviewer in _reviewers(session, reviewer_ids):
        values = reviewer_values(session, reviewer) | call_values(config) | {"app_link": link}
        if values["unfinished_count"] <= 0:
            report.nothing_to_do.append(reviewer.name)
            continue
        key = f"{purpose}:{reviewer.id}:{today.isoformat()}"
        _to_reviewer(session, pending, report, reviewer, values=values, key=key)
    return _queue_for_reviewers(session, pending, report, actor, now)


# --- acknowledgements of receipt ---------------------------------------------------------------


def acknowledge_import(
    session: Session, *, result: ImportResult, config: CallConfig, actor: str, now: dt.datetime | None = None
) -> AcknowledgementReport:
    """One acknowledgement per submission the import added, to its stored contact address,
    in the import's unit of work (call it right after `apply_import`, in the same session)."""
    report = AcknowledgementReport()
    references = [row.reference() for row in result.plan.rows_with("add")]
    if result.batch_id is None or not references:
        return report
    submissions = []
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        submissions += list(session.scalars(select(Submission).where(Submission.reference.in_(chunk))))
    messages = []
    for sub in sorted(submissions, key=lambda s: s.reference):
        to, why = _address(sub.contact_email)
        if to is None and why == NO_ADDRESS:
            report.no_address.append(sub.reference)
        elif to is None:
            report.bad_address.append((sub.reference, why))
        if to is None:
            continue
        values = call_values(config) | {
            "recipient_name": sub.contact_name or "",
            "reference": sub.reference,
            "title": sub.title,
        }
        rendered = _render(session, ACKNOWLEDGEMENT, values)
        key = f"{ACKNOWLEDGEMENT}:{sub.id}"
        messages.append(new_message(ACKNOWLEDGEMENT, to, rendered, key, submission_id=sub.id))
    created = _queue(session, messages, actor, now or utcnow())
    report.queued = sum(created)
    report.already = len(created) - report.queued
    return report


def acknowledger(config: CallConfig, actor: str, lines: list[str]) -> Callable[[Session, ImportResult], None]:
    """An `after` for `import_attachments.run_import`: acknowledges the import in its unit of
    work and adds the report's lines to `lines` (the command line prints them)."""

    def after(session: Session, result: ImportResult) -> None:
        lines.extend(acknowledge_import(session, result=result, config=config, actor=actor).lines())

    return after
