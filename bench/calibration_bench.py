"""Does the calibrated score rank submissions closer to the truth than a plain mean?

A simulation, because only there is the true quality known. For each scenario
and seed it draws

* submissions with a true quality on each criterion (correlated across
  criteria); the truth to rank by is their weighted overall quality;
* reviewers who differ in leniency (shared across criteria, plus a little per
  criterion), in how widely they use the scale, and in how noisy they are;
* an assignment of k reviewers per submission, spread evenly;
* integer scores rounded and clipped to 1..5, some "cannot judge".

It then ranks the submissions three ways, the plain mean (what pretalx, HotCRP,
Indico and spreadsheets do), the mean of per-reviewer z-scores (the usual
fix), and `overall_calibrated`, and prints Kendall's tau and precision@10
(the share of the true top ten that each method puts in its top ten) against
the truth, averaged over seeds (± standard error), with a PASS/FAIL line per
scenario: PASS when the calibrated score's average beats both baselines' on
both measures. The margin over the better baseline is given with its paired
standard error, so that a margin within noise can be seen as such.

Beside them, references that are not held to PASS/FAIL, to show how much room
is left: the oracle (`oracle_ranking`: knows each reviewer's true leniency,
scale and noise and weights by true reliability) and, with --bayes, the
posterior mean under the simulation's true priors (bench/calibration_bayes.py:
the best to be expected from the scores alone). Their lead over the calibrated
score is printed with its paired standard error.

Last, it times `score_submissions` on 30,000 reviews of 10,000 submissions
(target: under 1 s), simulated, and on the call seeded by `bench/run_all.py`
when BENCH_SQLITE_URL / BENCH_POSTGRESQL_URL name it. Each figure is also
printed as a FIGURE line (`bench/figures.py`).

    .venv/bin/python bench/calibration_bench.py            # 40 seeds per scenario
    .venv/bin/python bench/calibration_bench.py --seeds 5  # quicker
    .venv/bin/python bench/calibration_bench.py --bayes --no-timing --only sparse  # the ceiling (slow)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import figure
from scoring import score_submissions

TARGET_S = 1.0
RUNS = 5  # timed runs of score_submissions; the median is judged (a busy machine makes the worst noisy)

CRITERIA = ("promise", "evidence_strength", "survivor_involvement")
WEIGHTS = dict.fromkeys(CRITERIA, 1.0)
SHARED = 0.7  # how much of a submission's quality on each criterion is shared across criteria
MIDDLE, STRETCH = 3.0, 0.9  # a typical reviewer's score: MIDDLE + STRETCH * quality (SD 1), + noise


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    submissions: int
    reviewers: int
    per_submission: int
    groups: int = 1  # > 1: reviewers split into groups that never share a submission
    cannot_judge: float = 0.06  # chance that a score is "cannot judge"
    leniency_sd: float = 0.6  # points, shared across criteria
    criterion_leniency_sd: float = 0.2  # points, per criterion
    scale_sd: float = 0.35  # log-scale SD of how widely reviewers use the scale
    noise: tuple[float, float] = (0.4, 0.9)  # points: each reviewer's noise SD, uniform in this range


SCENARIOS = (
    Scenario("dense", "6 reviewers, 300 submissions, 3 reviews each (~150 reviews per reviewer)", 300, 6, 3),
    Scenario("sparse", "100 reviewers, 300 submissions, 3 reviews each (~9 reviews per reviewer)", 300, 100, 3),
    Scenario("very sparse", "150 reviewers, 300 submissions, 2 reviews each (~4 reviews per reviewer)", 300, 150, 2),
    Scenario(
        "two panels",
        "2 disconnected groups of 4 reviewers, 300 submissions, 3 reviews each",
        300,
        8,
        3,
        groups=2,
    ),
)


@dataclass(frozen=True)
class Panel:
    """One simulated call: the reviews, and the truth behind them (which only the oracle may use)."""

    reviews: pd.DataFrame  # the long frame score_submissions takes
    truth: pd.Series  # true overall quality per submission
    leniency: np.ndarray  # reviewers x criteria, points
    scale: np.ndarray  # reviewers: how widely each uses the scale
    noise: np.ndarray  # reviewers: noise SD, points


def simulate(scenario: Scenario, seed: int, assignment=None) -> tuple[pd.DataFrame, pd.Series]:
    """Reviews (the long frame score_submissions takes) and the true overall quality.

    `assignment`: (submission, reviewer) positions to simulate instead of the
    balanced one drawn here (bench/assignment_bench.py compares plans on the
    same submissions and reviewers)."""
    panel = simulate_panel(scenario, seed, assignment)
    return panel.reviews, panel.truth


def simulate_panel(scenario: Scenario, seed: int, assignment=None) -> Panel:
    rng = np.random.default_rng(seed)
    n_sub, n_rev, k = scenario.submissions, scenario.reviewers, scenario.per_submission
    general = rng.normal(size=n_sub)
    quality = SHARED * general[:, None] + np.sqrt(1 - SHARED**2) * rng.normal(size=(n_sub, len(CRITERIA)))
    weights = np.array([WEIGHTS[c] for c in CRITERIA])
    truth = pd.Series(quality @ weights / weights.sum(), index=pd.RangeIndex(n_sub, name="submission_id"))

    leniency = rng.normal(0, scenario.leniency_sd, n_rev)[:, None] + rng.normal(
        0, scenario.criterion_leniency_sd, (n_rev, len(CRITERIA))
    )
    scale = np.exp(rng.normal(0, scenario.scale_sd, n_rev))
    noise = rng.uniform(*scenario.noise, n_rev)

    # Balanced assignment: within each group, deal reviewers out in shuffled rounds.
    group_of_sub = rng.integers(0, scenario.groups, n_sub)
    group_reviewers = np.array_split(rng.permutation(n_rev), scenario.groups)
    pairs = [] if assignment is None else list(assignment)
    for g, members in enumerate(group_reviewers if assignment is None else []):
        subs = np.flatnonzero(group_of_sub == g)
        deck: list[int] = []
        for s in subs:
            chosen: list[int] = []
            while len(chosen) < min(k, len(members)):
                if not deck:
                    deck = list(rng.permutation(members))
                r = deck.pop()
                if r not in chosen:
                    chosen.append(r)
                else:
                    deck.insert(0, r)
            pairs += [(s, r) for r in chosen]
    sub_idx = np.array([p[0] for p in pairs])
    rev_idx = np.array([p[1] for p in pairs])

    rows = len(pairs) * len(CRITERIA)
    s = np.repeat(sub_idx, len(CRITERIA))
    r = np.repeat(rev_idx, len(CRITERIA))
    c = np.tile(np.arange(len(CRITERIA)), len(pairs))
    latent = MIDDLE + leniency[r, c] + scale[r] * STRETCH * quality[s, c] + rng.normal(0, 1, rows) * noise[r]
    score = np.clip(np.rint(latent), 1, 5)
    score[rng.random(rows) < scenario.cannot_judge] = np.nan
    reviews = pd.DataFrame(
        {"submission_id": s, "reviewer_id": r, "criterion": np.array(CRITERIA)[c], "score": score.astype(float)}
    )
    return Panel(reviews, truth, leniency, scale, noise)


def oracle_ranking(panel: Panel) -> pd.Series:
    """The ranking that knows every reviewer's true leniency, scale and noise.

    Each score is turned back into a reading of the submission's quality on
    that criterion, (score - 3 - leniency) / (0.9 * scale), and the readings
    are combined with the true prior of quality (SD 1 per criterion, the
    criteria correlated as simulated) weighting each by its true reliability,
    (0.9 * scale)^2 / (noise^2 + 1/12) (1/12: the rounding to whole points).
    It is the best linear ranking given the reviewers' true parameters: a
    ceiling that no method estimating those parameters from the same scores
    can be expected to reach (only the rounding and the clipping at 1 and 5,
    which it treats as noise, leave it short of exact).
    """
    frame = panel.reviews.dropna(subset=["score"])
    s = frame["submission_id"].to_numpy()
    r = frame["reviewer_id"].to_numpy()
    c = pd.Categorical(frame["criterion"], categories=CRITERIA).codes
    gain = STRETCH * panel.scale[r]
    reading = (frame["score"].to_numpy() - MIDDLE - panel.leniency[r, c]) / gain
    precision = gain**2 / (panel.noise[r] ** 2 + 1 / 12)
    n_sub, n_crit = len(panel.truth), len(CRITERIA)
    cell = s * n_crit + c
    p = np.bincount(cell, weights=precision, minlength=n_sub * n_crit).reshape(n_sub, n_crit)
    pz = np.bincount(cell, weights=precision * reading, minlength=n_sub * n_crit).reshape(n_sub, n_crit)
    prior = SHARED**2 * np.ones((n_crit, n_crit)) + (1 - SHARED**2) * np.eye(n_crit)
    # Posterior mean of the qualities: (prior^-1 + diag p)^-1 (p * reading), one small system per submission.
    systems = np.linalg.inv(prior)[None, :, :] + p[:, :, None] * np.eye(n_crit)[None, :, :]
    posterior = np.linalg.solve(systems, pz[:, :, None])[:, :, 0]
    weights = np.array([WEIGHTS[k] for k in CRITERIA])
    reviewed = np.unique(s)
    return pd.Series(posterior[reviewed] @ weights / weights.sum(), index=pd.Index(reviewed, name="submission_id"))


def z_score_baseline(reviews: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Mean of per-reviewer z-scores (each reviewer's scores on a criterion standardised)."""
    frame = reviews.dropna(subset=["score"]).copy()
    grouped = frame.groupby(["reviewer_id", "criterion"])["score"]
    sd = grouped.transform("std", ddof=0)
    frame["z"] = ((frame["score"] - grouped.transform("mean")) / sd.where(sd > 0)).fillna(0.0)
    table = frame.pivot_table(index="submission_id", columns="criterion", values="z", aggfunc="mean")
    w = pd.Series(weights, dtype=float).reindex(table.columns)
    present = table.notna()
    return (table.fillna(0) * w).sum(axis=1) / (present * w).sum(axis=1)


