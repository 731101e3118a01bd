"""The panel's decisions on submissions (issue 18; docs/selection.md "Decisions").

The admin records the panel's decision on a submission, shortlisted, not
shortlisted or needs more reviews, always with a reason (`record_decision`).
A change of mind is a new row, never an edit: the submission's rows are
numbered 1, 2, ... (table `panel_decisions`), the highest is the current
decision and the others its history. `expected_version` is the number of the
decision the admin was shown (0: none), an optimistic lock: when two admins
decide at once, one wins and the other is told (`StaleDecision`), nothing
overwritten. Every decision is audited (`decision.record`, with the old and
the new decision and reason).

Who sees what, checked on the server at the moment of each call: the admin
records; the admin and the office read the decisions and their history;
reviewers see no decision at all (nor its reason: the panel's conclusion is
not theirs to be steered by while they may still be reviewing), so every
function that returns a decision refuses them (AccessDenied), as it does a
deactivated account.

A decision of shortlisted or not shortlisted closes the submission's
disagreement flag (docs/scoring.md: the flag stays while the reviewers'
scores stay apart); "needs more reviews" leaves it open, and a later "needs
more reviews" opens it again (`closed_flag_ids`). `shortlisted_ids` feeds the
selection rule `only_shortlisted`. Both hold submission ids only, for the
viewer-independent candidates of the selection (`data_access.lineups`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config import limits
from data_access import audit
from data_access.models import PANEL_DECISIONS, PanelDecision, Submission, utcnow
from data_access.programme import require_staff
from data_access.users import require_role

LABELS = dict(zip(PANEL_DECISIONS, ("Shortlisted", "Not shortlisted", "Needs more reviews"), strict=True))
NO_DECISION = "No decision yet"  # the label of a submission without one (Rankings, Coverage's filter)
CLOSES_FLAG = frozenset({"shortlisted", "not_shortlisted"})
REASON_MAX = limits.DECISION_REASON


class DecisionError(ValueError):
    """A decision that cannot be recorded as asked; the message is for people, and nothing was changed."""


class StaleDecision(DecisionError):
    """Someone recorded a decision on this submission since it was shown; nothing was recorded."""

    def __init__(self, reference: str, current: DecisionRecord) -> None:
        self.current = current
        super().__init__(
            f"Someone else recorded a decision on {reference} a moment ago: {current.label} "
            f"(by {current.decided_by}). Nothing was recorded; read it and decide again if you still want to."
        )


@dataclass(frozen=True)
class DecisionRecord:
    submission_id: int
    reference: str
    version: int  # 1 for the first decision on the submission, then 2, ...
    decision: str  # one of PANEL_DECISIONS
    reason: str  # typed by the admin: show it as text
    decided_by: str
    decided_at: dt.datetime

    @property
    def label(self) -> str:
        return LABELS[self.decision]

    @property
    def closes_flag(self) -> bool:
        return self.decision in CLOSES_FLAG


def _record(row: PanelDecision, reference: str) -> DecisionRecord:
    return DecisionRecord(
        submission_id=row.submission_id,
        reference=reference,
        version=row.version,
        decision=row.decision,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def _latest_versions():
    return (
        select(PanelDecision.submission_id, func.max(PanelDecision.version).label("version"))
        .group_by(PanelDecision.submission_id)
        .subquery()
    )


def _current_rows(session: Session, submission_ids: set[int] | None = None) -> list[tuple[PanelDecision, str]]:
    latest = _latest_versions()
    stmt = (
        select(PanelDecision, Submission.reference)
        .join(
            latest,
            (PanelDecision.submission_id == latest.c.submission_id) & (PanelDecision.version == latest.c.version),
        )
        .join(Submission, Submission.id == PanelDecision.submission_id)
    )
    if submission_ids is not None:
        stmt = stmt.where(PanelDecision.submission_id.in_(sorted(submission_ids)))
    return [(row, ref) for row, ref in session.execute(stmt).all()]


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DecisionError("Give the panel's reason for the decision: a decision is never recorded without one.")
    if "\x00" in text:
        raise DecisionError("The reason holds a NUL character, which cannot be stored. Remove it and try again.")
    if message := limits.too_long("The reason", text, REASON_MAX):
        raise DecisionError(message)
    return text


def record_decision(
    session: Session, *, viewer: Viewer, submission_id: int, decision: str, reason: str, expected_version: int
) -> DecisionRecord:
    """Record the panel's decision on a submission (the admin only), as a new row of its history.

    `expected_version`: the number of the current decision when it was shown (0 when there was none).
    AccessDenied (not an active admin); DecisionError (no such submission, an unknown decision, no reason
    or one too long, the same decision and reason as now); StaleDecision (someone decided in between).
    Nothing is changed when it raises."""
    require_role(session, viewer, Role.ADMIN, to="record the panel's decisions")
    if decision not in LABELS:
        raise DecisionError(f"“{str(decision)[:40]}” is not a decision; choose one of: {', '.join(LABELS.values())}.")
    text = _clean_reason(reason)
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise DecisionError("There is no such submission (it may have been erased).")
    current = current_decision(session, viewer=viewer, submission_id=submission_id)
    current_version = current.version if current else 0
    if current is not None and current_version != expected_version:
        raise StaleDecision(sub.reference, current)
    if current is None and expected_version != 0:
        raise DecisionError(f"The decision on {sub.reference} you were shown is no longer there; look again.")
    if current is not None and (current.decision, current.reason) == (decision, text):
        raise DecisionError(f"That is already the decision on {sub.reference}, with the same reason: nothing recorded.")
    row = PanelDecision(
        submission_id=submission_id,
        version=current_version + 1,
        decision=decision,
        reason=text,
        decided_by=viewer.username,
        decided_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # PostgreSQL: another admin's decision of the same number committed first
        winner = current_decision(session, viewer=viewer, submission_id=submission_id)
        if winner is None:
            raise
        raise StaleDecision(sub.reference, winner) from None
    audit.record(
        session,
        actor=viewer.username,
        action="decision.record",
        entity="submission",
        entity_id=submission_id,
        old=None if current is None else {"decision": current.decision, "reason": current.reason},
        new={"reference": sub.reference, "decision": decision, "reason": text, "version": row.version},
    )
    return _record(row, sub.reference)


def current_decision(session: Session, *, viewer: Viewer, submission_id: int) -> DecisionRecord | None:
    """The submission's current decision (admin and office); None when the panel has not decided."""
    require_staff(session, viewer, "read the panel's decisions")
    rows = _current_rows(session, {submission_id})
    return _record(*rows[0]) if rows else None


