"""What the rankings page scores: submitted scores, references and titles, reviewer names.

For admin and office views only (the page's guard checks the role). No
contributor identity is read: the ranking needs none.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Submission, User
from data_access.reviews import scores_frame


@dataclass(frozen=True)
class RankingInputs:
    scores: pd.DataFrame  # submission_id, reviewer_id, criterion, score (NaN = cannot judge); submitted only
    submissions: pd.DataFrame  # id, reference, title, reported_impact
    reviewer_names: dict[int, str]


SUBMISSION_TABLES = ("submissions",)  # what `ranked_submissions` reads: the key of a cache of it
NAME_TABLES = ("users",)  # what `reviewer_names` reads


def ranked_submissions(session: Session) -> pd.DataFrame:
    """id, reference, title, reported_impact of every submission, by reference."""
    rows = session.execute(
        select(Submission.id, Submission.reference, Submission.title, Submission.reported_impact).order_by(
            Submission.reference
        )
    ).all()
    return pd.DataFrame(rows, columns=["id", "reference", "title", "reported_impact"])


def reviewer_names(session: Session, scores: pd.DataFrame) -> dict[int, str]:
    """The names of the reviewers with a score in `scores` (a `scores_frame`)."""
    reviewer_ids = sorted({int(r) for r in scores["reviewer_id"].unique()})
    if not reviewer_ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(reviewer_ids))).all())


def ranking_inputs(session: Session) -> RankingInputs:
    scores = scores_frame(session)
    return RankingInputs(
        scores=scores, submissions=ranked_submissions(session), reviewer_names=reviewer_names(session, scores)
    )
