"""Data protection: erasing a submission, and removing contact details once
the call's retention period is over.

Erasure removes the submission and everything that hangs off it (codes,
links, assignments, conflicts, reviews and scores, line-up places, duplicate
flags, the messages written to its contributor in the outbox, its evidence
documents with their text and the stored bytes no other submission's document
holds) in one unit of work, strips its personal data from the audit log and
from the record of past imports, empties the stored original files that held
it, and records the erasure itself with the reference and counts only. Caches
key on `audit.data_version`, which the erasure's unit of work moves, so no page
or export shows the submission afterwards.

Retention: `python manage.py purge-expired` removes contact names and emails
(and an anonymous contributor's organisation) of submissions received more than
`call.retention_months` ago, and the stored original files imported before
then, and strips those details from the audit log. It also deletes the
outbox's messages (addresses and bodies) queued before then, and the messages
to the contributors whose details it removes, and the evidence documents (their
bytes and text) of submissions received before then, with their file names in
the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from config.call_config import CallConfig
from data_access import audit
from data_access.documents import delete_submissions_documents
from data_access.models import (
    Assignment,
    AuditEntry,
    ConflictOfInterest,
    DuplicateFlag,
    ImportBatch,
    LineUpMember,
    OutboxMessage,
    Review,
    Submission,
    SubmissionDocument,
    utcnow,
)

ERASURE_REASONS = {
    "request": "the contributor asked for it to be erased",
    "error": "it was submitted or imported in error",
    "duplicate": "it duplicates another submission",
    "other": "another reason recorded outside the app",
}
# Keys whose values can identify a contributor or quote their submission.
PERSONAL_KEYS = frozenset(
    {
        "title",
        "summary",
        "organisation",
        "contact_name",
        "contact_email",
        "region",
        "notes",
        "links",
        "comment",
        "reason",
        "received_at",
        "other_title",
        "organisations",
        "contact",
        "recipient",
        "original_name",  # an evidence document's file name ("Acme Trust evaluation.pdf")
    }
)
CONTACT_KEYS = frozenset({"contact_name", "contact_email", "recipient"})
REDACTED = "(erased)"


class ErasureError(ValueError):
    """The erasure cannot be done; the message is for people."""


@dataclass(frozen=True)
class ErasureReport:
    reference: str
    reviews: int
    assignments: int
    conflicts: int
    line_up_places: int
    duplicate_flags: int
    audit_entries_redacted: int
    import_files_emptied: int
    messages: int = 0
    documents: int = 0


def _strip(value: Any, keys: frozenset[str]) -> tuple[Any, bool]:
    """`value` with the given keys removed at any depth; and whether anything was."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in keys:
                out[k] = REDACTED
                changed = changed or v not in (None, REDACTED)
                continue
            new_v, ch = _strip(v, keys)
            out[k] = new_v
            changed = changed or ch
        return out, changed
    if isinstance(value, list):
        results = [_strip(v, keys) for v in value]
        return [r[0] for r in results], any(r[1] for r in results)
    return value, False


def _mentions(value: Any, *, submission_id: int, reference: str) -> bool:
    if isinstance(value, dict):
        if submission_id in (value.get("submission_id"), value.get("other_submission_id")):
            return True
        if reference in (value.get("reference"), value.get("other_reference")):
            return True
        return any(_mentions(v, submission_id=submission_id, reference=reference) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, submission_id=submission_id, reference=reference) for v in value)
    return False


def _redact_audit(session: Session, *, submission_ids: dict[int, str], keys: frozenset[str]) -> int:
    """Strip `keys` from audit entries about the given submissions."""
    ids_text = [str(i) for i in submission_ids]
    refs = list(submission_ids.values())
    messages = [
        str(i)
        for i in session.scalars(select(OutboxMessage.id).where(OutboxMessage.submission_id.in_(list(submission_ids))))
    ]
    candidates = session.scalars(
        select(AuditEntry).where(
            or_(
                (AuditEntry.entity == "submission") & AuditEntry.entity_id.in_(ids_text + refs),
                AuditEntry.entity.in_(("review", "assignment", "conflict", "duplicate_flag", "document")),
                (AuditEntry.entity == "outbox_message") & AuditEntry.entity_id.in_(messages),
            )
        )
    )
    changed = 0
    for entry in candidates:
        about = entry.entity == "submission" or any(
            _mentions(entry.old, submission_id=i, reference=r) or _mentions(entry.new, submission_id=i, reference=r)
            for i, r in submission_ids.items()
        )
        if not about:
            continue
        old, old_changed = _strip(entry.old, keys)
        new, new_changed = _strip(entry.new, keys)
        if old_changed or new_changed:
            entry.old, entry.new = old, new
            changed += 1
    return changed


