"""The best a method could do from the scores alone, on the calibration bench's panels.

`bayes_ranking` is the posterior mean of each submission's overall quality
under the simulation's own model, with its true population settings (how much
reviewers vary in leniency, scale and noise; how the criteria are related),
by Gibbs sampling: reviewers' individual leniency, scale and noise are NOT
known, only how they are distributed, exactly the position of any method that
learns them from the scores. It also models the rounding to whole points and
the cut-off at 1 and 5 (each score is a latent continuous score drawn within
its rounding interval). So, up to Monte Carlo error and the one approximation
(the log-normal scale taken as a normal of the same mean and variance), no
method working from the same scores can expect to rank better: it is the
ceiling for `score_submissions`, which must also estimate those settings.
`oracle_ranking` (bench/calibration_bench.py) knows each reviewer's own
parameters, which no method can.

Slow beside the bench (seconds per panel), so the bench runs it only with
--bayes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from bench.calibration_bench import CRITERIA, MIDDLE, SHARED, STRETCH, WEIGHTS, Panel, Scenario

SWEEPS, BURN_IN = 400, 100
NOISE_GRID = 11  # reviewers' noise SD is sampled on this many points of its (uniform) range


def bayes_ranking(panel: Panel, scenario: Scenario, seed: int) -> pd.Series:
    """Posterior mean of the overall quality of every reviewed submission (Rao-Blackwellised Gibbs)."""
    rng = np.random.default_rng(10_000 + seed)
    frame = panel.reviews.dropna(subset=["score"])
    s, r = frame["submission_id"].to_numpy(), frame["reviewer_id"].to_numpy()
    c = pd.Categorical(frame["criterion"], categories=CRITERIA).codes.astype(int)
    y = frame["score"].to_numpy()
    n_sub, n_rev, n_crit = len(panel.truth), len(panel.scale), len(CRITERIA)
    rows = np.arange(len(y))
    low = np.where(y <= 1, -np.inf, y - 0.5)
    high = np.where(y >= 5, np.inf, y + 0.5)

    # Reviewer block (a, d_1..d_C, b) ~ N(prior_mean, prior_prec^-1): the true spreads; b's log-normal as a normal.
    log_var = scenario.scale_sd**2
    mean_b, var_b = np.exp(log_var / 2), (np.exp(log_var) - 1) * np.exp(log_var)
    n_par = n_crit + 2
    prior_prec = np.diag([scenario.leniency_sd**-2] + [scenario.criterion_leniency_sd**-2] * n_crit + [1 / var_b])
    prior_mean = np.zeros(n_par)
    prior_mean[-1] = mean_b
    grid = np.linspace(*scenario.noise, NOISE_GRID)
    quality_prec = np.linalg.inv(SHARED**2 * np.ones((n_crit, n_crit)) + (1 - SHARED**2) * np.eye(n_crit))

    theta = np.tile(prior_mean, (n_rev, 1))
    sigma = np.full(n_rev, float(np.mean(scenario.noise)))
    q = np.zeros((n_sub, n_crit))
    design = np.zeros((len(y), n_par))
    design[:, 0] = 1.0
    design[rows, 1 + c] = 1.0
    total = np.zeros((n_sub, n_crit))
    for sweep in range(SWEEPS):
        offset = MIDDLE + theta[r, 0] + theta[r, 1 + c]
        gain = theta[r, -1] * STRETCH
        # Latent continuous scores, each within its rounding interval.
        mean, sd = offset + gain * q[s, c], sigma[r]
        lo, hi = ndtr((low - mean) / sd), ndtr((high - mean) / sd)
        u = np.clip(lo + rng.random(len(y)) * (hi - lo), 1e-12, 1 - 1e-12)
        z = mean + sd * ndtri(u)
        # Reviewers' (a, d, b), given the qualities and their noise.
        design[:, -1] = STRETCH * q[s, c]
        w = 1 / sd**2
        prec = np.zeros((n_rev, n_par, n_par))
        np.add.at(prec, r, w[:, None, None] * design[:, :, None] * design[:, None, :])
        rhs = np.zeros((n_rev, n_par))
        np.add.at(rhs, r, (w * (z - MIDDLE))[:, None] * design)
        theta = _draw(prec + prior_prec, rhs + prior_prec @ prior_mean, rng)[1]
        offset = MIDDLE + theta[r, 0] + theta[r, 1 + c]
        gain = theta[r, -1] * STRETCH
        # Reviewers' noise SD on the grid, given the rest (uniform prior).
        resid = np.bincount(r, weights=(z - offset - gain * q[s, c]) ** 2, minlength=n_rev)
        count = np.bincount(r, minlength=n_rev)
        log_p = -count[:, None] * np.log(grid)[None, :] - resid[:, None] / (2 * grid[None, :] ** 2)
        p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        sigma = grid[np.minimum((rng.random(n_rev)[:, None] > cumulative).sum(axis=1), NOISE_GRID - 1)]
        # Qualities, jointly over a submission's criteria, given the reviewers.
        w = 1 / sigma[r] ** 2
        cell = s * n_crit + c
        p_q = np.bincount(cell, weights=w * gain**2, minlength=n_sub * n_crit).reshape(n_sub, n_crit)
        rhs_q = np.bincount(cell, weights=w * gain * (z - offset), minlength=n_sub * n_crit).reshape(n_sub, n_crit)
        mean_q, q = _draw(quality_prec[None] + p_q[:, :, None] * np.eye(n_crit)[None], rhs_q, rng)
        if sweep >= BURN_IN:
            total += mean_q  # the conditional mean, not the draw: less Monte Carlo noise
    weights = np.array([WEIGHTS[k] for k in CRITERIA])
    posterior = total / (SWEEPS - BURN_IN) @ weights / weights.sum()
    reviewed = np.unique(s)
    return pd.Series(posterior[reviewed], index=pd.Index(reviewed, name="submission_id"))


def _draw(precision: np.ndarray, rhs: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Mean and one draw of N(precision^-1 rhs, precision^-1), for a stack of small systems."""
    mean = np.linalg.solve(precision, rhs[:, :, None])[:, :, 0]
    chol = np.linalg.cholesky(precision)
    noise = np.linalg.solve(np.transpose(chol, (0, 2, 1)), rng.normal(size=(*rhs.shape, 1)))[:, :, 0]
    return mean, mean + noise
