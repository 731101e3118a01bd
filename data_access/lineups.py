"""Presenter line-ups: the candidates the selection works on, and saved line-ups.

`candidate_frame` joins every submission with its calibrated score
(`current_scores`, or any frame shaped like `scoring.score_submissions`) for
`scoring.selection.select_presenters`. It is unmasked (the one-per-organisation
rule needs organisations) and meant for the admin's Selection page only.

`save_line_up` writes a named line-up after checking, on the server, that the
person is an active admin and that the line-up still keeps every rule on the
current data. Saving under an existing name replaces it as a new version, with
`expected_version` as an optimistic lock; every save is in the audit log with
the old and new members, so the log is the line-up's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config import limits
from config.call_config import CallConfig
from data_access import audit, decisions
from data_access.db import rows_matched
from data_access.models import LineUp, LineUpMember, Submission, utcnow
from data_access.reviews import scores_frame
from data_access.submissions import load_submission_frame
from data_access.users import require_role
from scoring import score_submissions
from scoring.selection import SelectionResult, SelectionRules, rule_violations

SCORE_COLUMN = "overall_calibrated"
NAME_MAX = limits.LINE_UP_NAME
CANDIDATE_COLUMNS = [
    "submission_id",
    "reference",
    "title",
    "organisation",
    "anonymous",
    "presentation_preference",
    "themes",
    "focus_areas",
    "exploitation_types",
    "sector",
    "evidence_source",
    "score",
    "reviews",
    "flagged",
    "shortlisted",
]
# What candidate_frame reads of each submission (the rest of CANDIDATE_COLUMNS comes from the scores and decisions):
# not the long texts, nor the codes no rule uses.
CANDIDATE_SCALARS = ("title", "organisation", "anonymous", "presentation_preference", "sector", "evidence_source")
CANDIDATE_CODES = ("themes", "focus_areas", "exploitation_types")
# What candidate_frame reads besides the scores (submissions, their codes, the panel's decisions): with the scores'
# content, the key of a cache of it (pages/selection.py).
CANDIDATE_TABLES = ("submissions", "submission_codes", "panel_decisions")


class LineUpError(ValueError):
    """A line-up that cannot be saved as asked; the message is for people."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class StaleLineUp(Exception):
    """The named line-up changed since it was opened; nothing was overwritten."""

    def __init__(self, name: str, current_version: int) -> None:
        self.name = name
        self.current_version = current_version
        super().__init__(f"{name} is now at version {current_version}")


@dataclass(frozen=True)
class LineUpSummary:
    id: int
    name: str
    version: int
    objective: float | None
    members: int
    created_by: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class LineUpMemberRecord:
    submission_id: int
    reference: str
    title: str
    organisation: str | None
    anonymous: bool
    presentation_preference: str | None
    format: str
    pinned: bool
    position: int


@dataclass(frozen=True)
class LineUpRecord:
    id: int
    name: str
    rules: dict
    objective: float | None
    notes: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    members: tuple[LineUpMemberRecord, ...]


def current_scores(session: Session, *, config: CallConfig) -> pd.DataFrame:
    """Today's scores from the submitted reviews (`scoring.score_submissions`), indexed by submission_id."""
    return score_submissions(
        scores_frame(session), config.weights, disagreement_threshold=config.disagreement_threshold
    )


def candidate_frame(session: Session, *, scores: pd.DataFrame) -> pd.DataFrame:
    """Every submission with its calibrated score (`score`, NaN when not scored), its number of
    submitted reviews (`reviews`), whether it is flagged for discussion (`flagged`: an open flag, one
    the panel's decision did not close) and whether the panel shortlisted it (`shortlisted`).

    `scores`: `scoring.score_submissions` output, indexed by submission_id.
    Unmasked: for the admin's selection and for checks before saving only.
    """
    frame = load_submission_frame(session, scalars=CANDIDATE_SCALARS, multi=CANDIDATE_CODES).rename(
        columns={"id": "submission_id"}
    )
    column = scores[SCORE_COLUMN] if SCORE_COLUMN in scores else pd.Series(dtype=float)
    frame["score"] = frame["submission_id"].map(column).astype(float)
    # For the rules "at least R submitted reviews" and "no open discussion flag", and to show them.
    reviews = scores["n_reviews"] if "n_reviews" in scores else pd.Series(dtype=float)
    frame["reviews"] = frame["submission_id"].map(reviews).fillna(0).astype(int)
    flagged = scores["flagged"] if "flagged" in scores else pd.Series(dtype=bool)
    frame["flagged"] = frame["submission_id"].map(flagged).astype("boolean").fillna(False).astype(bool)
    # The panel's decisions (data_access.decisions): a flag they closed is not open; the rule "only shortlisted".
    frame["flagged"] &= ~frame["submission_id"].isin(decisions.closed_flag_ids(session))
    frame["shortlisted"] = frame["submission_id"].isin(decisions.shortlisted_ids(session))
    return frame[CANDIDATE_COLUMNS].reset_index(drop=True)


