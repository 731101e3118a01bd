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
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, exists, not_, or_, select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer, identity_visible, shown_fields
from config import limits
from config.call_config import CallConfig
from data_access import audit
from data_access.assignments import AssignmentError, _reviewer_input, _submission_input, declare_conflict
from data_access.bid_models import ReviewerExpertise, SubmissionBid
from data_access.models import Assignment, ConflictOfInterest, Submission, SubmissionCode, User, utcnow
from data_access.standing import standing_assignments
from data_access.users import require_role, require_role_user
from scoring.assignment import AssignmentPlan, SubmissionToAssign, exclusion
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
    return require_role_user(session, viewer, Role.REVIEWER, to=to)


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


@dataclass(frozen=True)
class BidFilter:
    """Which of the submissions a reviewer could review the bids list shows, and in which order.

    `search`: plain text (never a pattern) found, case-insensitive, in the reference, the title or the
    organisation where the reviewer may see it (a hidden one is never searched); `themes`: any of these
    themes; `on_my_expertise`: on any of the reviewer's themes and focus areas; `bids`: ALL, BID_ON (a
    bid or a conflict) or NOT_BID_ON; `sort`: "reference" or "title"."""

    search: str = ""
    themes: tuple[str, ...] = ()
    on_my_expertise: bool = False
    bids: str = "all"
    sort: str = "reference"


ALL, BID_ON, NOT_BID_ON = "all", "bid_on", "not_bid_on"
SORTS = {"reference": (Submission.reference,), "title": (Submission.title, Submission.reference)}
PAGE_SIZE = 50  # rows a page of the bids list, as Submissions' (ui.paging.PAGE_SIZE)


@dataclass(frozen=True)
class BidPage:
    """One page of the bids list: its rows, how many submissions match the filter, and the page shown
    (a page asked for past the last is the last; before the first, the first)."""

    rows: list[BidRow]
    matches: int
    page: int


def _checked(flt: BidFilter, config: CallConfig) -> str:
    """The filter's search text, stripped and case-folded; a filter no page offers is refused."""
    if len(flt.search) > limits.SEARCH:
        raise BidError(f"A search is at most {limits.SEARCH:,} characters. Nothing was searched.")
    if flt.bids not in (ALL, BID_ON, NOT_BID_ON) or flt.sort not in SORTS:
        raise BidError("Not a filter or an order of the bids list. Nothing was searched.")
    unknown = sorted(set(flt.themes) - set(config.vocabulary("themes").ids))
    if unknown:
        raise BidError(f"Not a theme of this call: {', '.join(unknown)}. Nothing was searched.")
    return flt.search.strip().casefold()


def _matching(session: Session, user: User, config: CallConfig, flt: BidFilter) -> list[Row[Any]]:
    """The light rows (id, reference, title, the identity columns the rules need) of every submission this
    reviewer could review that `flt` matches, in its order. Only the columns the rules and the search need
    are read; the codes and bids filter in SQL."""
    needle = _checked(flt, config)
    stmt = select(
        Submission.id,
        Submission.reference,
        Submission.title,
        Submission.organisation,
        Submission.contact_email,
        Submission.anonymous,
        Submission.redactions,
    ).order_by(*SORTS[flt.sort])
    if flt.themes:
        stmt = stmt.where(_coded(("themes",), flt.themes))
    if flt.on_my_expertise:
        keys = select(ReviewerExpertise.key).where(ReviewerExpertise.reviewer_id == user.id)
        stmt = stmt.where(_coded(("themes", "focus_areas"), keys))
    if flt.bids != ALL:
        bid_on = or_(
            Submission.id.in_(select(SubmissionBid.submission_id).where(SubmissionBid.reviewer_id == user.id)),
            Submission.id.in_(
                select(ConflictOfInterest.submission_id).where(ConflictOfInterest.reviewer_id == user.id)
            ),
        )
        stmt = stmt.where(bid_on if flt.bids == BID_ON else not_(bid_on))
    reviewer = _reviewer_input(user)
    out = []
    for sub in session.execute(stmt):
        pair = SubmissionToAssign(
            id=sub.id, reference=sub.reference, organisation=sub.organisation, contact_email=sub.contact_email
        )
        if exclusion(pair, reviewer) is not None:
            continue
        if needle and needle not in sub.reference.casefold() and needle not in (sub.title or "").casefold():
            organisation, searchable = _shown_organisation(sub, config)
            if not (searchable and needle in organisation.casefold()):
                continue
        out.append(sub)
    return out


