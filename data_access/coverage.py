"""What the coverage page reads: codes and scores, review times, the saved line-ups.

For admin and office views only (the page's guard checks the role).
`coverage_inputs` is viewer-independent and cached by the page per database
and data version; it reads only the submissions' codes (through
`load_submission_frame`), so no title, summary or identity is in it. The
submissions behind a cell are read afterwards, masked for the viewer, with
`cell_submissions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.orm import Session

from access.roles import STAFF
from access.visibility import Viewer
from config.call_config import SINGLE_VALUED, CallConfig
from data_access import lineups as lineups_da
from data_access.models import Review
from data_access.overview import _due_assignments
from data_access.reviews import scores_frame
from data_access.submissions import AccessDenied, load_submission_frame, mask_for_viewer
from scoring.coverage import CODE_COLUMNS


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
    line_ups: list[SavedLineUp]  # newest first


def saved_line_ups(session: Session) -> list[SavedLineUp]:
    """Every saved line-up with its members' ids, newest first (through `data_access.lineups`)."""
    out = []
    for summary in lineups_da.list_line_ups(session):
        record = lineups_da.get_line_up(session, line_up_id=summary.id)
        members = tuple(m.submission_id for m in record.members)
        out.append(SavedLineUp(record.id, record.name, record.version, record.updated_at, members))
    return out


def review_times(session: Session) -> list[dt.datetime]:
    return list(
        session.scalars(
            select(Review.submitted_at).where(Review.status == "submitted", Review.submitted_at.is_not(None))
        )
    )


def reviews_per_day(session: Session) -> dict[dt.date, int]:
    """How many reviews were submitted each day (UTC), counted by the database: what `review_times` gives for
    `scoring.coverage.review_progress`, without a time per review to read and convert (~0.05 s at 30,000)."""
    column = Review.submitted_at
    day: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        day = cast(func.timezone("UTC", column), Date)
    else:  # SQLite keeps the UTC time as text, "YYYY-MM-DD HH:MM:SS..." (`models.UTCDateTime`)
        day = func.substr(column, 1, 10)
    rows = session.execute(
        select(day, func.count()).where(Review.status == "submitted", column.is_not(None)).group_by(day)
    ).all()
    return {(d if isinstance(d, dt.date) else dt.date.fromisoformat(d)): int(n) for d, n in rows}


_NO_SCORES = pd.DataFrame({"submission_id": [], "reviewer_id": [], "criterion": [], "score": []})


def reviews_due(session: Session) -> int:
    """Assignments without a declared conflict: the reviews due."""
    return _due_assignments(session)


CODE_TABLES = ("submissions", "submission_codes")  # what `submission_codes` reads: the key of a cache of it
# What `reviews_due` and `saved_line_ups` read: with the submitted reviews' key (`reviews_per_day`), the key of a
# cache of the three (`ui.coverage`).
PROGRESS_TABLES = ("assignments", "conflicts_of_interest", "line_ups", "line_up_members", "submissions")


def submission_codes(session: Session) -> pd.DataFrame:
    """Every submission's id and coded fields (multi-valued as lists): nothing else (read from `CODE_TABLES`)."""
    return load_submission_frame(session, scalars=SINGLE_VALUED)[["id", *CODE_COLUMNS]].copy()


def coverage_inputs(session: Session, *, with_scores: bool = True) -> CoverageInputs:
    """Everything the coverage page counts. `with_scores=False` leaves `scores` empty, for a caller that
    has today's calibration already (the app's shared one, `ui.scores`)."""
    return CoverageInputs(
        submissions=submission_codes(session),
        scores=scores_frame(session) if with_scores else _NO_SCORES.copy(),
        review_times=review_times(session),
        reviews_due=reviews_due(session),
        line_ups=saved_line_ups(session),
    )


def cell_submissions(
    session: Session, *, submission_ids: Iterable[int], viewer: Viewer, config: CallConfig
) -> pd.DataFrame:
    """The given submissions as this viewer may see them (identities masked as on the Submissions page)."""
    if viewer.role not in STAFF:
        raise AccessDenied("the coverage page is for the office and the admin")
    frame = load_submission_frame(session, ids=set(submission_ids))
    return mask_for_viewer(frame, viewer=viewer, blind_review=config.blind_review)
