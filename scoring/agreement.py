"""Inter-rater agreement: Krippendorff's alpha per criterion.

Krippendorff's alpha suits a review panel: any number of reviewers per
submission, different reviewers for different submissions, and missing scores
("cannot judge") are all allowed. It compares how far apart two reviewers of
the same submission are with how far apart any two scores are:

    alpha = 1 - observed disagreement / disagreement expected by chance

"How far apart" is the metric. Two are computed (Krippendorff 2011,
"Computing Krippendorff's alpha-reliability"):

* ordinal: the rubric's 1..5 are ordered categories whose steps are not known
  to be equal. The distance between scores c <= k counts the pairable scores
  between them, delta(c, k) = (sum of n_g for g = c..k - (n_c + n_k) / 2)^2,
  n_g being how often score g was given among the pairable values. That is
  the squared difference of the two scores' mid-ranks among the pairable
  values, so ordinal alpha is interval alpha on mid-ranks. This is the one to
  read first;
* interval: the steps are taken as equal, delta(c, k) = (c - k)^2: what the
  calibrated score assumes.

1 is perfect agreement, 0 is no better than chance, below 0 systematic
disagreement. Krippendorff's own guidance: conclusions are safe from 0.8,
tentative from 0.667. Only submissions with two or more scores on a criterion
count; the reading (good, moderate, low) is of the ordinal alpha. Alpha is
computed on the raw scores, so a lenient and a harsh reviewer of the same
submissions lower it even when they order submissions alike; that is part of
what the calibrated score corrects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

GOOD, TENTATIVE = 0.8, 0.667
ORDINAL_COLUMN = "Krippendorff's alpha (ordinal)"
INTERVAL_COLUMN = "Krippendorff's alpha (interval)"


def _pairable(units, values) -> tuple[np.ndarray, np.ndarray]:
    """The values (floats) and their units (0..k-1) of the units with two or more values; NaN values and
    values without a unit are left out."""
    u = pd.Series(np.asarray(units))
    v = np.asarray(values, dtype=float)
    ok = ~(np.isnan(v) | u.isna().to_numpy())
    codes, _ = pd.factorize(u[ok])
    v = v[ok]
    keep = np.bincount(codes)[codes] >= 2 if len(codes) else np.zeros(0, dtype=bool)
    codes, v = codes[keep], v[keep]
    codes = np.unique(codes, return_inverse=True)[1].reshape(-1) if len(codes) else codes
    return codes, v


def _alpha_interval(codes: np.ndarray, v: np.ndarray) -> float:
    if len(codes) == 0 or codes.max() < 1:  # fewer than two units
        return float("nan")
    # Vectorised per-unit sums (a Python function per unit took seconds on a 10,000-submission call).
    m = np.bincount(codes).astype(float)
    s = np.bincount(codes, weights=v)
    ss = np.bincount(codes, weights=v * v)
    n = m.sum()
    # Sum over ordered pairs i != j within a unit of (v_i - v_j)^2 is 2 (m ss - s^2).
    observed = (2 * (m * ss - s**2) / (m - 1)).sum() / n
    total_s, total_ss = s.sum(), ss.sum()
    expected = 2 * (n * total_ss - total_s**2) / (n * (n - 1))
    if expected <= 1e-12:
        return float("nan")
    return float(1 - observed / expected)


def krippendorff_alpha_interval(units: pd.Series, values: pd.Series) -> float:
    """Alpha (interval metric) of `values` grouped by `units`; NaN values are ignored.

    NaN when fewer than two units have two values, or when every value is the same.
    """
    return _alpha_interval(*_pairable(units, values))


def krippendorff_alpha_ordinal(units: pd.Series, values: pd.Series) -> float:
    """Alpha (ordinal metric) of `values` grouped by `units`; NaN values are ignored.

    Each value is replaced by its mid-rank among the pairable values (those in
    units with two or more values): mid-rank(c) = n_<c + n_c / 2, so the
    squared difference of two mid-ranks is Krippendorff's ordinal
    delta(c, k) = (n_c + ... + n_k - (n_c + n_k) / 2)^2, and the interval
    formula on mid-ranks is the ordinal alpha. NaN in the same cases as
    `krippendorff_alpha_interval`.
    """
    codes, v = _pairable(units, values)
    mid_rank = pd.Series(v).rank(method="average").to_numpy() - 0.5  # n_<c + (n_c + 1) / 2 - 1/2 = n_<c + n_c / 2
    return _alpha_interval(codes, mid_rank)


def reading(alpha: float) -> str:
    if not np.isfinite(alpha):
        return "not enough overlapping scores"
    if alpha >= GOOD:
        return "good agreement"
    if alpha >= TENTATIVE:
        return "moderate agreement"
    if alpha > 0:
        return "low agreement"
    return "no agreement beyond chance"


def agreement_table(reviews: pd.DataFrame, criteria: Iterable[str]) -> pd.DataFrame:
    """Per criterion: ordinal and interval alpha, the ordinal one's reading, and
    how many submissions and scores they rest on."""
    rows = []
    for criterion in criteria:
        part = reviews[(reviews["criterion"] == criterion) & reviews["score"].notna()]
        sizes = part.groupby("submission_id").size()
        shared = sizes[sizes >= 2]
        ordinal = krippendorff_alpha_ordinal(part["submission_id"], part["score"])
        rows.append(
            {
                "criterion": criterion,
                "alpha_ordinal": ordinal,
                "alpha_interval": krippendorff_alpha_interval(part["submission_id"], part["score"]),
                "reading": reading(ordinal),
                "submissions": len(shared),
                "scores": int(shared.sum()),
            }
        )
    return pd.DataFrame(
        rows, columns=["criterion", "alpha_ordinal", "alpha_interval", "reading", "submissions", "scores"]
    )


def agreement_display(agreement: pd.DataFrame, criterion_labels: Mapping[str, str]) -> pd.DataFrame:
    """`agreement_table`'s frame for people: criteria by label, alphas to two
    decimals, columns named in words."""
    shown = agreement.assign(
        criterion=agreement["criterion"].map(criterion_labels),
        alpha_ordinal=agreement["alpha_ordinal"].round(2),
        alpha_interval=agreement["alpha_interval"].round(2),
    )
    return shown.rename(
        columns={
            "criterion": "Criterion",
            "alpha_ordinal": ORDINAL_COLUMN,
            "alpha_interval": INTERVAL_COLUMN,
            "reading": "Reading",
            "submissions": "Submissions with 2+ scores",
            "scores": "Scores used",
        }
    )
