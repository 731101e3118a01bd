"""bench/calibration_bench.py's references: the oracle and the Bayes ranking rank what they should."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from bench.calibration_bayes import bayes_ranking
from bench.calibration_bench import (
    CRITERIA,
    MIDDLE,
    STRETCH,
    Panel,
    Scenario,
    evaluate,
    oracle_ranking,
    simulate_panel,
)


def tau(estimate: pd.Series, truth: pd.Series) -> float:
    return float(kendalltau(estimate.to_numpy(), truth.reindex(estimate.index).to_numpy()).statistic)


def test_the_oracle_undoes_each_reviewers_leniency_exactly():
    """Noiseless, unrounded scores by reviewers of very different leniency: the oracle, knowing it, ranks
    perfectly; the plain mean does not (each submission had two of the four reviewers)."""
    rng = np.random.default_rng(5)
    n_sub, n_crit = 40, len(CRITERIA)
    quality = rng.normal(size=(n_sub, n_crit))
    leniency = np.array([[-1.5] * n_crit, [0.0] * n_crit, [1.0] * n_crit, [2.0] * n_crit])
    scale = np.ones(4)
    rows = []
    for s in range(n_sub):
        for r in rng.choice(4, 2, replace=False):
            for c, criterion in enumerate(CRITERIA):
                rows.append((s, r, criterion, MIDDLE + leniency[r, c] + STRETCH * scale[r] * quality[s, c]))
    reviews = pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "criterion", "score"])
    truth = pd.Series(quality.mean(axis=1))
    panel = Panel(reviews, truth, leniency, scale, np.zeros(4))
    assert tau(oracle_ranking(panel), truth) == 1.0
    plain = reviews.groupby("submission_id")["score"].mean()
    assert tau(plain, truth) < 0.9


def test_the_oracle_and_the_bayes_ranking_beat_the_plain_mean_on_a_sparse_panel():
    scenario = Scenario("small", "", 90, 30, 3, leniency_sd=1.0)
    panel = simulate_panel(scenario, 3)
    plain = panel.reviews.groupby("submission_id")["score"].mean()
    bayes = bayes_ranking(panel, scenario, 3)
    assert list(bayes.index) == sorted(panel.reviews["submission_id"].unique())
    assert tau(oracle_ranking(panel), panel.truth) > tau(plain, panel.truth) + 0.05
    assert tau(bayes, panel.truth) > tau(plain, panel.truth) + 0.05


def test_evaluate_reports_every_method_and_the_references():
    scenario = Scenario("small", "", 60, 12, 3)
    figures = evaluate(scenario, 1, bayes=True)
    assert list(figures) == ["plain mean", "z-scores", "calibrated", "oracle", "Bayes"]
    assert all(-1 <= t <= 1 and 0 <= p <= 1 for t, p in figures.values())
    assert "Bayes" not in evaluate(scenario, 1)
