"""Likely duplicates: the flags an import writes (`flag_duplicates`, in the
import's unit of work), the pairs already flagged, and a person's decision
on one (listed and decided, with the audit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, aliased

from data_access import audit
from data_access.models import DuplicateFlag, Submission, utcnow
from importing import ImportPlan

_FLAGS = cast(Table, DuplicateFlag.__table__)


class FlagError(ValueError):
    pass


@dataclass(frozen=True)
class FlagView:
    id: int
    status: str
    reason: str
    submission_id: int
    reference: str
    title: str
    other_submission_id: int
    other_reference: str
    other_title: str
    import_batch_id: int | None
    decided_by: str | None
    decided_at: dt.datetime | None


def list_flags(session: Session, *, status: str | None = "open") -> list[FlagView]:
    """Duplicate flags with both submissions' references and titles (admin only)."""
    other = aliased(Submission)
    stmt = (
        select(
            DuplicateFlag.id,
            DuplicateFlag.status,
            DuplicateFlag.reason,
            Submission.id,
            Submission.reference,
            Submission.title,
            other.id,
            other.reference,
            other.title,
            DuplicateFlag.import_batch_id,
            DuplicateFlag.decided_by,
            DuplicateFlag.decided_at,
        )
        .join(Submission, Submission.id == DuplicateFlag.submission_id)
        .join(other, other.id == DuplicateFlag.other_submission_id)
        .order_by(DuplicateFlag.id)
    )
    if status is not None:
        stmt = stmt.where(DuplicateFlag.status == status)
    # tuple(row): mypy cannot spread a Row of more than ten typed columns into the arguments.
    return [FlagView(*tuple(row)) for row in session.execute(stmt)]


def decide_flag(session: Session, *, flag_id: int, status: str, actor: str) -> None:
    """Record a person's decision on a likely duplicate ("duplicate" or "not_duplicate")."""
    if status not in ("duplicate", "not_duplicate"):
        raise FlagError("A decision is either \u201cduplicate\u201d or \u201cnot a duplicate\u201d.")
    flag = session.get(DuplicateFlag, flag_id)
    if flag is None:
        raise FlagError("This likely duplicate no longer exists (one of the submissions may have been erased).")
    if flag.status == status:
        raise FlagError("This decision was already recorded.")
    old = {"status": flag.status, "decided_by": flag.decided_by}
    flag.status = status
    flag.decided_by = actor
    flag.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="duplicate_flag.decide",
        entity="duplicate_flag",
        entity_id=flag_id,
        old=old,
        new={"status": status, "submission_id": flag.submission_id, "other_submission_id": flag.other_submission_id},
    )


def flagged_pairs(session: Session) -> set[frozenset[int]]:
    """Pairs of submissions that already have a duplicate flag, in any state."""
    return {
        frozenset(pair)
        for pair in session.execute(select(DuplicateFlag.submission_id, DuplicateFlag.other_submission_id))
    }


def flag_duplicates(
    session: Session, plan: ImportPlan, *, ids_by_row: dict[int, int], batch_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    """Write the plan's likely-duplicate flags (each pair once); the flags written, as data."""
    flags = []
    seen: set[frozenset[int]] = set()
    for d in plan.duplicates:
        sid = ids_by_row[d.row]
        other = d.other_submission_id if d.other_submission_id is not None else ids_by_row[d.other_row or 0]
        pair = frozenset((sid, other))
        if sid == other or pair in seen:
            continue
        seen.add(pair)
        flags.append(
            {
                "submission_id": sid,
                "other_submission_id": other,
                "reference": d.reference,
                "other_reference": d.other_reference,
                "reason": d.reason[:200],
                "row": d.row,
            }
        )
    if flags:
        session.execute(
            insert(_FLAGS),
            [
                {
                    "submission_id": f["submission_id"],
                    "other_submission_id": f["other_submission_id"],
                    "reason": f["reason"],
                    "status": "open",
                    "import_batch_id": batch_id,
                    "created_at": now,
                }
                for f in flags
            ],
        )
    return flags
