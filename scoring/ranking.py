"""The rankings table: scores joined to references and titles, ranked, labelled.

Pure: the scored frame from `score_submissions`, a frame of submissions
(`id`, `reference`, `title`, `reported_impact`) and labels in; a frame for
display out. Identities are not an input, so they cannot appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

CANNOT_JUDGE = "cannot judge"

SORTS = {
    "calibrated": ("overall_calibrated", False, "calibrated score, highest first"),
    "mean": ("overall_mean", False, "plain mean, highest first"),
    "disagreement": ("disagreement", False, "disagreement, largest first"),
}


def _competition_rank(values: pd.Series) -> pd.Series:
    """1 for the highest; ties share the better rank; no score ranks last."""
    return values.rank(ascending=False, method="min", na_option="bottom").astype(int)


def ranking_table(
    scored: pd.DataFrame,
    submissions: pd.DataFrame,
    *,
    criterion_labels: Mapping[str, str],
    impact_labels: Mapping[str, str],
    sort: str = "calibrated",
    flagged_only: bool = False,
) -> pd.DataFrame:
    """One row per reviewed submission, sorted by `sort` (a key of SORTS), index submission_id.

    Per-criterion means are text with two decimals, or "cannot judge" when no
    reviewer could judge that criterion (never 0). `Moved` is how many places
    the calibrated score moved the submission compared with the plain mean
    (positive: up).
    """
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}; choose one of {', '.join(SORTS)}.")
    info = submissions.set_index("id")[["reference", "title", "reported_impact"]]
    frame = scored.join(info, how="left")
    rank_cal = _competition_rank(frame["overall_calibrated"])
    rank_mean = _competition_rank(frame["overall_mean"])
    out = pd.DataFrame(index=frame.index)
    out["Rank"] = rank_cal
    out["Reference"] = frame["reference"].fillna("").astype(str)
    out["Title"] = frame["title"].fillna("").astype(str)
    out["Calibrated score"] = frame["overall_calibrated"].round(2)
    out["Plain mean"] = frame["overall_mean"].round(2)
    out["Moved"] = np.where(frame["overall_calibrated"].notna(), rank_mean - rank_cal, 0).astype(int)
    for criterion, label in criterion_labels.items():
        column = frame.get(f"mean_{criterion}", pd.Series(np.nan, index=frame.index))
        out[label] = column.map(lambda v: CANNOT_JUDGE if pd.isna(v) else f"{v:.2f}")
    out["Reviews"] = frame["n_reviews"].astype(int)
    out["Disagreement"] = frame["disagreement"].round(2)
    out["Discuss"] = frame["flagged"].astype(bool)
    out["Reported impact"] = frame["reported_impact"].map(
        lambda c: impact_labels.get(c, c) if isinstance(c, str) else ""
    )
    column, ascending, _ = SORTS[sort]
    # Ties broken by reference, so that the order is the same on every run.
    keyed = pd.DataFrame({"v": frame[column], "ref": out["Reference"]})
    order = keyed.sort_values(["v", "ref"], ascending=[ascending, True], na_position="last", kind="stable").index
    out = out.loc[order]
    if flagged_only:
        out = out[out["Discuss"]]
    return out


def sort_caption(sort: str) -> str:
    return SORTS[sort][2]


HOW_IT_WORKS = """
**Plain mean** is the average of the reviewers' scores, criterion by criterion, then
weighted across criteria. It ranks a submission partly by who happened to review it:
one lenient reviewer lifts it, one harsh reviewer sinks it.

**Calibrated score** first learns, from all the reviews together, how lenient or harsh
each reviewer is and how widely they use the 1 to 5 scale, then puts every review on
the panel's common scale before averaging. It is the score a typical member of this
panel would give. Reviewers with few reviews are assumed typical until their reviews
show otherwise, and a submission with one or two reviews is pulled a little towards the
panel's average, because one opinion is less certain than three. A reviewer who gives
every submission the same score tells us nothing about which is better, and so counts
for little.

In a simulation where the true quality is known, the calibrated score ranked
submissions closer to the truth than both the plain mean and per-reviewer z-scores in
every design tried (see docs/scoring.md for the figures).

**Disagreement** is the largest spread (standard deviation, in points) of the
reviewers' scores on any one criterion; at or above the call's threshold the submission
is flagged for discussion.

Scores come from the rubric alone. A submission's reported impact is not an input, so
an evaluation that found no benefit, or harm, is never marked down for its findings.
"""


def reviews_behind_table(
    records: Iterable[Any],
    *,
    criterion_labels: Mapping[str, str],
    recommendation_label: Callable[[str], str],
    confidence_label: Callable[[str], str],
) -> pd.DataFrame:
    """The submitted reviews behind one ranking row, one line each: reviewer,
    each criterion's score ('cannot judge' for none), recommendation,
    confidence and comment (reviewer text, for dataframe cells only)."""
    return pd.DataFrame(
        [
            {
                "Reviewer": r.reviewer_name,
                **{
                    label: CANNOT_JUDGE if r.scores.get(c) is None else r.scores[c]
                    for c, label in criterion_labels.items()
                },
                "Recommendation": recommendation_label(r.recommendation) if r.recommendation else "",
                "Confidence": confidence_label(r.confidence) if r.confidence else "",
                "Comment": r.comment,
            }
            for r in records
        ]
    )
