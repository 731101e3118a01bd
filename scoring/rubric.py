"""The rubric's rules for one review, as pure checks.

A score is 1..5 or `None` for "cannot judge" (never a low score). A criterion
missing from `scores` is not yet answered, which a draft may be and a submitted
review may not. A comment is required when any score is 1 or 5.
"""

from __future__ import annotations

from collections.abc import Mapping

from config import limits
from config.call_config import CallConfig

SCALE = (1, 2, 3, 4, 5)
CANNOT_JUDGE = None


def check_review(
    *,
    scores: Mapping[str, int | None],
    comment: str,
    recommendation: str | None,
    confidence: str | None,
    submit: bool,
    config: CallConfig,
) -> list[str]:
    """Every problem with a review, in words; empty when it may be saved."""
    problems = []
    if problem := limits.too_long("The comment", comment, limits.REVIEW_COMMENT):
        problems.append(problem)
    if isinstance(comment, str) and "\x00" in comment:  # PostgreSQL stores it neither in text nor in JSON
        problems.append("The comment holds a null character, which cannot be stored. Remove it and try again.")
    problems += _value_problems(scores, recommendation, confidence, config)
    if submit:
        problems += _submit_problems(scores, comment, recommendation, confidence, config)
    return problems


def _value_problems(
    scores: Mapping[str, int | None], recommendation: str | None, confidence: str | None, config: CallConfig
) -> list[str]:
    """Scores, recommendation and confidence that are not the rubric's."""
    problems: list[str] = []
    known = set(config.criterion_ids)
    for criterion, score in scores.items():
        if criterion not in known:
            problems.append(f"Unknown criterion {criterion!r}.")
        elif score is not None and (isinstance(score, bool) or not isinstance(score, int) or score not in SCALE):
            problems.append(
                f"{config.criterion(criterion).label}: the score must be 1 to 5 or 'cannot judge', not {score!r}."
            )
    if recommendation is not None and recommendation not in config.recommendations.ids:
        problems.append(f"Unknown recommendation {recommendation!r}.")
    if confidence is not None and confidence not in config.confidence_levels.ids:
        problems.append(f"Unknown confidence {confidence!r}.")
    return problems


def _submit_problems(
    scores: Mapping[str, int | None],
    comment: str,
    recommendation: str | None,
    confidence: str | None,
    config: CallConfig,
) -> list[str]:
    """What a submitted review needs beyond a draft: every criterion answered, a
    recommendation, a confidence, and a comment when a score is 1 or 5."""
    problems: list[str] = []
    known = set(config.criterion_ids)
    for c in config.criteria:
        if c.id not in scores:
            problems.append(f"{c.label}: choose a score or 'cannot judge' before submitting.")
    if recommendation is None:
        problems.append("Choose a recommendation before submitting.")
    if confidence is None:
        problems.append("Choose your confidence before submitting.")
    extremes = [config.criterion(k).label for k, v in scores.items() if k in known and v in (1, 5)]
    if extremes and not comment.strip():
        problems.append(f"A comment is required when a score is 1 or 5 ({', '.join(extremes)}).")
    return problems
