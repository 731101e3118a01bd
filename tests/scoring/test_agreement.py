"""Krippendorff's alpha: hand-computed values and an independent brute-force check."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.agreement import (
    agreement_display,
    agreement_table,
    krippendorff_alpha_interval,
    krippendorff_alpha_ordinal,
    reading,
)


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
    assert table.loc["promise", "alpha_ordinal"] == 1.0 and table.loc["promise", "alpha_interval"] == 1.0
    assert table.loc["promise", "submissions"] == 2 and table.loc["promise", "scores"] == 4
    assert math.isnan(table.loc["evidence_strength", "alpha_ordinal"])
    assert math.isnan(table.loc["evidence_strength", "alpha_interval"])
    assert table.loc["evidence_strength", "reading"] == "not enough overlapping scores"
    assert table.loc["evidence_strength", "submissions"] == 0


def test_agreement_table_gives_both_alphas_and_reads_the_ordinal_one():
    units, values = literature_example()
    reviews = pd.DataFrame({"submission_id": units, "reviewer_id": 0, "criterion": "promise", "score": values})
    row = agreement_table(reviews, ["promise"]).set_index("criterion").loc["promise"]
    assert round(row["alpha_ordinal"], 3) == 0.815 and round(row["alpha_interval"], 3) == 0.849
    assert row["reading"] == "good agreement"
    assert row["submissions"] == 11 and row["scores"] == 40
    # Where the two differ across a threshold, the reading follows the ordinal alpha.
    reviews = pd.DataFrame(
        {
            "submission_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            "reviewer_id": 0,
            "criterion": "promise",
            "score": [1.0, 1.0, 4.0, 5.0, 5.0, 4.0, 4.0, 4.0, 5.0, 5.0],
        }
    )
    row = agreement_table(reviews, ["promise"]).iloc[0]
    assert row["alpha_interval"] >= 0.8 > row["alpha_ordinal"]
    assert row["reading"] == reading(row["alpha_ordinal"]) != "good agreement"


def test_agreement_display_names_both_alphas_in_words():
    units, values = literature_example()
    reviews = pd.DataFrame({"submission_id": units, "reviewer_id": 0, "criterion": "promise", "score": values})
    shown = agreement_display(agreement_table(reviews, ["promise"]), {"promise": "Promise"})
    assert list(shown.columns) == [
        "Criterion",
        "Krippendorff's alpha (ordinal)",
        "Krippendorff's alpha (interval)",
        "Reading",
        "Submissions with 2+ scores",
        "Scores used",
    ]
    assert shown.iloc[0].tolist() == ["Promise", 0.82, 0.85, "good agreement", 11, 40]


def coincidence_alpha(units, values, delta) -> float:
    """Krippendorff (2011) step by step: the coincidence matrix o_ck of the
    pairable values, its marginals n_c, and alpha = 1 - (n - 1) sum o_ck d_ck /
    sum n_c n_k d_ck, with `delta(c, k, n_marginals)` the squared distance."""
    by_unit: dict = {}
    for u, v in zip(units, values, strict=True):
        if not math.isnan(v):
            by_unit.setdefault(u, []).append(v)
    pairable = [vs for vs in by_unit.values() if len(vs) >= 2]
    categories = sorted({v for vs in pairable for v in vs})
    o = {(c, k): 0.0 for c in categories for k in categories}
    for vs in pairable:
        for i, j in itertools.permutations(range(len(vs)), 2):
            o[vs[i], vs[j]] += 1 / (len(vs) - 1)
    marginal = {c: sum(o[c, k] for k in categories) for c in categories}
    n = sum(marginal.values())
    observed = sum(o[c, k] * delta(c, k, categories, marginal) for c in categories for k in categories)
    expected = sum(
        marginal[c] * marginal[k] * delta(c, k, categories, marginal) for c in categories for k in categories
    )
    return 1 - (n - 1) * observed / expected


def ordinal_delta(c, k, categories, marginal) -> float:
    """delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 (Krippendorff 2011, ordinal metric)."""
    low, high = min(c, k), max(c, k)
    between = sum(marginal[g] for g in categories if low <= g <= high)
    return (between - (marginal[c] + marginal[k]) / 2) ** 2


def interval_delta(c, k, categories, marginal) -> float:
    return (c - k) ** 2


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the worked example: 4 observers,
# 12 units, values 1..5, missing values; the paper gives alpha 0.815 ordinal and 0.849 interval
# (0.743 nominal, 0.797 ratio). Rows are observers A..D, columns units 1..12; None = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def literature_example():
    units, values = [], []
    for row in KRIPPENDORFF_2011:
        for unit, value in enumerate(row, start=1):
            units.append(unit)
            values.append(float("nan") if value is None else float(value))
    return pd.Series(units), pd.Series(values)


def test_krippendorff_2011_worked_example_ordinal_and_interval():
    units, values = literature_example()
    assert round(krippendorff_alpha_ordinal(units, values), 3) == 0.815
    assert round(krippendorff_alpha_interval(units, values), 3) == 0.849


def test_ordinal_alpha_of_the_worked_example_by_the_coincidence_matrix():
    units, values = literature_example()
    assert coincidence_alpha(units, values, ordinal_delta) == pytest.approx(0.815, abs=5e-4)
    assert coincidence_alpha(units, values, interval_delta) == pytest.approx(0.849, abs=5e-4)


@pytest.mark.parametrize("seed", range(6))
def test_ordinal_alpha_matches_the_coincidence_matrix_on_random_panels(seed):
    rng = np.random.default_rng(seed)
    size = 40 + 30 * seed
    units = rng.integers(0, 5 + 4 * seed, size)
    # Skewed scores (most 3..5, few 1s) so that unequal marginals make ordinal differ from interval.
    values = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], size, p=[0.04, 0.1, 0.26, 0.35, 0.25])
    values[rng.random(size) < 0.1] = np.nan
    expected = coincidence_alpha(units, values, ordinal_delta)
    assert krippendorff_alpha_ordinal(pd.Series(units), pd.Series(values)) == pytest.approx(expected, abs=1e-9)


def test_ordinal_alpha_uses_only_the_pairable_values_marginals():
    # The same pairable units, plus lone scores (units with one value) of 1: they must not move the ranks.
    units = pd.Series([1, 1, 2, 2, 3, 3])
    values = pd.Series([3.0, 4.0, 4.0, 5.0, 5.0, 5.0])
    with_lone = (pd.concat([units, pd.Series([7, 8, 9])]), pd.concat([values, pd.Series([1.0, 1.0, 1.0])]))
    assert krippendorff_alpha_ordinal(*with_lone) == pytest.approx(krippendorff_alpha_ordinal(units, values))
    assert krippendorff_alpha_ordinal(units, values) == pytest.approx(coincidence_alpha(units, values, ordinal_delta))


def test_ordinal_alpha_depends_on_order_not_on_the_spacing_of_the_steps():
    rng = np.random.default_rng(3)
    units = rng.integers(0, 20, 80)
    values = rng.integers(1, 6, 80).astype(float)
    stretched = np.array([0.0, 1.0, 1.5, 7.0, 30.0, 31.0])[values.astype(int)]  # same order, unequal steps
    ordinal = krippendorff_alpha_ordinal(pd.Series(units), pd.Series(values))
    assert krippendorff_alpha_ordinal(pd.Series(units), pd.Series(stretched)) == pytest.approx(ordinal)
    assert krippendorff_alpha_interval(pd.Series(units), pd.Series(stretched)) != pytest.approx(
        krippendorff_alpha_interval(pd.Series(units), pd.Series(values))
    )


def test_ordinal_alpha_undefined_like_the_interval_one():
    assert math.isnan(krippendorff_alpha_ordinal(pd.Series([1, 2, 3]), pd.Series([4.0, 2.0, 5.0])))
    assert math.isnan(krippendorff_alpha_ordinal(pd.Series([1, 1, 2, 2]), pd.Series([3.0, 3.0, 3.0, 3.0])))
    assert krippendorff_alpha_ordinal(pd.Series([1, 1, 2, 2]), pd.Series([1.0, 1.0, 5.0, 5.0])) == 1.0


panels = st.lists(
    st.tuples(st.integers(0, 8), st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, math.nan])), min_size=2, max_size=60
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(panels)
def test_ordinal_alpha_is_the_coincidence_matrix_alpha_for_any_panel(rows):
    units, values = [u for u, _ in rows], [v for _, v in rows]
    alpha = krippendorff_alpha_ordinal(pd.Series(units), pd.Series(values))
    pairable = pd.Series(values).dropna().groupby(pd.Series(units)[pd.Series(values).notna()]).size()
    pooled = [v for u, v in rows if not math.isnan(v) and pairable.get(u, 0) >= 2]
    if len(pairable[pairable >= 2]) < 2 or len(set(pooled)) < 2:
        assert math.isnan(alpha)
        return
    assert alpha == pytest.approx(coincidence_alpha(units, values, ordinal_delta), abs=1e-9)
    assert alpha <= 1 + 1e-12


@settings(max_examples=60, deadline=None, derandomize=True)
@given(panels, st.lists(st.floats(0.01, 10), min_size=5, max_size=5), st.permutations(range(9)))
def test_ordinal_alpha_ignores_the_spacing_of_the_steps_and_the_names_of_the_units(rows, steps, names):
    units, values = pd.Series([u for u, _ in rows]), pd.Series([v for _, v in rows])
    positions = np.cumsum(steps)  # any strictly increasing values for 1..5
    respaced = values.map(lambda v: v if math.isnan(v) else float(positions[int(v) - 1]))
    renamed = units.map(lambda u: names[u])
    expected = krippendorff_alpha_ordinal(units, values)
    for got in (krippendorff_alpha_ordinal(units, respaced), krippendorff_alpha_ordinal(renamed, values)):
        assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, abs=1e-9)