def _redact_batches(
    session: Session, *, submission_ids: dict[int, str], keys: frozenset[str], empty_files: bool, note: str
) -> int:
    emptied = 0
    for batch in session.scalars(select(ImportBatch)):
        hits = [
            c
            for c in batch.changes or []
            if any(_mentions(c, submission_id=i, reference=r) for i, r in submission_ids.items())
        ]
        if not hits:
            continue
        batch.changes = [_strip(c, keys)[0] if c in hits else c for c in batch.changes]
        if empty_files and batch.content is not None:
            batch.content = None
            batch.content_removed_reason = note
            emptied += 1
    return emptied


def was_erased(session: Session, *, reference: str) -> bool:
    """Whether a submission with this reference was erased (its erasure's audit entry keeps the reference)."""
    entries = session.scalars(select(AuditEntry.new).where(AuditEntry.action == "submission.erase"))
    return any(isinstance(new, dict) and new.get("reference") == reference for new in entries)


def erase_submission(session: Session, *, submission_id: int, actor: str, reason: str) -> ErasureReport:
    """Erase one submission everywhere; see the module's description."""
    if reason not in ERASURE_REASONS:
        raise ErasureError(f"Choose one of the reasons: {', '.join(ERASURE_REASONS)}.")
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise ErasureError("There is no such submission (it may have been erased already).")
    reference = sub.reference

    def count(model, column) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(column == submission_id)) or 0)

    counts = {
        "reviews": count(Review, Review.submission_id),
        "assignments": count(Assignment, Assignment.submission_id),
        "conflicts": count(ConflictOfInterest, ConflictOfInterest.submission_id),
        "line_up_places": count(LineUpMember, LineUpMember.submission_id),
        "duplicate_flags": int(
            session.scalar(
                select(func.count(DuplicateFlag.id)).where(
                    or_(
                        DuplicateFlag.submission_id == submission_id, DuplicateFlag.other_submission_id == submission_id
                    )
                )
            )
            or 0
        ),
        "messages": count(OutboxMessage, OutboxMessage.submission_id),
    }
    batch_ids = {sub.import_batch_id} - {None}
    ids = {submission_id: reference}
    redacted = _redact_audit(session, submission_ids=ids, keys=PERSONAL_KEYS)
    emptied = _redact_batches(
        session,
        submission_ids=ids,
        keys=PERSONAL_KEYS,
        empty_files=True,
        note=f"Original file removed on {utcnow():%Y-%m-%d}: it held a submission ({reference}) that was erased.",
    )
    for batch_id in batch_ids:  # the file it came from, even if the change list did not name it
        batch = session.get(ImportBatch, batch_id)
        if batch is not None and batch.content is not None:
            batch.content = None
            batch.content_removed_reason = (
                f"Original file removed on {utcnow():%Y-%m-%d}: it held a submission ({reference}) that was erased."
            )
            emptied += 1
    # Its contributor's messages hold their address and words: deleted now (the foreign key would cascade too).
    session.execute(delete(OutboxMessage).where(OutboxMessage.submission_id == submission_id))
    # Its documents, their text, and the bytes no other submission's document holds (no cascade reaches those).
    counts["documents"] = delete_submissions_documents(session, submission_ids=[submission_id])
    session.delete(sub)  # codes, links, assignments, conflicts, reviews, places and flags cascade
    session.flush()
    report = ErasureReport(reference=reference, audit_entries_redacted=redacted, import_files_emptied=emptied, **counts)
    audit.record(
        session,
        actor=actor,
        action="submission.erase",
        entity="submission",
        entity_id=submission_id,
        new=asdict(report),
        detail=ERASURE_REASONS[reason],
    )
    return report


