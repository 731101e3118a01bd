"""Scores per submission, corrected for lenient and harsh reviewers.

`score_submissions(reviews, weights)` is the public interface (exported by
`scoring`). It takes the long frame of submitted scores
(`data_access.reviews.scores_frame`) and the call's criterion weights, and
returns one row per reviewed submission:

=====================  =======================================================
column                 meaning
=====================  =======================================================
n_reviews              reviewers who submitted a review of it
mean_<criterion>       plain mean of the 1..5 scores on that criterion; NaN
                       when every reviewer answered "cannot judge"
n_<criterion>          how many reviewers scored that criterion
overall_mean           weighted mean of the `mean_<criterion>` values (weights
                       re-normalised over the criteria that were judged)
calibrated_<criterion> the score a typical panel member would give on that
                       criterion, once each reviewer's leniency and use of the
                       scale are allowed for (1..5 scale); NaN when unjudged
overall_calibrated     weighted mean of the `calibrated_<criterion>` values,
                       on the 1..5 scale: the ranking score
disagreement           largest, over the weighted criteria, standard deviation
                       of the reviewers' scores (1..5 points); NaN when no
                       criterion was scored by two or more reviewers
disagreement_<crit.>   that standard deviation for one criterion
flagged                disagreement >= the threshold (listed for discussion)
=====================  =======================================================

The index is `submission_id`, sorted. Submissions without a review are not in
the result (callers join). `overall_calibrated` is what a typical reviewer of
this panel would give, so it reads like a score; it is pulled towards the
panel's average more when a submission has few reviews (one opinion is treated
with caution), so it is a little narrower than the plain mean.

The method (see docs/scoring.md for the plain-words version)
--------------------------------------------------------------
Scores of each criterion are first put in standard units (panel mean 0, SD 1).
Then, per criterion c, reviewer r and submission s::

    score = a_r + d_rc + b_r * q_sc + noise        noise ~ N(0, sigma_c^2 * rho_r)

`a_r` is the reviewer's leniency (shared by the criteria), `d_rc` their extra
leniency on one criterion, `b_r` how widely they use the scale, `rho_r` how
noisy they are compared with the panel, and `q_sc` the submission's quality.
Priors keep the estimates sane where data is thin: `a_r ~ N(0, A)`,
`d_rc ~ N(0, D)`, `b_r ~ N(1, B)`, `q_sc ~ N(0, T_c)`, and `rho_r` counts as
`Priors.noise_weight` scores at the panel's noise; so a reviewer with few
reviews is taken as typical until the data say otherwise, and a submission
with few reviews is pulled towards the average. The variances (A, D, B, T_c,
sigma_c^2) are estimated from the data themselves (empirical Bayes), each with
a weak prior worth `Priors.weight` pseudo-observations that keeps it off 0.

The model is fitted by variational Bayes (structured mean field): each
reviewer's (a, d, b) is a Gaussian block, each q_sc a Gaussian. One sweep
solves every reviewer's small ridge regression at once (in closed form: the d
block is diagonal, see `_solve_reviewer_blocks`) and every submission's
weighted mean in one `bincount`, then re-estimates the variances
and takes a parameter-expansion step along the one direction (b larger, q
smaller) that the data cannot tell apart. It is deterministic (no randomness)
and stops when no quality moves by more than `FitOptions.tolerance` standard
units in a sweep (30,000 reviews: ~50 sweeps, well under a second).

What follows from the model: a submission's calibrated score is a weighted
average of its reviewers' scores after removing each one's leniency and
stretching or squeezing to the panel's scale, with more weight for reviewers
who separate submissions clearly and consistently. A reviewer who gives the
same score to everything separates nothing and gets almost no weight; a
reviewer whose scale is uncertain (few reviews) gets less. Disconnected groups
of reviewers are tied together only by the priors: a group's higher scores are
put down partly to its reviewers and partly to its submissions, in proportion
to how much reviewers and submissions are seen to vary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("submission_id", "reviewer_id", "criterion", "score")
SCORE_RANGE = (1.0, 5.0)
DEFAULT_DISAGREEMENT_THRESHOLD = 1.0


@dataclass(frozen=True)
class Priors:
    """Prior guesses for the variance components, in standard units.

    Each is worth `weight` pseudo-observations (reviewers, submissions or
    scores), so the data override them as soon as there is enough of it.
    """

    leniency: float = 0.15  # A: reviewer leniency variance (SD ~0.4 of the panel's SD)
    criterion_leniency: float = 0.03  # D: extra per-criterion leniency
    scale: float = 0.05  # B: variance of how widely reviewers use the scale (SD ~0.22)
    quality: float = 0.5  # T: variance of true quality
    noise: float = 0.4  # sigma^2: a reviewer's unexplained noise
    weight: float = 5.0
    noise_weight: float = 30.0  # a reviewer's own noise level, worth this many scores at the panel's


@dataclass(frozen=True)
class FitOptions:
    max_sweeps: int = 300
    tolerance: float = 1e-4
    priors: Priors = field(default_factory=Priors)


@dataclass(frozen=True)
class Calibration:
    """Everything the fit produced.

    `submissions`: the frame `score_submissions` returns. `reviewers`: one row
    per reviewer with a score (`n_reviews`, `mean_score`: their plain mean over
    all criteria, `leniency`: how many points above a typical reviewer they
    score a typical submission, weighted over criteria like the overall score,
    `scale`: how widely they use the scale, 1 = like the panel, `constant`:
    True when they gave the same score to everything, over two or more reviews). `variances`: the
    fitted variance components (standard units), for the curious.
    """

    submissions: pd.DataFrame
    reviewers: pd.DataFrame
    variances: dict[str, float]
    sweeps: int
    state: FitState | None = None  # where the fit ended: the start of the next one (`calibrate(..., start=)`)


@dataclass(frozen=True)
class FitState:
    """Where a fit ended, by id, so that the next fit after a few scores changed starts there
    (`calibrate(..., start=calibration)`) and needs a sweep or two instead of ~50. The fitted numbers
    do not depend on the start, only how soon the sweeps meet the tolerance."""

    criteria: tuple[str, ...]
    submissions: np.ndarray  # sorted submission ids
    quality: np.ndarray  # submissions x criteria: q (standard units); NaN where nobody judged
    quality_var: np.ndarray  # submissions x criteria: v
    reviewers: np.ndarray  # sorted reviewer ids
    noise_ratio: np.ndarray  # reviewers: rho
    components: tuple[np.ndarray, np.ndarray, float, float, float]  # T (per criterion), sigma^2, A, D, B


def score_submissions(
    reviews: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    disagreement_threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> pd.DataFrame:
    """One row per reviewed submission: plain and calibrated scores, disagreement.

    `reviews`: long frame with columns submission_id, reviewer_id, criterion,
    score (1..5, NaN for "cannot judge"), one row per reviewer, submission and
    criterion. `weights`: criterion id -> weight (>= 0, any sum, at least one
    positive); its keys are the criteria. Raises ValueError on bad input.
    See the module docstring for the columns.
    """
    return calibrate(reviews, weights, disagreement_threshold=disagreement_threshold).submissions


def calibrate(
    reviews: pd.DataFrame,
    weights: Mapping[str, float],
    *,
    disagreement_threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    options: FitOptions | None = None,
    start: Calibration | None = None,
) -> Calibration:
    """`score_submissions` with the reviewers' fitted leniency and scale as well.

    `start`: an earlier calibration of nearly the same reviews (before a save), whose end is where this
    fit starts: the same fixed point is reached (within `FitOptions.tolerance`) in a sweep or two. A start
    of other criteria, or none, starts cold."""
    options = options or FitOptions()
    criteria, w = _check_weights(weights)
    if not np.isfinite(disagreement_threshold) or disagreement_threshold <= 0:
        raise ValueError(f"The disagreement threshold must be a number above 0, not {disagreement_threshold!r}.")
    data = _prepare(reviews, criteria)
    n_sub, n_crit = len(data.submissions), len(criteria)

    plain = _plain_statistics(data, n_crit)
    state = start.state if start is not None else None
    fit = _fit(data, n_crit, options, state if state is not None and state.criteria == tuple(criteria) else None)

    # Submission x criterion tables (NaN where nobody judged).
    count = plain["count"]
    mean = plain["mean"]
    calibrated = np.full((n_sub, n_crit), np.nan)
    judged = count > 0
    calibrated[judged] = (fit.centre[None, :] + fit.spread[None, :] * fit.quality)[judged]

    out = pd.DataFrame(index=pd.Index(data.submissions, name="submission_id"))
    out["n_reviews"] = plain["n_reviews"]
    for j, c in enumerate(criteria):
        out[f"mean_{c}"] = mean[:, j]
    for j, c in enumerate(criteria):
        out[f"n_{c}"] = count[:, j].astype(int)
    out["overall_mean"] = _weighted(mean, w)
    for j, c in enumerate(criteria):
        out[f"calibrated_{c}"] = calibrated[:, j]
    out["overall_calibrated"] = _weighted(calibrated, w)
    sd = plain["sd"]
    counted = sd[:, w > 0]
    has = np.isfinite(counted).any(axis=1)
    disagreement = np.full(n_sub, np.nan)
    disagreement[has] = np.nanmax(counted[has], axis=1)
    out["disagreement"] = disagreement
    for j, c in enumerate(criteria):
        out[f"disagreement_{c}"] = sd[:, j]
    # A tolerance so that e.g. scores 2 and 4 (SD exactly 1.0) meet a threshold of 1.0.
    out["flagged"] = np.nan_to_num(disagreement, nan=-np.inf) >= disagreement_threshold - 1e-9
    out = out.sort_index()

    reviewers = _reviewer_table(data, fit, w, n_crit)
    return Calibration(
        submissions=out,
        reviewers=reviewers,
        variances=fit.variances,
        sweeps=fit.sweeps,
        state=_state(data, fit, tuple(criteria)),
    )


def _state(data: _Data, fit: _Fit, criteria: tuple[str, ...]) -> FitState:
    return FitState(
        criteria=criteria,
        submissions=data.submissions,
        quality=fit.quality_cells,
        quality_var=fit.quality_var,
        reviewers=data.reviewers,
        noise_ratio=fit.noise_ratio,
        components=fit.components,
    )


def _by_id(ids: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of `ids`, its position in the sorted `known` ids, and whether it is there."""
    if len(known) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    pos = np.clip(np.searchsorted(known, ids), 0, len(known) - 1)
    return pos, known[pos] == ids


