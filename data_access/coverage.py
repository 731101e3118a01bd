"""What the coverage page reads: codes and scores, review times, the newest saved line-up.

For admin and office views only (the page's guard checks the role).
`coverage_inputs` is viewer-independent and cached by the page per database
and data version; it reads only the submissions' codes (through
`load_submission_frame`), so no title, summary or identity is in it. The
submissions behind a cell are read afterwards, masked for the viewer, with
`cell_submissions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.call_config import SINGLE_VALUED, CallConfig
from data_access import audit
from data_access.models import LineUp, LineUpMember, Review
from data_access.overview import _due_assignments
from data_access.reviews import scores_frame
from data_access.submissions import AccessDenied, load_submission_frame, mask_for_viewer
from scoring.coverage import CODE_COLUMNS
from scoring.visibility import Viewer


@dataclass(frozen=True)
class SavedLineUp:
    id: int
    name: str
    version: int
    updated_at: dt.datetime
    submission_ids: tuple[int, ...]


@dataclass(frozen=True)
class CoverageInputs:
    submissions: pd.DataFrame  # id and the coded fields (multi-valued as lists); nothing else
    scores: pd.DataFrame  # scores_frame: submitted scores, the input of score_submissions
    review_times: list[dt.datetime]  # when each submitted review was submitted
    reviews_due: int  # assignments without a declared conflict
    line_up: SavedLineUp | None


def newest_line_up(session: Session) -> SavedLineUp | None:
    """The most recently saved line-up and its members, or None."""
    line_up = session.scalar(select(LineUp).order_by(LineUp.updated_at.desc(), LineUp.id.desc()).limit(1))
    if line_up is None:
        return None
    members = session.scalars(
        select(LineUpMember.submission_id)
        .where(LineUpMember.line_up_id == line_up.id)
        .order_by(LineUpMember.position, LineUpMember.submission_id)
    ).all()
    return SavedLineUp(line_up.id, line_up.name, line_up.version, line_up.updated_at, tuple(int(m) for m in members))


def review_times(session: Session) -> list[dt.datetime]:
    return list(
        session.scalars(
            select(Review.submitted_at).where(Review.status == "submitted", Review.submitted_at.is_not(None))
        )
    )


def coverage_inputs(session: Session) -> CoverageInputs:
    frame = load_submission_frame(session, scalars=SINGLE_VALUED)
    return CoverageInputs(
        submissions=frame[["id", *CODE_COLUMNS]].copy(),
        scores=scores_frame(session),
        review_times=review_times(session),
        reviews_due=_due_assignments(session),
        line_up=newest_line_up(session),
    )


def cell_submissions(
    session: Session, *, submission_ids: Iterable[int], viewer: Viewer, config: CallConfig
) -> pd.DataFrame:
    """The given submissions as this viewer may see them (identities masked as on the Submissions page)."""
    if viewer.role not in ("admin", "office"):
        raise AccessDenied("the coverage page is for the office and the admin")
    frame = load_submission_frame(session, ids=set(submission_ids))
    return mask_for_viewer(frame, viewer=viewer, blind_review=config.blind_review)


def record_export(
    session: Session, *, actor: str, what: str, filename: str, rows: int, content: bytes, via: str
) -> None:
    """The audit entry of one CSV download: who, what, the file's name, its rows and SHA-256."""
    audit.record(
        session,
        actor=actor,
        action=f"export.{what}",
        entity="export",
        entity_id=what,
        new={"file": filename, "rows": rows, "sha256": hashlib.sha256(content).hexdigest()},
        detail=via,
    )
