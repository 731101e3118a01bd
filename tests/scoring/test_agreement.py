"""Krippendorff's alpha: hand-computed values and an independent brute-force check."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from scoring.agreement import agreement_table, krippendorff_alpha_interval, reading


def brute_force_alpha(units, values) -> float:
    """Straight from the definition with the coincidence matrix, pair by pair."""
    by_unit: dict = {}
    for u, v in zip(units, values, strict=True):
        if not math.isnan(v):
            by_unit.setdefault(u, []).append(v)
    pairable = {u: vs for u, vs in by_unit.items() if len(vs) >= 2}
    n = sum(len(vs) for vs in pairable.values())
    observed = 0.0
    for vs in pairable.values():
        for i, j in itertools.permutations(range(len(vs)), 2):
            observed += (vs[i] - vs[j]) ** 2 / (len(vs) - 1)
    observed /= n
    pooled = [v for vs in pairable.values() for v in vs]
    expected = sum((a - b) ** 2 for a, b in itertools.permutations(pooled, 2)) / (n * (n - 1))
    return 1 - observed / expected


def test_perfect_agreement_is_one():
    assert krippendorff_alpha_interval(pd.Series([1, 1, 2, 2, 3, 3]), pd.Series([1, 1, 3, 3, 5, 5])) == 1.0


def test_hand_computed_systematic_disagreement():
    # Units (1, 2) and (2, 1): D_o = 4 / 4 = 1; D_e = 2 (4 * 10 - 36) / 12 = 2 / 3; alpha = 1 - 1.5.
    assert krippendorff_alpha_interval(pd.Series([1, 1, 2, 2]), pd.Series([1, 2, 2, 1])) == pytest.approx(-0.5)


def test_matches_the_definition_on_random_sparse_data_with_missing_scores():
    rng = np.random.default_rng(7)
    units = rng.integers(0, 25, 120)
    values = rng.integers(1, 6, 120).astype(float)
    values[rng.random(120) < 0.15] = np.nan
    assert krippendorff_alpha_interval(pd.Series(units), pd.Series(values)) == pytest.approx(
        brute_force_alpha(units, values)
    )


def test_undefined_without_overlap_or_variation():
    assert math.isnan(krippendorff_alpha_interval(pd.Series([1, 2, 3]), pd.Series([4.0, 2.0, 5.0])))
    assert math.isnan(krippendorff_alpha_interval(pd.Series([1, 1, 2, 2]), pd.Series([3.0, 3.0, 3.0, 3.0])))
    assert reading(float("nan")) == "not enough overlapping scores"
    assert (
        reading(0.85) == "good agreement" and reading(0.7) == "moderate agreement" and reading(0.3) == "low agreement"
    )


def test_agreement_table_per_criterion():
    reviews = pd.DataFrame(
        [
            (1, 10, "promise", 4.0),
            (1, 11, "promise", 4.0),
            (2, 10, "promise", 2.0),
            (2, 11, "promise", 2.0),
            (1, 10, "evidence_strength", np.nan),
            (1, 11, "evidence_strength", 3.0),
            (3, 12, "promise", 5.0),
        ],
        columns=["submission_id", "reviewer_id", "criterion", "score"],
    )
    table = agreement_table(reviews, ["promise", "evidence_strength"]).set_index("criterion")
    assert table.loc["promise", "alpha"] == 1.0
    assert table.loc["promise", "submissions"] == 2 and table.loc["promise", "scores"] == 4
    assert math.isnan(table.loc["evidence_strength", "alpha"])
    assert table.loc["evidence_strength", "submissions"] == 0