# ---------------------------------------------------------------------------
# Input checks and indexing


@dataclass
class _Data:
    submissions: np.ndarray  # unique submission ids, sorted
    reviewers: np.ndarray  # unique reviewer ids, sorted
    s: np.ndarray  # per row: submission index
    r: np.ndarray  # per row: reviewer index
    c: np.ndarray  # per row: criterion index
    y: np.ndarray  # per row: score (NaN = cannot judge)


def _check_weights(weights: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError("Weights must map each criterion to a number.")
    criteria = [str(k) for k in weights]
    values = []
    for k, v in weights.items():
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating) or not np.isfinite(v):
            raise ValueError(f"The weight of {k!r} must be a number, not {v!r}.")
        if v < 0:
            raise ValueError(f"The weight of {k!r} must not be negative, not {v}.")
        values.append(float(v))
    w = np.asarray(values)
    if w.sum() <= 0:
        raise ValueError("At least one criterion needs a positive weight.")
    return criteria, w / w.sum()


def _prepare(reviews: pd.DataFrame, criteria: list[str]) -> _Data:
    if not isinstance(reviews, pd.DataFrame):
        raise ValueError("Reviews must be a DataFrame.")
    missing = [c for c in REQUIRED_COLUMNS if c not in reviews.columns]
    if missing:
        raise ValueError(f"The reviews frame lacks the column(s) {', '.join(missing)}.")
    frame = reviews[list(REQUIRED_COLUMNS)]
    if frame["submission_id"].isna().any() or frame["reviewer_id"].isna().any():
        raise ValueError("Every score needs a submission_id and a reviewer_id.")
    position = {c: i for i, c in enumerate(criteria)}
    # The criteria's few distinct values looked up, not every row's (~1 ms at 90,000 scores, 16 as objects).
    codes, distinct = pd.factorize(frame["criterion"])
    found = np.array([position.get(v, -1) for v in distinct.tolist()] + [-1], dtype=np.int64)
    c_idx = found[codes]  # a missing criterion's code, -1, finds the -1 at the end
    if (c_idx < 0).any():
        crit = frame["criterion"].astype(object)
        unknown = sorted({str(v) for v in crit[c_idx < 0]})
        raise ValueError(f"Scores for criteria that have no weight: {', '.join(unknown)}.")
    try:
        y = pd.to_numeric(frame["score"], errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError):
        raise ValueError("Scores must be numbers from 1 to 5, or missing for 'cannot judge'.") from None
    bad = np.isfinite(y) & ((y < SCORE_RANGE[0]) | (y > SCORE_RANGE[1]))
    bad |= np.isinf(y)
    if bad.any():
        raise ValueError(f"Scores must be from 1 to 5 or missing; found {sorted(set(y[bad].tolist()))[:5]}.")
    if frame.duplicated(["submission_id", "reviewer_id", "criterion"]).any():
        raise ValueError("A reviewer has more than one score for the same submission and criterion.")
    s_idx, subs = pd.factorize(frame["submission_id"], sort=True)
    r_idx, revs = pd.factorize(frame["reviewer_id"], sort=True)
    return _Data(
        submissions=np.asarray(subs),
        reviewers=np.asarray(revs),
        s=s_idx.astype(np.int64),
        r=r_idx.astype(np.int64),
        c=c_idx,
        y=y,
    )