def precision_at(estimate: pd.Series, truth: pd.Series, n: int = 10) -> float:
    top_est = set(estimate.fillna(-np.inf).sort_values(ascending=False, kind="stable").index[:n])
    top_true = set(truth.sort_values(ascending=False).index[:n])
    return len(top_est & top_true) / n


def evaluate(scenario: Scenario, seed: int, assignment=None, *, bayes: bool = False) -> dict[str, tuple[float, float]]:
    panel = simulate_panel(scenario, seed, assignment)
    reviews = panel.reviews
    result = score_submissions(reviews, WEIGHTS)
    truth = panel.truth.reindex(result.index)
    methods = {
        "plain mean": result["overall_mean"],
        "z-scores": z_score_baseline(reviews, WEIGHTS).reindex(result.index),
        "calibrated": result["overall_calibrated"],
        "oracle": oracle_ranking(panel).reindex(result.index),
    }
    if bayes:
        from bench.calibration_bayes import bayes_ranking

        methods["Bayes"] = bayes_ranking(panel, scenario, seed).reindex(result.index)
    out = {}
    for name, estimate in methods.items():
        filled = estimate.fillna(estimate.min() - 1)
        tau = kendalltau(filled.to_numpy(), truth.to_numpy()).statistic
        out[name] = (float(tau), precision_at(estimate, truth))
    return out


