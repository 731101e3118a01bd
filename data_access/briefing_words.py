"""The briefing's sentences about the panel and its methods, in plain words, from the numbers.

Our own words only (no contributor text, no reviewer's name): how many reviews
the scores rest on, how far the reviewers' leniency differed and how much the
calibration moved the order (`scoring.calibrate`), what Krippendorff's alpha
says per criterion (`scoring.agreement`), and the methods annex.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from config.call_config import CallConfig
from scoring import Calibration
from scoring.agreement import GOOD, TENTATIVE, reading


def _moved(submissions: pd.DataFrame) -> tuple[int, int]:
    """How many reviewed submissions changed place, and the largest move, between plain mean and calibrated score."""
    both = submissions[["overall_mean", "overall_calibrated"]].dropna()
    if both.empty:
        return 0, 0
    plain = both["overall_mean"].rank(ascending=False, method="first")
    calibrated = both["overall_calibrated"].rank(ascending=False, method="first")
    moves = (plain - calibrated).abs()
    return int((moves > 0).sum()), int(moves.max())


def calibration_paragraphs(calibration: Calibration, config: CallConfig) -> tuple[str, ...]:
    subs, reviewers = calibration.submissions, calibration.reviewers
    if subs.empty:
        return ("No review has been submitted yet, so nothing is scored.",)
    n_reviews = subs["n_reviews"]
    leniency = reviewers["leniency"].dropna() if "leniency" in reviewers else pd.Series(dtype=float)
    spread = float(leniency.max() - leniency.min()) if len(leniency) >= 2 else math.nan
    changed, largest = _moved(subs)
    flagged = int(subs["flagged"].sum())
    out = [
        f"{len(subs)} submissions are scored, from {int(n_reviews.sum())} submitted reviews by {len(reviewers)} "
        f"reviewers: {int((n_reviews >= 3).sum())} with three or more reviews, {int((n_reviews == 2).sum())} with "
        f"two and {int((n_reviews == 1).sum())} with one.",
        "Each score is calibrated: the panel's reviews are used together to learn how lenient or harsh each reviewer "
        "is and how widely they use the 1 to 5 scale, and every review is put on the panel's common scale before "
        "averaging. The calibrated score is what a typical member of this panel would give; a submission with one or "
        "two reviews is pulled a little towards the panel's average, because one opinion is less certain than three.",
    ]
    if not math.isnan(spread):
        out.append(
            f"The reviewers' leniency differed by up to {spread:.2f} points between the most lenient and the harshest. "
            f"Calibration changed the place of {changed} submissions compared with a plain average of their scores "
            f"(the largest move: {largest} places)."
        )
    out.append(
        f"{flagged} submissions are flagged for discussion: on some criterion their reviewers' scores spread by "
        f"{config.disagreement_threshold:g} point (standard deviation) or more."
    )
    return tuple(out)


# What each of scoring.agreement's readings means for the briefing's reader.
CONSEQUENCE = {
    "good agreement": "conclusions on this criterion are safe",
    "moderate agreement": "conclusions on this criterion are tentative",
    "low agreement": "reviewers often read the same submission differently on this criterion",
}


def _alpha_words(alpha: float) -> str:
    words = reading(alpha)
    return f"{words}: {CONSEQUENCE[words]}" if words in CONSEQUENCE else words


def agreement_paragraphs(agreement: pd.DataFrame, labels: Mapping[str, str]) -> tuple[str, ...]:
    if agreement.empty or agreement["submissions"].sum() == 0:
        return ("No submission has two reviews yet, so agreement between reviewers cannot be measured.",)
    lines = [
        "How far reviewers of the same submission agree is measured by Krippendorff's alpha on the raw scores: "
        f"1 is perfect agreement, 0 no better than chance; from {GOOD:g} agreement is good, from {TENTATIVE:g} "
        "moderate. Differences in leniency lower it; the calibrated score corrects for them."
    ]
    for row in agreement.itertuples():
        alpha = row.alpha_ordinal
        value = f"{alpha:.2f}" if np.isfinite(alpha) else "not computed"
        lines.append(
            f"{labels.get(row.criterion, row.criterion)}: alpha {value} over {row.submissions} submissions with two or "
            f"more scores; {_alpha_words(alpha)}."
        )
    return tuple(lines)


def methods_paragraphs(config: CallConfig) -> tuple[str, ...]:
    criteria = "; ".join(f"{c.label} (weight {config.weights.get(c.id, 0):g})" for c in config.criteria)
    return (
        f"Submissions were coded on import by theme, focus area, form of exploitation, sector, source and form of "
        f"evidence, nation, stage and reported impact, using the call's published taxonomy. Each was assigned to "
        f"{config.reviewers_per_submission} reviewers, none reviewing their own organisation or one they declared a "
        "conflict with.",
        f"Reviewers scored each submission from 1 to 5 on each criterion of the rubric: {criteria}. A reviewer who "
        "could not judge a criterion said so; that is left out of the averages, never counted as 0.",
        "The calibrated score is a weighted mean over the criteria of each criterion's calibrated score, from a model "
        "that estimates each reviewer's leniency and use of the scale from all reviews together (docs/scoring.md). "
        "A submission's reported impact is not an input: an evaluation that found no benefit, or harm, is never "
        "marked down for its findings.",
        "The evidence and gap map counts submissions in each cell of themes and focus areas against forms of "
        "exploitation; a submission coded with two values counts in both. An absolute gap is a cell where nothing came "
        f"in; an evidence gap a cell where submissions came in, but none judged reaches mean evidence strength "
        f"{config.evidence_strength_level:g}.",
        "Agreement is Krippendorff's alpha (ordinal metric), which allows any number of reviewers per submission and "
        "missing scores (Krippendorff 2011).",
        "Identities: a contributor who asked to stay anonymous appears in this briefing only by the title of their "
        "submission and as “Anonymous contributor”. No contact name or email address is in it.",
    )