# ---------------------------------------------------------------------------
# Plain statistics


def _plain_statistics(data: _Data, n_crit: int) -> dict[str, np.ndarray]:
    n_sub = len(data.submissions)
    size = n_sub * n_crit
    ok = np.isfinite(data.y)
    cell = data.s[ok] * n_crit + data.c[ok]
    y = data.y[ok]
    count = np.bincount(cell, minlength=size).astype(float)
    total = np.bincount(cell, weights=y, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        dev = y - mean[cell]
        var = np.bincount(cell, weights=dev * dev, minlength=size) / count
    sd = np.where(count >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)
    pairs = np.unique(data.s * (len(data.reviewers) + 1) + data.r)
    n_reviews = np.bincount(pairs // (len(data.reviewers) + 1), minlength=n_sub)
    return {
        "count": count.reshape(n_sub, n_crit),
        "mean": mean.reshape(n_sub, n_crit),
        "sd": sd.reshape(n_sub, n_crit),
        "n_reviews": n_reviews,
    }


def _weighted(table: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean over the non-NaN cells, weights re-normalised."""
    present = np.isfinite(table) & (w[None, :] > 0)
    wsum = (present * w[None, :]).sum(axis=1)
    total = (np.where(present, table, 0.0) * w[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, total / wsum, np.nan)


# ---------------------------------------------------------------------------
# The reviewer model, fitted by variational Bayes


@dataclass
class _Fit:
    centre: np.ndarray  # per criterion: panel mean (1..5 points)
    spread: np.ndarray  # per criterion: panel SD (points)
    quality: np.ndarray  # submissions x criteria, standard units (0 where unjudged)
    reviewer_mean: np.ndarray  # reviewers x (2 + criteria): a, d_1..d_C, b
    reviewer_n: np.ndarray  # reviewers: number of scores
    reviewer_raw_mean: np.ndarray  # reviewers: plain mean of their scores
    reviewer_constant: np.ndarray  # reviewers: gave one score to everything
    variances: dict[str, float]
    sweeps: int
    quality_cells: np.ndarray  # submissions x criteria: q, NaN where nobody judged (the next fit's start)
    quality_var: np.ndarray  # submissions x criteria: v, NaN where nobody judged
    noise_ratio: np.ndarray  # reviewers: rho
    components: tuple[np.ndarray, np.ndarray, float, float, float]  # T, sigma^2, A, D, B


def _fit(data: _Data, n_crit: int, options: FitOptions, start: FitState | None = None) -> _Fit:
    n_sub, n_rev = len(data.submissions), len(data.reviewers)
    ok = np.isfinite(data.y)
    s, r, c, y_raw = data.s[ok], data.r[ok], data.c[ok], data.y[ok]
    pri = options.priors
    n_par = n_crit + 2  # a, d_1..d_C, b

    # Standard units per criterion.
    n_c = np.bincount(c, minlength=n_crit).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.bincount(c, weights=y_raw, minlength=n_crit) / n_c
        var_c = np.bincount(c, weights=(y_raw - centre[c]) ** 2, minlength=n_crit) / n_c
    centre = np.where(n_c > 0, centre, np.nan)
    spread = np.sqrt(np.where(n_c > 0, var_c, 0.0))
    spread = np.where(spread > 1e-12, spread, 1.0)  # everyone gave the same score: nothing to rank on
    y = np.where(n_c[c] > 0, (y_raw - centre[c]) / spread[c], 0.0)

    n_r = np.bincount(r, minlength=n_rev).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw_mean_r = np.bincount(r, weights=y_raw, minlength=n_rev) / n_r
        raw_var_r = np.bincount(r, weights=(y_raw - raw_mean_r[r]) ** 2, minlength=n_rev) / n_r
    constant = (n_r >= 2) & (raw_var_r < 1e-12)

    quality = np.zeros((n_sub, n_crit))
    theta = np.zeros((n_rev, n_par))
    theta[:, -1] = 1.0
    variances = {"leniency": pri.leniency, "criterion_leniency": pri.criterion_leniency, "scale": pri.scale}
    if len(y) == 0:
        nan = np.full((n_sub, n_crit), np.nan)
        none = (
            np.full(n_crit, pri.quality),
            np.full(n_crit, pri.noise),
            pri.leniency,
            pri.criterion_leniency,
            pri.scale,
        )
        return _Fit(
            centre, spread, quality, theta, n_r, raw_mean_r, constant, variances, 0, nan, nan, np.ones(n_rev), none
        )

    # Cells (submission, criterion) that have at least one score, compactly indexed.
    cell_full = s * n_crit + c
    cells, k = np.unique(cell_full, return_inverse=True)
    n_cells = len(cells)
    cell_crit = cells % n_crit
    rc = r * n_crit + c  # (reviewer, criterion) index

    T = np.full(n_crit, pri.quality)
    sigma2 = np.full(n_crit, pri.noise)
    rho = np.ones(n_rev)  # each reviewer's noise, relative to the panel's
    A, D, B = pri.leniency, pri.criterion_leniency, pri.scale
    nu = pri.weight

    # Start: quality = the cell's mean standardised score, reviewers typical.
    cnt_k = np.bincount(k, minlength=n_cells).astype(float)
    q = np.bincount(k, weights=y, minlength=n_cells) / cnt_k
    v = T[cell_crit] / (1.0 + cnt_k)
    if start is not None:  # where the last fit ended, for the cells, reviewers and components it knew
        T, sigma2 = start.components[0].copy(), start.components[1].copy()
        A, D, B = start.components[2:]
        pos, known = _by_id(data.submissions[cells // n_crit], start.submissions)
        q_was = start.quality[pos, cell_crit]
        v_was = start.quality_var[pos, cell_crit]
        known &= np.isfinite(q_was) & np.isfinite(v_was)
        q[known], v[known] = q_was[known], v_was[known]
        pos, known = _by_id(data.reviewers, start.reviewers)
        rho[known] = start.noise_ratio[pos[known]]
    size = n_rev * n_crit
    sweeps = 0
    rho_r = rho[r]  # per score: gathered once per sweep and reused (the arrays are as long as the scores)
    while sweeps < options.max_sweeps:
        sweeps += 1
        sigma2_c = sigma2[c]
        lam = 1.0 / (sigma2_c * rho_r)
        qk = q[k]
        eq2 = qk * qk + v[k]
        lam_y = lam * y

        # Reviewer blocks: precision matrix and right-hand side, all reviewers at once.
        n_rc = np.bincount(rc, weights=lam, minlength=size).reshape(n_rev, n_crit)
        sq_rc = np.bincount(rc, weights=lam * qk, minlength=size).reshape(n_rev, n_crit)
        sqq_rc = np.bincount(rc, weights=lam * eq2, minlength=size).reshape(n_rev, n_crit)
        sy_rc = np.bincount(rc, weights=lam_y, minlength=size).reshape(n_rev, n_crit)
        syq_rc = np.bincount(rc, weights=lam_y * qk, minlength=size).reshape(n_rev, n_crit)
        block = _solve_reviewer_blocks(n_rc, sq_rc, sqq_rc, sy_rc, syq_rc, A, D, B)
        theta = block.theta

        # Submission qualities, given the reviewers.
        u_rc = (theta[:, [0]] + theta[:, 1:-1]).reshape(-1)  # a + d
        cov_ub_rc = (block.cov_ab[:, None] + block.cov_db).reshape(-1)  # Cov(a + d, b)
        var_u_rc = (block.var_a[:, None] + block.var_d + 2 * block.cov_ad).reshape(-1)
        u, cov_ub, var_u = u_rc[rc], cov_ub_rc[rc], var_u_rc[rc]  # per score
        b_rev = theta[:, -1]
        b, eb2 = b_rev[r], (b_rev * b_rev + block.var_b)[r]
        prec_k = np.bincount(k, weights=lam * eb2, minlength=n_cells) + 1.0 / T[cell_crit]
        num_k = np.bincount(k, weights=lam * (b * (y - u) - cov_ub), minlength=n_cells)
        q_new = num_k / prec_k
        v = 1.0 / prec_k
        q_old, q = q, q_new
        qk = q[k]
        eq2 = qk * qk + v[k]

        # Variance components (empirical Bayes, weak priors worth `nu` pseudo-observations).
        resid = y - u - b * qk
        e_sq = resid**2 + var_u + eb2 * eq2 - b * b * qk * qk + 2 * qk * cov_ub
        rho = (np.bincount(r, weights=e_sq / sigma2_c, minlength=n_rev) + pri.noise_weight) / (n_r + pri.noise_weight)
        rho_r = rho[r]
        sigma2 = (np.bincount(c, weights=e_sq / rho_r, minlength=n_crit) + nu * pri.noise) / (n_c + nu)
        T = (np.bincount(cell_crit, weights=q**2 + v, minlength=n_crit) + nu * pri.quality) / (
            np.bincount(cell_crit, minlength=n_crit) + nu
        )
        A = (np.sum(theta[:, 0] ** 2 + block.var_a) + nu * pri.leniency) / (n_rev + nu)
        D = (np.sum(theta[:, 1:-1] ** 2 + block.var_d) + nu * pri.criterion_leniency) / (n_rev * n_crit + nu)
        B = (np.sum((theta[:, -1] - 1.0) ** 2 + block.var_b) + nu * pri.scale) / (n_rev + nu)

        # Parameter expansion: the data fix only b * q, so move along (b * g,
        # q / g) to the g the priors prefer (the root of g^2 sum E[b^2] -
        # g sum b - R B = 0, which maximises the variational bound along that
        # line). Without it, sweeps creep along that line for hundreds of rounds.
        b_all = theta[:, -1]
        s1, s2 = b_all.sum(), (b_all**2 + block.var_b).sum()
        g = (s1 + np.sqrt(s1 * s1 + 4 * n_rev * B * s2)) / (2 * s2)
        q, v, T = q / g, v / g**2, T / g**2
        change = np.max(np.abs(q - q_old))
        if change < options.tolerance:
            break

    quality.reshape(-1)[cells] = q
    q_cells, v_cells = np.full(n_sub * n_crit, np.nan), np.full(n_sub * n_crit, np.nan)
    q_cells[cells], v_cells[cells] = q, v
    variances = {
        "leniency": float(A),
        "criterion_leniency": float(D),
        "scale": float(B),
        **{f"quality_{j}": float(t) for j, t in enumerate(T)},
        **{f"noise_{j}": float(s2) for j, s2 in enumerate(sigma2)},
    }
    return _Fit(
        centre,
        spread,
        quality,
        theta,
        n_r,
        raw_mean_r,
        constant,
        variances,
        sweeps,
        q_cells.reshape(n_sub, n_crit),
        v_cells.reshape(n_sub, n_crit),
        rho,
        (T, sigma2, float(A), float(D), float(B)),
    )


@dataclass
class _Blocks:
    """Every reviewer's Gaussian block (a, d_1..d_C, b): its mean and the covariances the sweep uses."""

    theta: np.ndarray  # reviewers x (2 + criteria): the means of a, d_1..d_C, b
    var_a: np.ndarray  # reviewers
    var_b: np.ndarray  # reviewers
    cov_ab: np.ndarray  # reviewers
    var_d: np.ndarray  # reviewers x criteria
    cov_ad: np.ndarray  # reviewers x criteria
    cov_db: np.ndarray  # reviewers x criteria


def _solve_reviewer_blocks(
    n_rc: np.ndarray,
    sq_rc: np.ndarray,
    sqq_rc: np.ndarray,
    sy_rc: np.ndarray,
    syq_rc: np.ndarray,
    A: float,
    D: float,
    B: float,
) -> _Blocks:
    """Solve every reviewer's (C + 2) x (C + 2) system at once, using its shape.

    Each reviewer's precision matrix over (a, d_1..d_C, b) is

        [ sum n + 1/A    n_1 .. n_C          sum sq        ]
        [ n_c            diag(n_c + 1/D)     sq_c          ]
        [ sum sq         sq_1 .. sq_C        sum sqq + 1/B ]

    (`n`, `sq`, `sqq`: the reviewer's precision-weighted counts, sums of q and
    of E[q^2] per criterion), with right-hand side (sum sy, sy_c, sum syq + 1/B).
    The d block is diagonal, so eliminating it leaves a 2 x 2 system in (a, b)
    (the Schur complement), solved in closed form; the d's and every
    covariance follow from the block-inverse formulas. The same numbers as
    inverting each matrix, without a general inverse of thousands of small
    matrices in every sweep.
    """
    dg = n_rc + 1.0 / D  # reviewers x criteria: the diagonal d block
    # Coupling of (a, b) to the d's, scaled by the d block's inverse.
    na, nb = n_rc / dg, sq_rc / dg
    s_aa = n_rc.sum(axis=1) + 1.0 / A - (n_rc * na).sum(axis=1)
    s_ab = sq_rc.sum(axis=1) - (n_rc * nb).sum(axis=1)
    s_bb = sqq_rc.sum(axis=1) + 1.0 / B - (sq_rc * nb).sum(axis=1)
    det = s_aa * s_bb - s_ab * s_ab
    var_a, var_b, cov_ab = s_bb / det, s_aa / det, -s_ab / det  # the inverse of the Schur complement
    # Right-hand side of the (a, b) system once the d's are eliminated.
    r_a = sy_rc.sum(axis=1) - (na * sy_rc).sum(axis=1)
    r_b = syq_rc.sum(axis=1) + 1.0 / B - (nb * sy_rc).sum(axis=1)
    a = var_a * r_a + cov_ab * r_b
    b = cov_ab * r_a + var_b * r_b
    d = (sy_rc - n_rc * a[:, None] - sq_rc * b[:, None]) / dg
    # Cov((a, b), d_c) = -Sinv (n_c, sq_c) / dg_c; Var(d_c) = 1/dg_c + (n_c, sq_c) Sinv (n_c, sq_c)' / dg_c^2.
    cov_ad = -(var_a[:, None] * na + cov_ab[:, None] * nb)
    cov_db = -(cov_ab[:, None] * na + var_b[:, None] * nb)
    var_d = 1.0 / dg + var_a[:, None] * na * na + 2 * cov_ab[:, None] * na * nb + var_b[:, None] * nb * nb
    theta = np.column_stack([a, d, b])
    return _Blocks(theta, var_a, var_b, cov_ab, var_d, cov_ad, cov_db)


def _reviewer_table(data: _Data, fit: _Fit, w: np.ndarray, n_crit: int) -> pd.DataFrame:
    n_rev = len(data.reviewers)
    ok = np.isfinite(data.y)
    # Reviews (not scores) per reviewer, including all-"cannot judge" ones.
    pairs = np.unique(data.r * (len(data.submissions) + 1) + data.s)
    n_reviews = np.bincount(pairs // (len(data.submissions) + 1), minlength=n_rev)
    n_scores = np.bincount(data.r[ok], minlength=n_rev)
    offsets = fit.reviewer_mean[:, [0]] + fit.reviewer_mean[:, 1:-1]  # reviewers x criteria, standard units
    spread = np.where(np.isfinite(fit.centre), fit.spread, 0.0)
    leniency = (offsets * spread[None, :] * w[None, :]).sum(axis=1)
    frame = pd.DataFrame(
        {
            "n_reviews": n_reviews,
            "n_scores": n_scores,
            "mean_score": np.where(n_scores > 0, fit.reviewer_raw_mean, np.nan),
            "leniency": np.where(n_scores > 0, leniency, np.nan),
            "scale": np.where(n_scores > 0, fit.reviewer_mean[:, -1], np.nan),
            "constant": fit.reviewer_constant & (n_reviews >= 2),
        },
        index=pd.Index(data.reviewers, name="reviewer_id"),
    )
    return frame.sort_index()