def run_scenarios(seeds: int, *, bayes: bool = False, only: tuple[str, ...] = ()) -> bool:
    all_pass = True
    for scenario in SCENARIOS:
        if only and scenario.name not in only:
            continue
        print(f"\n{scenario.name}: {scenario.description}; {seeds} seeds")
        results = [evaluate(scenario, seed, bayes=bayes) for seed in range(seeds)]
        means = {}
        print(f"  {'method':<12} {'Kendall tau':>18} {'precision@10':>18}")
        for name in results[0]:
            taus = np.array([r[name][0] for r in results])
            precs = np.array([r[name][1] for r in results])
            means[name] = (taus.mean(), precs.mean())
            print(
                f"  {name:<12} {taus.mean():>9.3f} ± {taus.std(ddof=1) / np.sqrt(seeds):.3f}"
                f" {precs.mean():>9.3f} ± {precs.std(ddof=1) / np.sqrt(seeds):.3f}"
            )
        cal = means["calibrated"]
        beats = all(cal[0] > means[b][0] and cal[1] > means[b][1] for b in ("plain mean", "z-scores"))
        all_pass &= beats
        better = {m: max(("plain mean", "z-scores"), key=lambda b, m=m: means[b][m]) for m in (0, 1)}
        margins = []
        for m, label in ((0, "tau"), (1, "precision@10")):
            diff = np.array([r["calibrated"][m] - r[better[m]][m] for r in results])
            margins.append(f"{label} {diff.mean():+.3f} ± {diff.std(ddof=1) / np.sqrt(seeds):.3f} over {better[m]}")
        wins = sum(r["calibrated"][0] > max(r["plain mean"][0], r["z-scores"][0]) for r in results)
        print(
            f"  {'PASS' if beats else 'FAIL'}: calibrated beats both baselines on average"
            f" ({'; '.join(margins)}; best tau in {wins} of {seeds} seeds)"
        )
        references = {"oracle": "oracle (each reviewer's true parameters)", "Bayes": "Bayes (true priors only)"}
        for reference, label in references.items():
            if reference in results[0]:
                print(f"  {label} above calibrated: {_gaps(results, reference, seeds)}")
        for m, label in ((0, "Kendall tau"), (1, "precision@10")):
            figure(
                f"calibration, {scenario.name}: {label} above the better baseline ({better[m]})",
                round(float(cal[m] - means[better[m]][m]), 3),
                "",
                target=(">", 0),
                note=f"mean over {seeds} seeds; the calibrated score must beat the plain mean and z-scores",
            )
        if bayes:
            figure(
                f"calibration, {scenario.name}: Kendall tau below the Bayes reference",
                round(float(means["Bayes"][0] - cal[0]), 3),
                "",
                note=f"mean over {seeds} seeds; posterior mean with the simulation's true priors (calibration_bayes)",
            )
        figure(
            f"calibration, {scenario.name}: Kendall tau below the oracle",
            round(float(means["oracle"][0] - cal[0]), 3),
            "",
            note=f"mean over {seeds} seeds; the oracle knows each reviewer's true leniency, scale and noise",
        )
    return all_pass


