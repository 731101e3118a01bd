"""A calibration started from the last one (`calibrate(..., start=)`, what the app does after each save)
reaches the cold fit's numbers (within 0.01 points on the 1..5 scale, 0.01 in leniency and scale) in fewer
sweeps, whatever changed: scores, a new submission, a new reviewer, a review gone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring import calibrate

WEIGHTS = {"relevance": 2.0, "evidence_strength": 1.0, "feasibility": 1.0}
TOLERANCE = 0.01  # points (1..5 scale), and leniency and scale units


def panel(n_sub: int = 600, n_rev: int = 30, k: int = 3, seed: int = 4) -> pd.DataFrame:
    """Lenient and harsh reviewers, each submission reviewed by `k`, some "cannot judge"."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 1, n_sub)
    leniency = rng.normal(0, 0.5, n_rev)
    rows = []
    for s in range(n_sub):
        for r in rng.choice(n_rev, size=k, replace=False):
            for j, c in enumerate(WEIGHTS):
                raw = 3 + quality[s] + leniency[r] + 0.3 * j + rng.normal(0, 0.6)
                score = np.nan if rng.random() < 0.03 else float(np.clip(np.rint(raw), 1, 5))
                rows.append((1000 + s, 500 + int(r), c, score))
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "criterion", "score"])


def assert_same_fit(warm, cold) -> None:
    subs, cold_subs = warm.submissions, cold.submissions
    assert list(subs.index) == list(cold_subs.index)
    for column in ["overall_calibrated", *(f"calibrated_{c}" for c in WEIGHTS)]:
        gap = (subs[column] - cold_subs[column]).abs()
        assert gap.max() < TOLERANCE, column
        assert subs[column].isna().equals(cold_subs[column].isna())
    pd.testing.assert_frame_equal(
        subs.drop(columns=[c for c in subs if "calibrated" in c]),
        cold_subs.drop(columns=[c for c in cold_subs if "calibrated" in c]),
    )
    for column in ("leniency", "scale"):
        assert (warm.reviewers[column] - cold.reviewers[column]).abs().max() < TOLERANCE, column


def changed(frame: pd.DataFrame, how: str, rng) -> pd.DataFrame:
    frame = frame.copy()
    if how == "scores":
        for i in rng.choice(len(frame), size=5, replace=False):
            frame.loc[i, "score"] = float(rng.integers(1, 6))
    elif how == "new submission":
        extra = [(99_999, 500 + r, c, float(rng.integers(1, 6))) for r in (1, 2) for c in WEIGHTS]
        frame = pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True)
    elif how == "new reviewer":
        extra = [(1000 + s, 777, c, float(rng.integers(1, 6))) for s in range(4) for c in WEIGHTS]
        frame = pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True)
    elif how == "review gone":
        first = frame.iloc[0]
        gone = (frame["submission_id"] == first["submission_id"]) & (frame["reviewer_id"] == first["reviewer_id"])
        frame = frame[~gone].reset_index(drop=True)
    return frame


@pytest.mark.parametrize("how", ["scores", "new submission", "new reviewer", "review gone"])
def test_a_warm_start_reaches_the_cold_fit_in_fewer_sweeps(how):
    rng = np.random.default_rng(11)
    before = calibrate(panel(), WEIGHTS)
    after = changed(panel(), how, rng)
    cold = calibrate(after, WEIGHTS)
    warm = calibrate(after, WEIGHTS, start=before)
    assert_same_fit(warm, cold)
    assert warm.sweeps < cold.sweeps


def test_a_chain_of_warm_starts_does_not_drift_from_the_cold_fit():
    """Twenty saves, each fit started from the last (as the app does), against one cold fit at the end."""
    rng = np.random.default_rng(5)
    frame = panel()
    fit = calibrate(frame, WEIGHTS)
    for _ in range(20):
        frame = changed(frame, "scores", rng)
        fit = calibrate(frame, WEIGHTS, start=fit)
    assert_same_fit(fit, calibrate(frame, WEIGHTS))


def test_a_start_of_other_criteria_is_not_used():
    frame = panel(n_sub=200)
    other = calibrate(
        frame.replace({"criterion": {"feasibility": "other"}}), {**dict.fromkeys(list(WEIGHTS)[:2], 1.0), "other": 1.0}
    )
    cold = calibrate(frame, WEIGHTS)
    started = calibrate(frame, WEIGHTS, start=other)
    assert started.sweeps == cold.sweeps
    pd.testing.assert_frame_equal(started.submissions, cold.submissions)