def current_decisions(session: Session, *, viewer: Viewer) -> dict[int, DecisionRecord]:
    """Every submission's current decision, by submission id (admin and office)."""
    require_staff(session, viewer, "read the panel's decisions")
    return {row.submission_id: _record(row, ref) for row, ref in _current_rows(session)}


def decision_history(session: Session, *, viewer: Viewer, submission_id: int) -> list[DecisionRecord]:
    """Every decision recorded on the submission, newest first (admin and office)."""
    require_staff(session, viewer, "read the panel's decisions")
    rows = session.execute(
        select(PanelDecision, Submission.reference)
        .join(Submission, Submission.id == PanelDecision.submission_id)
        .where(PanelDecision.submission_id == submission_id)
        .order_by(PanelDecision.version.desc())
    ).all()
    return [_record(row, ref) for row, ref in rows]


def submission_for_reference(session: Session, *, viewer: Viewer, reference: str) -> int:
    """The id of the submission whose reference is exactly `reference` (case and surrounding spaces aside:
    "cfe-0001" is CFE-0001, "CFE-1" is nothing); DecisionError in words otherwise (admin and office)."""
    require_staff(session, viewer, "read the panel's decisions")
    typed = (reference or "").strip().upper()
    if not typed:
        raise DecisionError("Type a submission's reference, e.g. CFE-0001.")
    found = session.scalars(select(Submission.id).where(func.upper(Submission.reference) == typed)).all()
    if len(found) != 1:
        shown = typed if len(typed) <= 40 else typed[:39] + "…"
        raise DecisionError(f"{shown} is not a reference of a submission of this call (type it exactly).")
    return int(found[0])


def decisions_for_export(session: Session) -> dict[int, tuple[str, str]]:
    """Each decided submission's current decision in words and its reason, by submission id, for the
    scores file (`data_access.exports.scores_table`), which is made for the admin and the office only:
    its callers check the role at the moment of the download (`exports.authorise_download`)."""
    return {row.submission_id: (LABELS[row.decision], row.reason) for row, _ref in _current_rows(session)}


# --- for the selection and the Rankings view: ids only, no reason, no identity ------------------


def _current_by_decision(session: Session) -> dict[int, str]:
    return {row.submission_id: row.decision for row, _ref in _current_rows(session)}


def closed_flag_ids(session: Session) -> set[int]:
    """The submissions whose disagreement flag the panel closed: their current decision is shortlisted or
    not shortlisted ("needs more reviews", or no decision, leaves the flag open)."""
    return {sid for sid, decision in _current_by_decision(session).items() if decision in CLOSES_FLAG}


def shortlisted_ids(session: Session) -> set[int]:
    """The submissions whose current decision is shortlisted (the selection rule `only_shortlisted`)."""
    return {sid for sid, decision in _current_by_decision(session).items() if decision == "shortlisted"}