def _gaps(results: list[dict[str, tuple[float, float]]], reference: str, seeds: int) -> str:
    """`reference`'s mean lead over the calibrated score, per measure, with its paired standard error."""
    parts = []
    for m, label in ((0, "tau"), (1, "precision@10")):
        gap = np.array([r[reference][m] - r["calibrated"][m] for r in results])
        parts.append(f"{label} {gap.mean():+.3f} ± {gap.std(ddof=1) / np.sqrt(seeds):.3f}")
    return "; ".join(parts)


def time_large(reviewers: int) -> bool:
    scenario = Scenario("large", "", 10_000, reviewers, 3)
    reviews, _ = simulate(scenario, 2024)
    n_reviews = reviews[["submission_id", "reviewer_id"]].drop_duplicates().shape[0]
    times, cpus = [], []
    for _ in range(RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        score_submissions(reviews, WEIGHTS)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    print(
        f"speed: score_submissions on {n_reviews:,} reviews ({len(reviews):,} scores) of"
        f" {reviews['submission_id'].nunique():,} submissions by {scenario.reviewers} reviewers:"
        f" median {statistics.median(times):.3f} s (best {min(times):.3f} s, worst {max(times):.3f} s) of {RUNS} runs"
        f" ({'under' if statistics.median(times) < TARGET_S else 'OVER'} the 1 s target)"
    )
    return figure(
        f"score_submissions, {n_reviews:,} simulated reviews of 10,000 submissions by {reviewers:,} reviewers",
        round(statistics.median(times), 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(statistics.median(cpus), 3),
        note=f"median of {RUNS} runs; worst {max(times):.3f} s",
    )


def time_seeded(url: str, label: str) -> bool:
    """Read the submitted scores of a seeded call (bench/bulk_seed.py) and score them, as a page does."""
    from config import load_call_config
    from data_access.db import Database
    from data_access.reviews import scores_frame

    config = load_call_config()
    db = Database(url)
    start, cpu_start = time.perf_counter(), time.process_time()
    with db.read() as session:
        frame = scores_frame(session)
    read_s, read_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    db.dispose()
    times, cpus = [], []
    for _ in range(RUNS):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = score_submissions(frame, config.weights, disagreement_threshold=config.disagreement_threshold)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    fit_s, fit_cpu = statistics.median(times), statistics.median(cpus)
    n_reviews = frame[["submission_id", "reviewer_id"]].drop_duplicates().shape[0]
    print(
        f"speed on the seeded call ({label}): reading {n_reviews:,} reviews {read_s:.3f} s,"
        f" score_submissions {fit_s:.3f} s for {len(result):,} submissions"
    )
    figure(f"seeded call on {label}: reading the submitted scores", round(read_s, 3), "s", cpu=round(read_cpu, 3))
    return figure(
        f"seeded call on {label}: score_submissions, {n_reviews:,} reviews of {len(result):,} submissions",
        round(fit_s, 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(fit_cpu, 3),
        note=f"median of {RUNS} runs",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds per scenario (default 40)")
    parser.add_argument(
        "--bayes", action="store_true", help="also the Bayes reference (bench/calibration_bayes.py): slow"
    )
    parser.add_argument("--only", action="append", default=[], help="run only this scenario (repeatable)")
    parser.add_argument("--no-timing", action="store_true", help="skip the timing of score_submissions")
    args = parser.parse_args(argv)
    ok = run_scenarios(args.seeds, bayes=args.bayes, only=tuple(args.only))
    if args.no_timing:
        print("\nOVERALL:", "PASS" if ok else "FAIL", "(calibrated beats both baselines in every scenario run)")
        return 0 if ok else 1
    print()
    fast = time_large(300)
    fast &= time_large(3000)
    for env, label in (("BENCH_SQLITE_URL", "SQLite"), ("BENCH_POSTGRESQL_URL", "PostgreSQL")):
        if os.environ.get(env):
            fast &= time_seeded(os.environ[env], label)
    print("\nOVERALL:", "PASS" if ok else "FAIL", "(calibrated beats both baselines in every scenario)")
    return 0 if ok and fast else 1


if __name__ == "__main__":
    raise SystemExit(main())
