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

Last, it times `score_submissions` on 30,000 reviews of 10,000 submissions.

    .venv/bin/python bench/calibration_bench.py            # 40 seeds per scenario
    .venv/bin/python bench/calibration_bench.py --seeds 5  # quicker
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import score_submissions

CRITERIA = ("promise", "evidence_strength", "survivor_involvement")
WEIGHTS = dict.fromkeys(CRITERIA, 1.0)


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


def simulate(scenario: Scenario, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Reviews (the long frame score_submissions takes) and the true overall quality."""
    rng = np.random.default_rng(seed)
    n_sub, n_rev, k = scenario.submissions, scenario.reviewers, scenario.per_submission
    general = rng.normal(size=n_sub)
    quality = 0.7 * general[:, None] + np.sqrt(1 - 0.7**2) * rng.normal(size=(n_sub, len(CRITERIA)))
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
    pairs = []
    for g, members in enumerate(group_reviewers):
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
    latent = 3.0 + leniency[r, c] + scale[r] * 0.9 * quality[s, c] + rng.normal(0, 1, rows) * noise[r]
    score = np.clip(np.rint(latent), 1, 5)
    score[rng.random(rows) < scenario.cannot_judge] = np.nan
    reviews = pd.DataFrame(
        {"submission_id": s, "reviewer_id": r, "criterion": np.array(CRITERIA)[c], "score": score.astype(float)}
    )
    return reviews, truth


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


def evaluate(scenario: Scenario, seed: int) -> dict[str, tuple[float, float]]:
    reviews, truth = simulate(scenario, seed)
    result = score_submissions(reviews, WEIGHTS)
    truth = truth.reindex(result.index)
    methods = {
        "plain mean": result["overall_mean"],
        "z-scores": z_score_baseline(reviews, WEIGHTS).reindex(result.index),
        "calibrated": result["overall_calibrated"],
    }
    out = {}
    for name, estimate in methods.items():
        filled = estimate.fillna(estimate.min() - 1)
        tau = kendalltau(filled.to_numpy(), truth.to_numpy()).statistic
        out[name] = (float(tau), precision_at(estimate, truth))
    return out


def run_scenarios(seeds: int) -> bool:
    all_pass = True
    for scenario in SCENARIOS:
        print(f"\n{scenario.name}: {scenario.description}; {seeds} seeds")
        results = [evaluate(scenario, seed) for seed in range(seeds)]
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
    return all_pass


def time_large(reviewers: int) -> None:
    scenario = Scenario("large", "", 10_000, reviewers, 3)
    reviews, _ = simulate(scenario, 2024)
    n_reviews = reviews[["submission_id", "reviewer_id"]].drop_duplicates().shape[0]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        score_submissions(reviews, WEIGHTS)
        times.append(time.perf_counter() - start)
    print(
        f"speed: score_submissions on {n_reviews:,} reviews ({len(reviews):,} scores) of"
        f" {reviews['submission_id'].nunique():,} submissions by {scenario.reviewers} reviewers:"
        f" best {min(times):.3f} s, worst {max(times):.3f} s of 3 runs"
        f" ({'under' if max(times) < 1 else 'OVER'} the 1 s target)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds per scenario (default 40)")
    args = parser.parse_args(argv)
    ok = run_scenarios(args.seeds)
    print()
    time_large(300)
    time_large(3000)
    print("\nOVERALL:", "PASS" if ok else "FAIL", "(calibrated beats both baselines in every scenario)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