@dataclass(frozen=True)
class PurgeReport:
    cutoff: dt.datetime
    submissions: int
    audit_entries_redacted: int
    import_files_emptied: int
    dry_run: bool
    messages: int = 0
    documents: int = 0


def retention_cutoff(config: CallConfig, now: dt.datetime) -> dt.datetime:
    """`now` minus the call's retention period in whole months (clamped to month ends)."""
    months = now.year * 12 + (now.month - 1) - config.retention_months
    year, month = divmod(months, 12)
    month += 1
    days_in_month = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return now.replace(year=year, month=month, day=min(now.day, days_in_month))


def purge_expired(
    session: Session, *, config: CallConfig, actor: str, now: dt.datetime | None = None, dry_run: bool = False
) -> PurgeReport:
    """Remove contact details past the retention period (nothing with dry_run)."""
    now = now or utcnow()
    cutoff = retention_cutoff(config, now)
    received = func.coalesce(Submission.received_at, Submission.created_at)
    expired = session.execute(
        select(Submission.id, Submission.reference, Submission.anonymous).where(
            received < cutoff,
            Submission.contact_purged_at.is_(None),
            or_(
                Submission.contact_name.is_not(None),
                Submission.contact_email.is_not(None),
                Submission.anonymous & Submission.organisation.is_not(None),
            ),
        )
    ).all()
    old_files = (
        session.scalar(
            select(func.count(ImportBatch.id)).where(ImportBatch.imported_at < cutoff, ImportBatch.content.is_not(None))
        )
        or 0
    )
    ids = {row.id: row.reference for row in expired}
    old_messages = or_(OutboxMessage.created_at < cutoff, OutboxMessage.submission_id.in_(list(ids)))
    messages = int(session.scalar(select(func.count(OutboxMessage.id)).where(old_messages)) or 0)
    with_documents = dict(
        session.execute(
            select(Submission.id, Submission.reference)
            .where(received < cutoff)
            .where(select(SubmissionDocument.id).where(SubmissionDocument.submission_id == Submission.id).exists())
        ).all()
    )
    documents = int(
        session.scalar(
            select(func.count(SubmissionDocument.id)).where(SubmissionDocument.submission_id.in_(list(with_documents)))
        )
        or 0
    )
    if dry_run:
        return PurgeReport(cutoff, len(expired), 0, int(old_files), True, messages, documents)
    anonymous = [row.id for row in expired if row.anonymous]
    redacted = 0
    if ids:
        session.execute(
            update(Submission)
            .where(Submission.id.in_(list(ids)))
            .values(contact_name=None, contact_email=None, contact_purged_at=now)
        )
        if anonymous:
            session.execute(update(Submission).where(Submission.id.in_(anonymous)).values(organisation=None))
        keys = CONTACT_KEYS | ({"organisation"} if anonymous else frozenset())
        redacted = _redact_audit(session, submission_ids=ids, keys=frozenset(keys))
        _redact_batches(session, submission_ids=ids, keys=frozenset(keys), empty_files=False, note="")
    session.execute(delete(OutboxMessage).where(old_messages))  # after the audit's redaction, which looks them up
    if with_documents:  # the evidence itself, its text, and its file names in the log
        delete_submissions_documents(session, submission_ids=list(with_documents))
        redacted += _redact_audit(session, submission_ids=with_documents, keys=frozenset({"original_name"}))
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.imported_at < cutoff, ImportBatch.content.is_not(None))
        .values(
            content=None,
            content_removed_reason=f"Original file removed on {now:%Y-%m-%d} at the "
            "end of the call's retention period.",
        )
    )
    report = PurgeReport(cutoff, len(ids), redacted, int(old_files), False, messages, documents)
    audit.record(
        session,
        actor=actor,
        action="retention.purge",
        entity="call",
        entity_id=config.call_id,
        new={
            "cutoff": cutoff,
            "submissions": report.submissions,
            "audit_entries_redacted": redacted,
            "import_files_emptied": report.import_files_emptied,
            "messages": messages,
            "documents": documents,
        },
        detail=f"contact details and evidence documents older than {config.retention_months} months removed",
    )
    return report