def require_admin(session: Session, viewer: Viewer) -> None:
    """Re-check on the server that the viewer is an active admin; AccessDenied if not."""
    require_role(session, viewer, Role.ADMIN, to="change line-ups")


def clean_name(name: str) -> str:
    """A line-up name as stored: surrounding and repeated spaces removed."""
    return " ".join((name or "").split())


def _normalise_name(name: str) -> str:
    cleaned = clean_name(name)
    if not cleaned:
        raise LineUpError("Give the line-up a name.")
    if len(cleaned) > NAME_MAX:
        raise LineUpError(f"A line-up name has at most {NAME_MAX} characters.")
    return cleaned


def _snapshot(session: Session, line_up: LineUp) -> dict:
    refs = references(session, (m.submission_id for m in line_up.members))
    return {
        "name": line_up.name,
        "version": line_up.version,
        "objective": line_up.objective,
        "rules": line_up.rules,
        "members": [
            {"reference": refs.get(m.submission_id, str(m.submission_id)), "format": m.format, "pinned": m.pinned}
            for m in sorted(line_up.members, key=lambda m: m.position)
        ],
    }


def save_line_up(
    session: Session,
    *,
    viewer: Viewer,
    name: str,
    result: SelectionResult,
    scores: pd.DataFrame,
    notes: str = "",
    expected_version: int | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> LineUpRecord:
    """Save `result` under `name`: new, or replacing version `expected_version`.

    Raises AccessDenied (not an active admin), LineUpError (no name, an
    infeasible result, a name taken without `expected_version`, or a line-up
    that no longer keeps its rules on the current data) or StaleLineUp.
    """
    require_admin(session, viewer)
    name = _normalise_name(name)
    if problem := limits.too_long("The notes", notes.strip(), limits.LINE_UP_NOTES):
        raise LineUpError(problem)
    if not result.feasible or not result.picks:
        raise LineUpError("Only a line-up that keeps every rule can be saved.")
    members = result.members
    problems = rule_violations(candidate_frame(session, scores=scores), result.rules, members, labels=labels)
    if problems:
        raise LineUpError("The submissions changed since this line-up was proposed; propose it again.", problems)
    pinned = set(result.rules.pinned)
    now = utcnow()
    existing = session.scalar(select(LineUp).where(LineUp.name == name))
    if existing is None:
        if expected_version is not None:
            raise LineUpError(f"There is no saved line-up called {name!r} any more; save it as a new one.")
        line_up = LineUp(
            name=name,
            rules=result.rules.to_dict(),
            objective=result.objective,
            notes=notes.strip(),
            created_by=viewer.username,
            created_at=now,
            updated_at=now,
            version=1,
        )
        line_up.members = _members(members, pinned)
        try:
            with session.begin_nested():
                session.add(line_up)
                session.flush()
        except IntegrityError:
            raise LineUpError(f"A line-up called {name!r} was saved a moment ago; choose another name.") from None
        audit.record(
            session,
            actor=viewer.username,
            action="line_up.save",
            entity="line_up",
            entity_id=line_up.id,
            new=_snapshot(session, line_up),
        )
        return get_line_up(session, line_up_id=line_up.id)
    if expected_version is None:
        raise LineUpError(
            f"A line-up called {name!r} already exists (version {existing.version}). "
            "Choose another name, or choose to replace it."
        )
    return save_version(
        session,
        viewer=viewer,
        line_up_id=existing.id,
        expected_version=expected_version,
        rules=result.rules,
        objective=result.objective,
        members=members,
        notes=notes.strip(),
    )


def save_version(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    expected_version: int,
    rules: SelectionRules,
    objective: float,
    members: Mapping[int, str],
    notes: str | None = None,
) -> LineUpRecord:
    """Replace version `expected_version` of a saved line-up with a new version (admin): its rules,
    total and members (submission_id -> format, in order); `notes` None keeps the notes. The caller
    has checked the line-up (as `save_line_up` does, or `data_access.replacement` against the
    replies). Audited as `line_up.replace` with the old and new members. AccessDenied, StaleLineUp."""
    require_admin(session, viewer)
    existing = session.get(LineUp, line_up_id)
    if existing is None:
        raise LineUpError("There is no such saved line-up any more.")
    name = existing.name
    if existing.version != expected_version:
        raise StaleLineUp(name, existing.version)
    old = _snapshot(session, existing)
    changed = rows_matched(
        session,
        update(LineUp)
        .where(LineUp.id == existing.id, LineUp.version == expected_version)
        .values(
            rules=rules.to_dict(),
            objective=objective,
            notes=existing.notes if notes is None else notes,
            updated_at=utcnow(),
            version=expected_version + 1,
        )
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        session.expire(existing)
        raise StaleLineUp(name, session.get_one(LineUp, existing.id).version)
    session.execute(delete(LineUpMember).where(LineUpMember.line_up_id == existing.id))
    session.add_all(_members(members, set(rules.pinned), line_up_id=existing.id))
    session.flush()
    session.expire(existing)
    audit.record(
        session,
        actor=viewer.username,
        action="line_up.replace",
        entity="line_up",
        entity_id=existing.id,
        old=old,
        new=_snapshot(session, session.get_one(LineUp, existing.id)),
    )
    return get_line_up(session, line_up_id=existing.id)


def _members(members: Mapping[int, str], pinned: set[int], line_up_id: int | None = None) -> list[LineUpMember]:
    extra = {"line_up_id": line_up_id} if line_up_id is not None else {}
    return [
        LineUpMember(submission_id=int(sid), format=fmt, position=i + 1, pinned=int(sid) in pinned, **extra)
        for i, (sid, fmt) in enumerate(members.items())
    ]


def list_line_ups(session: Session) -> list[LineUpSummary]:
    out = []
    for line_up in session.scalars(select(LineUp).order_by(LineUp.updated_at.desc(), LineUp.id.desc())):
        out.append(
            LineUpSummary(
                id=line_up.id,
                name=line_up.name,
                version=line_up.version,
                objective=line_up.objective,
                members=len(line_up.members),
                created_by=line_up.created_by,
                updated_at=line_up.updated_at,
            )
        )
    return out


def references(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Submission id -> reference, for naming pins and exclusions."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    return dict(session.execute(select(Submission.id, Submission.reference).where(Submission.id.in_(wanted))).all())


def line_up_id_for_name(session: Session, name: str) -> int | None:
    return session.scalar(select(LineUp.id).where(LineUp.name == clean_name(name)))


def get_line_up(session: Session, *, line_up_id: int) -> LineUpRecord:
    """One saved line-up with its members (for admin and office; identities unmasked)."""
    line_up = session.get(LineUp, line_up_id)
    if line_up is None:
        raise LineUpError("No such line-up.")
    session.refresh(line_up)
    rows = session.execute(
        select(
            LineUpMember.submission_id,
            LineUpMember.format,
            LineUpMember.pinned,
            LineUpMember.position,
            Submission.reference,
            Submission.title,
            Submission.organisation,
            Submission.anonymous,
            Submission.presentation_preference,
        )
        .join(Submission, Submission.id == LineUpMember.submission_id)
        .where(LineUpMember.line_up_id == line_up_id)
        .order_by(LineUpMember.position)
    ).all()
    members = tuple(
        LineUpMemberRecord(
            submission_id=r.submission_id,
            reference=r.reference,
            title=r.title,
            organisation=r.organisation,
            anonymous=bool(r.anonymous),
            presentation_preference=r.presentation_preference,
            format=r.format,
            pinned=bool(r.pinned),
            position=r.position,
        )
        for r in rows
    )
    return LineUpRecord(
        id=line_up.id,
        name=line_up.name,
        rules=dict(line_up.rules or {}),
        objective=line_up.objective,
        notes=line_up.notes,
        created_by=line_up.created_by,
        created_at=line_up.created_at,
        updated_at=line_up.updated_at,
        version=line_up.version,
        members=members,
    )


def line_up_history(session: Session, *, line_up_id: int) -> pd.DataFrame:
    """Every save of a line-up, newest first, from the audit log."""
    return audit.list_entries(session, filters=audit.AuditFilter(entity="line_up", entity_id=str(line_up_id)))


def rules_of(record: LineUpRecord) -> SelectionRules:
    return SelectionRules.from_dict(record.rules)


def member_warnings(record: LineUpRecord) -> list[str]:
    """What changed since saving that the office should know before using the list."""
    out = []
    for m in record.members:
        if m.anonymous:
            out.append(
                f"{m.reference} is now anonymous: its identity is left out of the presenter list. "
                "Propose and save the line-up again."
            )
        if m.presentation_preference == "not_available":
            out.append(f"{m.reference} is now marked as not available to present.")
        elif m.presentation_preference in ("in_person", "virtual") and m.presentation_preference != m.format:
            out.append(f"{m.reference} can now present only {m.presentation_preference.replace('_', ' ')}.")
    return out


__all__ = [
    "CANDIDATE_COLUMNS",
    "SCORE_COLUMN",
    "LineUpError",
    "LineUpMemberRecord",
    "LineUpRecord",
    "LineUpSummary",
    "StaleLineUp",
    "candidate_frame",
    "clean_name",
    "current_scores",
    "get_line_up",
    "line_up_history",
    "line_up_id_for_name",
    "list_line_ups",
    "member_warnings",
    "references",
    "require_admin",
    "rules_of",
    "save_line_up",
    "save_version",
]
