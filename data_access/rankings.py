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


def ranking_inputs(session: Session) -> RankingInputs:
    rows = session.execute(
        select(Submission.id, Submission.reference, Submission.title, Submission.reported_impact).order_by(
            Submission.reference
        )
    ).all()
    submissions = pd.DataFrame(rows, columns=["id", "reference", "title", "reported_impact"])
    scores = scores_frame(session)
    reviewer_ids = sorted({int(r) for r in scores["reviewer_id"].unique()})
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(reviewer_ids))).all()) if reviewer_ids else {}
    )
    return RankingInputs(scores=scores, submissions=submissions, reviewer_names=names)
