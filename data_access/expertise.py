"""Reviewers' expertise and bids (docs/reviewing.md, "Expertise and bids").

A reviewer states the call's themes and focus areas they know well and may
bid on submissions: eager, willing, rather not, or conflict. A conflict bid is
a declared conflict of interest, recorded through
`data_access.assignments.declare_conflict` like one declared from the review
form, so every rule that knows conflicts applies at once (it ends an
assignment, excludes the pair from every run, cannot be withdrawn for them).

Bids are the reviewer's alone: only they read or change them (checked on the
server, in the unit of work, at each call). The admin sees how well the
assignment fits each reviewer as counts (`reviewer_fit`), never the list; the
office sees neither. The audit log records that bids or expertise changed and
how many, not which submissions.

Edits are checked against what the reviewer saw (optimistic): a bid or an
expertise list changed meanwhile (another tab) refuses the whole save.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer, shown_fields
from config.call_config import CallConfig
from data_access import audit
from data_access.assignments import AssignmentError, _reviewer_input, _submission_input, declare_conflict
from data_access.bid_models import ReviewerExpertise, SubmissionBid
from data_access.models import Assignment, ConflictOfInterest, Submission, SubmissionCode, User, utcnow
from data_access.standing import standing_assignments
from data_access.users import require_role
from scoring.assignment import AssignmentPlan, exclusion
from scoring.fit import BID_LEVELS, FitCounts, FitInput, FitWeights, fit_counts

CONFLICT = "conflict"
CHOICES = (*BID_LEVELS, CONFLICT)  # what a reviewer may choose; None clears a bid
SUMMARY_CHARS = 300  # the summary shown beside a bid, at most
CONFLICT_REASON = "Declared with a bid on the Expertise and bids page."


class BidError(ValueError):
    """A bid or expertise edit that cannot be made; the message is for people."""


@dataclass(frozen=True)
class BidRow:
    """One submission as a reviewer may see it before assignment, with their bid."""

    submission_id: int
    reference: str
    title: str
    organisation: str  # as the reviewer may see it: "(anonymous)" / "(hidden)" when not
    themes: tuple[str, ...]
    focus_areas: tuple[str, ...]
    summary: str  # the first SUMMARY_CHARS characters
    bid: str | None  # eager, willing, rather_not, conflict, or None
    assigned: bool


def _require_reviewer(session: Session, viewer: Viewer, to: str) -> User:
    require_role(session, viewer, Role.REVIEWER, to=to)
    user = session.get(User, viewer.user_id)
    assert user is not None
    return user


def _codes(session: Session, ids: Iterable[int] | None = None) -> dict[int, dict[str, list[str]]]:
    stmt = select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).where(
        SubmissionCode.field.in_(("themes", "focus_areas"))
    )
    if ids is not None:
        stmt = stmt.where(SubmissionCode.submission_id.in_(list(ids)))
    out: dict[int, dict[str, list[str]]] = {}
    for sid, field, code in session.execute(stmt.order_by(SubmissionCode.position)):
        out.setdefault(sid, {}).setdefault(field, []).append(code)
    return out


def _conflicted(session: Session, reviewer_id: int) -> set[int]:
    return set(
        session.scalars(select(ConflictOfInterest.submission_id).where(ConflictOfInterest.reviewer_id == reviewer_id))
    )


def _bids(session: Session, reviewer_id: int) -> dict[int, str]:
    return dict(
        session.execute(
            select(SubmissionBid.submission_id, SubmissionBid.level).where(SubmissionBid.reviewer_id == reviewer_id)
        ).all()
    )


def _biddable(user: User, sub: Submission) -> bool:
    """May this reviewer ever be assigned this submission (organisation, email
    domain, active)? A declared conflict is a bid, so it is not asked here."""
    return exclusion(_submission_input(sub), _reviewer_input(user)) is None


def bid_list(session: Session, viewer: Viewer, config: CallConfig) -> list[BidRow]:
    """Every submission this reviewer could review, as they may see it before
    assignment (identity masked as for reviewers: anonymous contributors and
    blind review), with their own bid. Submissions they may never review
    (shared organisation or email domain) are left out, without saying why."""
    user = _require_reviewer(session, viewer, "see bids")
    bids, conflicted = _bids(session, user.id), _conflicted(session, user.id)
    assigned = set(session.scalars(select(Assignment.submission_id).where(Assignment.reviewer_id == user.id)))
    codes = _codes(session)
    rows = []
    for sub in session.scalars(select(Submission).order_by(Submission.reference)):
        if not _biddable(user, sub):
            continue
        shown = shown_fields(
            Role.REVIEWER,
            anonymous=sub.anonymous,
            blind_review=config.blind_review,
            values={"organisation": sub.organisation},
            redactions=sub.redactions,
        )
        mine = codes.get(sub.id, {})
        rows.append(
            BidRow(
                submission_id=sub.id,
                reference=sub.reference,
                title=sub.title,
                organisation=shown["organisation"] or "",
                themes=tuple(mine.get("themes", ())),
                focus_areas=tuple(mine.get("focus_areas", ())),
                summary=sub.summary[:SUMMARY_CHARS],
                bid=CONFLICT if sub.id in conflicted else bids.get(sub.id),
                assigned=sub.id in assigned,
            )
        )
    return rows


def expertise_keys(config: CallConfig) -> dict[str, str]:
    """Key -> label of every theme and focus area a reviewer may name."""
    return {**config.vocabularies["themes"].labels(), **config.vocabularies["focus_areas"].labels()}


def my_expertise(session: Session, viewer: Viewer) -> frozenset[str]:
    user = _require_reviewer(session, viewer, "see their expertise")
    return frozenset(session.scalars(select(ReviewerExpertise.key).where(ReviewerExpertise.reviewer_id == user.id)))


def set_expertise(
    session: Session, viewer: Viewer, config: CallConfig, *, keys: Iterable[str], seen: Iterable[str]
) -> frozenset[str]:
    """Replace the reviewer's expertise with `keys` (themes and focus areas of
    the call); `seen`: the list as shown when they started editing."""
    user = _require_reviewer(session, viewer, "change their expertise")
    wanted, known = frozenset(keys), expertise_keys(config)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise BidError(f"Not a theme or focus area of this call: {', '.join(unknown)}. Nothing was changed.")
    current = frozenset(
        session.scalars(select(ReviewerExpertise.key).where(ReviewerExpertise.reviewer_id == user.id).with_for_update())
    )
    if current != frozenset(seen):
        raise BidError("Your expertise was changed elsewhere (another tab?) meanwhile. Nothing was changed: reload.")
    if wanted == current:
        return current
    session.execute(delete(ReviewerExpertise).where(ReviewerExpertise.reviewer_id == user.id))
    session.add_all([ReviewerExpertise(reviewer_id=user.id, key=key, created_at=utcnow()) for key in sorted(wanted)])
    session.flush()
    audit.record(
        session,
        actor=viewer.username,
        action="expertise.update",
        entity="user",
        entity_id=user.id,
        new={"themes_and_focus_areas": len(wanted)},
        detail=f"{len(wanted)} themes and focus areas",
    )
    return wanted


def set_bids(session: Session, viewer: Viewer, changes: Mapping[int, tuple[str | None, str | None]]) -> dict[str, int]:
    """Change the reviewer's bids: submission id -> (bid as seen, new bid),
    a new bid in CHOICES or None (no bid). All or nothing: an unknown level,
    a submission they may not review, a bid changed meanwhile, or a conflict
    (final) changed refuses the whole save. Returns how many of each level
    were set."""
    user = _require_reviewer(session, viewer, "bid on submissions")
    bids, conflicted = _bids(session, user.id), _conflicted(session, user.id)
    todo = {}
    for sid, (seen, new) in sorted(changes.items()):
        sub = session.get(Submission, sid)
        if sub is None or not _biddable(user, sub):
            raise BidError(
                "One of these submissions cannot be assigned to you, so it takes no bid. Nothing was changed."
            )
        if new is not None and new not in CHOICES:
            raise BidError(f"{new!r} is not a bid (eager, willing, rather not or conflict). Nothing was changed.")
        now = CONFLICT if sid in conflicted else bids.get(sid)
        if now != seen:
            raise BidError(
                f"Your bid on {sub.reference} was changed elsewhere (another tab?) meanwhile. Nothing was changed: reload."
            )
        if now == CONFLICT and new != CONFLICT:
            raise BidError(
                f"You declared a conflict of interest with {sub.reference}; it stands (ask the coordinator if it was "
                "a mistake). Nothing was changed."
            )
        if new != now:
            todo[sid] = new
    counts = dict.fromkeys((*CHOICES, "cleared"), 0)
    for sid, new in todo.items():
        _apply_bid(session, viewer, user.id, sid, new, existing=sid in bids)
        counts[new or "cleared"] += 1
    if todo:
        audit.record(
            session,
            actor=viewer.username,
            action="bid.update",
            entity="user",
            entity_id=user.id,
            new={"changed": len(todo)},
            detail=f"{len(todo)} bids changed",
        )
    return counts


def _apply_bid(
    session: Session, viewer: Viewer, reviewer_id: int, sid: int, new: str | None, *, existing: bool
) -> None:
    if new == CONFLICT:
        try:
            declare_conflict(
                session,
                submission_id=sid,
                reviewer_id=reviewer_id,
                actor=viewer.username,
                source="reviewer",
                reason=CONFLICT_REASON,
                unassigned=True,
            )
        except AssignmentError as exc:
            raise BidError(f"{exc} Nothing was changed.") from exc
        new = None  # the conflict replaces any bid
    row = session.get(SubmissionBid, (reviewer_id, sid)) if existing else None
    if new is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SubmissionBid(reviewer_id=reviewer_id, submission_id=sid, level=new, updated_at=utcnow()))
    else:
        row.level, row.version, row.updated_at = new, row.version + 1, utcnow()
    session.flush()


# --- for the assignment and the admin ---------------------------------------------------


def fit_input(session: Session, config: CallConfig) -> FitInput:
    """Bids, expertise and topics for `scoring.assignment` (the solver only:
    no viewer, nothing leaves the data layer through it)."""
    codes = _codes(session)
    return FitInput(
        weights=FitWeights(**config.assignment_weights),
        bids={
            (s, r): level
            for r, s, level in session.execute(
                select(SubmissionBid.reviewer_id, SubmissionBid.submission_id, SubmissionBid.level)
            )
        },
        expertise=_all_expertise(session),
        topics={sid: frozenset(c.get("themes", []) + c.get("focus_areas", [])) for sid, c in codes.items()},
        themes=frozenset(config.vocabularies["themes"].ids),
    )


def _all_expertise(session: Session) -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = {}
    for r, key in session.execute(select(ReviewerExpertise.reviewer_id, ReviewerExpertise.key)):
        out.setdefault(r, set()).add(key)
    return {r: frozenset(keys) for r, keys in out.items()}


def reviewer_fit(
    session: Session, viewer: Viewer, config: CallConfig, plan: AssignmentPlan | None = None
) -> dict[int, FitCounts]:
    """Admin only: reviewer id -> their assignments (without a conflict; with
    `plan`, its new ones added) counted by bid level and expertise match.
    Counts, never which submissions a reviewer bid on."""
    require_role(session, viewer, Role.ADMIN, to="see how assignments fit reviewers")
    pairs: list[tuple[int, int]] = [
        (int(s), int(r))
        for s, r in session.execute(standing_assignments(select(Assignment.submission_id, Assignment.reviewer_id)))
    ]
    if plan is not None:
        pairs += list(plan.new)
    return fit_counts(pairs, fit_input(session, config))
