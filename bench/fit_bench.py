#!/usr/bin/env python
"""Expertise and bids in the assignment: how much fit, at what cost?

    .venv/bin/python bench/fit_bench.py                     # 10,000 x 60, k = 3
    .venv/bin/python bench/fit_bench.py --submissions 2000 --reviewers 30

On the assignment bench's synthetic call (`bench/assignment_bench.synthetic`:
shared organisations and email domains, declared conflicts, part-time
reviewers) with 60 reviewers, each reviewer states 1 to 3 of the call's
themes and focus areas and bids on half their load's worth of submissions,
at most 40 (3/8 eager, 3/8 willing, the rest rather not); each submission has
one theme and one focus area. Solved with
and without fit (`scoring.assignment.solve_assignment(fit=...)`, the shipped
`[assignment]` weights), then the outside check's call (300 submissions, 50
reviewers, 20 organisations) the same way.

FIGURE lines (`bench/figures.py`), each against the fit-blind plan of the
same call: the solve time with fit (target under 20 s, twice the assignment
bench's: the LP and the mixing swaps that undo fit's clustering, five times
the budget on 10,000 submissions); the share of eager and of willing bids that became assignments
(targets: at least 0.9 and 0.5 of those the rules allow, against well under
that without fit); the share of rather-not bids assigned (target at most
0.02: a mixing swap may give one up at the `mixing` price); the share of assignments that
match the reviewer's expertise (target: at least 1.5 x the fit-blind plan's);
reviewers whose load differs from the fit-blind plan's (target 0); and the
mixing figures: the largest pair overlap at most the larger of two above
the fit-blind plan's and a quarter above it, and at least 90% of its
distinct pairs. Exit status 1 when a
figure misses its target.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assignment_bench import TARGET_S, outside_check, pair_stats, synthetic  # noqa: E402
from bench.figures import figure  # noqa: E402
from config.call_config import load_call_config  # noqa: E402
from scoring.assignment import exclusion, solve_assignment  # noqa: E402
from scoring.fit import FitInput, FitWeights  # noqa: E402


def preferences(subs, revs, conflicts, seed: int = 7) -> FitInput:
    """Expertise, topics and bids as described in the module's docstring
    (bids only where the rules allow the pair, as the app's bid list does)."""
    rng = random.Random(seed)
    config = load_call_config()
    themes = config.vocabularies["themes"].ids
    focus_theme = config.focus_area_theme()
    focus = list(focus_theme)
    topics = {}
    for s in subs:
        area = rng.choice(focus)
        topics[s.id] = frozenset({area, focus_theme[area]})
    expertise = {r.id: frozenset(rng.sample(themes + focus, rng.randint(1, 3))) for r in revs}
    conflicted = set(conflicts)
    bids = {}
    per = min(40, round(0.5 * 3 * len(subs) / len(revs)))  # half a reviewer's load at k = 3, at most 40
    for r in revs:
        chosen = [
            s
            for s in rng.sample(subs, min(len(subs), 2 * per))
            if exclusion(s, r, conflicted=(s.id, r.id) in conflicted) is None
        ]
        for n, s in enumerate(chosen[:per]):
            bids[s.id, r.id] = "eager" if n < 3 * per // 8 else "willing" if n < 6 * per // 8 else "rather_not"
    return FitInput(
        weights=FitWeights(**config.assignment_weights),
        bids=bids,
        expertise=expertise,
        topics=topics,
        themes=frozenset(themes),
    )


def shares(pairs, fit: FitInput) -> dict[str, float]:
    """Share of each bid level's bids that became assignments, and of assignments matching expertise."""
    taken = set(pairs)
    out = {}
    for level in ("eager", "willing", "rather_not"):
        bids = [pair for pair, lv in fit.bids.items() if lv == level]
        out[level] = sum(pair in taken for pair in bids) / max(len(bids), 1)
    matching = sum(bool(fit.topics.get(s, frozenset()) & fit.expertise.get(r, frozenset())) for s, r in pairs)
    out["expertise"] = matching / max(len(pairs), 1)
    return out


def bench_call(label: str, subs, revs, conflicts, k: int) -> bool:
    fit = preferences(subs, revs, conflicts)
    started = time.perf_counter()
    blind = solve_assignment(subs, revs, k=k, conflicts=conflicts)
    blind_s = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    plan = solve_assignment(subs, revs, k=k, conflicts=conflicts, fit=fit)
    fit_s, fit_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    got, before = shares(plan.new, fit), shares(blind.new, fit)
    (distinct, top), (b_distinct, b_top) = pair_stats(plan.new), pair_stats(blind.new)
    moved = sum(plan.loads_after[r] != blind.loads_after[r] for r in plan.loads_after)
    print(
        f"fit {label}: solve_s={fit_s:.2f} blind_s={blind_s:.2f} bids={len(fit.bids)} "
        f"assignments={len(plan.new)} shares={ {k: round(v, 3) for k, v in got.items()} } "
        f"blind_shares={ {k: round(v, 3) for k, v in before.items()} } pairs={distinct}/{b_distinct} top={top}/{b_top}",
        flush=True,
    )
    note = f"without fit: {before['eager']:.3f} eager, {before['willing']:.3f} willing, {before['rather_not']:.3f} rather not, {before['expertise']:.3f} expertise"
    ok = figure(
        f"fit, {label}: solve time with bids and expertise",
        round(fit_s, 2),
        "s",
        target=("<", 2 * TARGET_S),
        cpu=round(fit_cpu, 2),
        note=f"without fit {blind_s:.2f} s",
    )
    ok &= figure(
        f"fit, {label}: share of eager bids assigned", round(got["eager"], 3), "", target=(">=", 0.9), note=note
    )
    ok &= figure(
        f"fit, {label}: share of willing bids assigned", round(got["willing"], 3), "", target=(">=", 0.5), note=note
    )
    ok &= figure(
        f"fit, {label}: share of rather-not bids assigned",
        round(got["rather_not"], 3),
        "",
        target=("<=", 0.02),
        note=note,
    )
    ok &= figure(
        f"fit, {label}: share of assignments matching the reviewer's expertise",
        round(got["expertise"], 3),
        "",
        target=(">=", round(1.5 * before["expertise"], 3)),
        note=note,
    )
    ok &= figure(f"fit, {label}: reviewers whose load differs from the fit-blind plan's", moved, "", target=("==", 0))
    ok &= figure(
        f"fit, {label}: largest pair overlap",
        top,
        "",
        target=("<=", max(b_top + 2, math.ceil(1.25 * b_top))),
        note=f"without fit {b_top}",
    )
    ok &= figure(
        f"fit, {label}: distinct reviewer pairs",
        distinct,
        "",
        target=(">=", int(0.9 * b_distinct)),
        note=f"without fit {b_distinct}",
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=60)
    parser.add_argument("-k", type=int, default=3)
    args = parser.parse_args(argv)
    subs, revs, conflicts = synthetic(args.submissions, args.reviewers)
    ok = bench_call(f"{args.submissions:,} x {args.reviewers} x k={args.k}", subs, revs, conflicts, args.k)
    subs, revs, conflicts = outside_check(0)
    ok &= bench_call("the outside check's call", subs, revs, conflicts, 3)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