def _shown_organisation(sub: Row[Any], config: CallConfig) -> tuple[str, bool]:
    """The organisation as a reviewer sees it (`shown_fields`: "(anonymous)", "(hidden)" or the admin's
    published version where masked), and whether a search may look in it (not a placeholder)."""
    anonymous = bool(sub.anonymous)
    shown = shown_fields(
        Role.REVIEWER,
        anonymous=anonymous,
        blind_review=config.blind_review,
        values={"organisation": sub.organisation},
        redactions=sub.redactions if isinstance(sub.redactions, dict) else {},
    )
    searchable = identity_visible(Role.REVIEWER, anonymous=anonymous, blind_review=config.blind_review)
    return shown["organisation"] or "", searchable or "organisation" in shown["redacted_fields"]


def _coded(fields: tuple[str, ...], codes: Iterable[str] | Select) -> ColumnElement[bool]:
    """The submission has one of `codes` in one of `fields`."""
    wanted = codes if isinstance(codes, Select) else list(codes)
    return exists().where(
        SubmissionCode.submission_id == Submission.id,
        SubmissionCode.field.in_(fields),
        SubmissionCode.code.in_(wanted),
    )


def _rows(session: Session, user: User, config: CallConfig, matches: list[Row[Any]]) -> list[BidRow]:
    """The BidRows of `matches` (in their order): summaries, codes and bids read for these alone."""
    ids = [sub.id for sub in matches]
    if not ids:
        return []
    bids, conflicted = _bids(session, user.id), _conflicted(session, user.id)
    assigned = set(
        session.scalars(
            select(Assignment.submission_id).where(Assignment.reviewer_id == user.id, Assignment.submission_id.in_(ids))
        )
    )
    codes = _codes(session, ids)
    summaries = dict(session.execute(select(Submission.id, Submission.summary).where(Submission.id.in_(ids))).all())
    rows = []
    for sub in matches:
        mine = codes.get(sub.id, {})
        rows.append(
            BidRow(
                submission_id=sub.id,
                reference=sub.reference,
                title=sub.title,
                organisation=_shown_organisation(sub, config)[0],
                themes=tuple(mine.get("themes", ())),
                focus_areas=tuple(mine.get("focus_areas", ())),
                summary=summaries[sub.id][:SUMMARY_CHARS],
                bid=CONFLICT if sub.id in conflicted else bids.get(sub.id),
                assigned=sub.id in assigned,
            )
        )
    return rows


def bid_list(session: Session, viewer: Viewer, config: CallConfig, flt: BidFilter = BidFilter()) -> list[BidRow]:
    """Every submission this reviewer could review (that `flt` matches), as they may see it before
    assignment (identity masked as for reviewers: anonymous contributors and blind review), with their own
    bid. Submissions they may never review (shared organisation or email domain) are left out, without
    saying why. The page shows them a page at a time (`bid_page`)."""
    user = _require_reviewer(session, viewer, "see bids")
    return _rows(session, user, config, _matching(session, user, config, flt))


def bid_page(
    session: Session,
    viewer: Viewer,
    config: CallConfig,
    flt: BidFilter = BidFilter(),
    *,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> BidPage:
    """One page of `bid_list`: the same submissions, rules and masks, with the count of all that match;
    only the page's rows are read in full (a 10,000-submission call sends 50, issue 21)."""
    user = _require_reviewer(session, viewer, "see bids")
    if not isinstance(page, int) or not isinstance(size, int) or size < 1:
        raise BidError("Not a page of the bids list. Nothing was shown.")
    matches = _matching(session, user, config, flt)
    last = max(1, -(-len(matches) // size))
    page = min(max(1, page), last)
    return BidPage(_rows(session, user, config, matches[(page - 1) * size : page * size]), len(matches), page)


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
    return assignment_fit(session, config, plan)


# What `assignment_fit` reads: the key of a cache of it (`audit.tables_version`; with the call's weights and themes).
FIT_TABLES = ("assignments", "conflicts_of_interest", "submission_bids", "reviewer_expertise", "submission_codes")


def assignment_fit(session: Session, config: CallConfig, plan: AssignmentPlan | None = None) -> dict[int, FitCounts]:
    """`reviewer_fit` without its role check, for the admin's Assignments page's cache (`ui.assignment_data`), read
    after the page's own check at the moment of the request: counts per reviewer, read from `FIT_TABLES` only."""
    pairs: list[tuple[int, int]] = [
        (int(s), int(r))
        for s, r in session.execute(standing_assignments(select(Assignment.submission_id, Assignment.reviewer_id)))
    ]
    if plan is not None:
        pairs += list(plan.new)
    return fit_counts(pairs, fit_input(session, config))
