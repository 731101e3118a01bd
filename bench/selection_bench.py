"""How fast is the presenter selection at scale, and what does balance cost?

Draws 10,000 submissions with the synthetic demo generator (the demo call's
mix of sectors, forms of exploitation, themes, presentation preferences and
anonymous submissions) and gives them calibrated-looking scores in which one
kind of work is in fashion: police-sector work on criminal exploitation and
toolkits score higher, so the plain top N is lopsided, as the office found.

It then solves `select_presenters` with every rule of the call's
configuration switched on (6 slots, at most 4 in person and 3 virtual, at
least 2 per theme, one per form of exploitation, a survivor-led or
survivor-informed contribution, at most 2 per sector and 1 per organisation)
plus two pins and two exclusions, and prints:

* the solve time (median of several runs) against the 2 s target, with the
  time of the full explanation (rule costs and best replacements) as well;
* the objective against the plain top N, and what each rule cost;
* the make-up of both line-ups (sectors, forms, formats);
* the same timing on a harder, structure-free instance (uniform random
  attributes and scores), where fewer candidates can be ruled out up front;
* and, when BENCH_SQLITE_URL / BENCH_POSTGRESQL_URL name a call seeded by
  `bench/run_all.py`, on that call's own candidates and calibrated scores.

Each figure is also printed as a FIGURE line (`bench/figures.py`).

    .venv/bin/python bench/selection_bench.py
    .venv/bin/python bench/selection_bench.py --n 20000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import figure
from config import load_call_config
from data_access.demo import generate_demo
from scoring.selection import (
    SelectionRules,
    active_families,
    describe_family,
    labels_from_config,
    select_presenters,
    top_n,
)
from scoring.selection import prepare_candidates as prepare

TARGET_S = 2.0


def demo_candidates(config, n: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    extra = random.Random(seed + 1)  # reviews and flags: the scores stay those of earlier runs
    rows = []
    for i, s in enumerate(generate_demo(config, n=n).submissions):
        fashionable = s.sector == "police" and "criminal_exploitation" in s.exploitation_types
        bonus = 0.7 * fashionable + 0.3 * ("guide_toolkit" in s.evidence_forms)
        rows.append(
            {
                "submission_id": i + 1,
                "reference": s.reference,
                "title": s.title,
                "score": min(5.0, max(1.0, rng.gauss(2.7, 0.45) + bonus)),
                "anonymous": s.anonymous,
                "presentation_preference": s.presentation_preference,
                "themes": list(s.themes),
                "exploitation_types": list(s.exploitation_types),
                "sector": s.sector,
                "evidence_source": s.evidence_source,
                "organisation": s.organisation,
                "reviews": extra.choice((1, 2, 2, 3, 3, 3)),
                "flagged": extra.random() < 0.1,
            }
        )
    return pd.DataFrame(rows)


def uniform_candidates(config, n: int, seed: int = 11) -> pd.DataFrame:
    rng = random.Random(seed)
    extra = random.Random(seed + 1)  # reviews and flags: the rest stays that of earlier runs
    themes = config.vocabulary("themes").ids
    forms = config.vocabulary("exploitation_types").ids
    sectors = config.vocabulary("sector").ids
    sources = config.vocabulary("evidence_source").ids
    prefs = ["in_person", "virtual", "either", "either", "not_available"]
    return pd.DataFrame(
        [
            {
                "submission_id": i + 1,
                "reference": f"U-{i + 1:05d}",
                "score": rng.uniform(1, 5),
                "anonymous": rng.random() < 0.05,
                "presentation_preference": rng.choice(prefs),
                "themes": rng.sample(themes, rng.choice([1, 1, 2])),
                "exploitation_types": rng.sample(forms, rng.choice([1, 1, 2])),
                "sector": rng.choice(sectors),
                "evidence_source": rng.choice(sources),
                "organisation": f"Organisation {rng.randint(1, n // 2)}",
                "reviews": extra.choice((1, 2, 2, 3, 3, 3)),
                "flagged": extra.random() < 0.1,
            }
            for i in range(n)
        ]
    )


def every_rule(config, frame: pd.DataFrame) -> SelectionRules:
    """The call's defaults, with two pins (mid-table, eligible, passing the review and flag rules) and the
    two best excluded."""
    prepared = prepare(frame)
    ranked = top_n(prepared, len(prepared))
    defaults = config.selection
    eligible = ranked[
        (ranked["presentation_preference"] == "either")
        & (ranked["reviews"] >= defaults.min_reviews)
        & ~(ranked["flagged"] & defaults.no_discussion_flag)
    ]
    survivors = eligible[~eligible["survivor"]]
    pinned = (int(survivors["submission_id"].iloc[40]), int(survivors["submission_id"].iloc[90]))
    excluded = tuple(int(i) for i in ranked["submission_id"].iloc[:2])
    return SelectionRules.from_config(config, pinned=pinned, excluded=excluded)


def timed(frame, rules, labels, runs: int, explain: bool):
    """Median wall-clock and CPU seconds of `runs` solves, and the result."""
    times, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = select_presenters(frame, rules, labels=labels, explain=explain)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    return statistics.median(times), statistics.median(cpus), result


def make_up(frame: pd.DataFrame, ids, formats=None) -> str:
    chosen = frame.set_index("submission_id").loc[list(ids)]
    sectors = Counter(chosen["sector"])
    forms = Counter(f for fs in chosen["exploitation_types"] for f in fs)
    text = f"sectors {dict(sectors)}; forms {dict(forms)}"
    if formats:
        text += f"; formats {dict(Counter(formats))}"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="candidates (default 10,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs for the median (default 5)")
    args = parser.parse_args()
    config = load_call_config()
    labels = labels_from_config(config)

    frame = demo_candidates(config, args.n)
    rules = every_rule(config, frame)
    select_presenters(frame, rules, labels=labels, explain=False)  # warm up imports and caches
    solve_s, solve_cpu, result = timed(frame, rules, labels, args.runs, explain=False)
    explain_s, explain_cpu, explained = timed(frame, rules, labels, 1, explain=True)
    assert result.feasible and explained.members == result.members

    print(f"Selection on {args.n:,} candidates ({result.eligible:,} eligible, {result.considered:,} left in the model")
    print("after ruling out, exactly, those no best line-up can need), every rule on:")
    for family in active_families(rules):
        print(f"  - {describe_family(family, rules)}")
    print(f"    ({len(rules.pinned)} pinned mid-table, {len(rules.excluded)} excluded: the two best)")
    verdict = "PASS" if solve_s < TARGET_S else "FAIL"
    print(f"\nsolve: {solve_s:.3f} s (median of {args.runs})  [{verdict}: target < {TARGET_S:.0f} s]")
    print(f"with explanations (rule costs, best replacements): {explain_s:.3f} s")
    ok = figure(
        f"selection, {args.n:,} demo-like candidates, every rule",
        round(solve_s, 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(solve_cpu, 3),
        note=f"median of {args.runs}",
    )
    figure(
        f"selection, {args.n:,} demo-like candidates, with explanations (as the Selection page shows)",
        round(explain_s, 3),
        "s",
        cpu=round(explain_cpu, 3),
    )
    print(f"\n{'objective (sum of calibrated scores):':<40}{result.objective:.3f}")
    print(f"{f'plain top {rules.slots}:':<40}{result.top_n_objective:.3f}")
    print(f"{'given up for balance:':<40}{result.given_up_vs_top_n:.3f}")
    print("\nwhat each rule cost (given up vs the line-up without it; alone vs the plain top N):")
    for cost in explained.rule_costs:
        print(f"  {cost.rule:<75} {cost.given_up:7.3f} {cost.alone_vs_top_n:7.3f}")
    print(f"\nplain top {rules.slots}: {make_up(frame, result.top_n)}")
    print(f"line-up:     {make_up(frame, result.members, list(result.members.values()))}")

    hard = uniform_candidates(config, args.n)
    hard_rules = SelectionRules.from_config(config)
    select_presenters(hard, hard_rules, labels=labels, explain=False)
    hard_s, hard_cpu, hard_result = timed(hard, hard_rules, labels, args.runs, explain=False)
    hard_explain_s, hard_explain_cpu, _ = timed(hard, hard_rules, labels, 1, explain=True)
    print(
        f"\nstructure-free instance ({args.n:,} uniform random candidates, {hard_result.considered:,} left in the "
        f"model): solve {hard_s:.3f} s, with explanations {hard_explain_s:.3f} s  "
        f"[{'PASS' if hard_s < TARGET_S else 'FAIL'}]"
    )
    ok &= figure(
        f"selection, {args.n:,} structure-free random candidates, the call's rules",
        round(hard_s, 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(hard_cpu, 3),
        note=f"median of {args.runs}",
    )
    figure(
        f"selection, {args.n:,} structure-free random candidates, with explanations",
        round(hard_explain_s, 3),
        "s",
        cpu=round(hard_explain_cpu, 3),
    )
    for env, label in (("BENCH_SQLITE_URL", "SQLite"), ("BENCH_POSTGRESQL_URL", "PostgreSQL")):
        if os.environ.get(env):
            ok &= seeded(os.environ[env], label, config, labels, args.runs)
    return 0 if ok else 1


def seeded(url: str, label: str, config, labels, runs: int) -> bool:
    """The seeded call's own candidates (bench/bulk_seed.py), scored as the Selection page scores them."""
    from data_access import lineups as lineups_da
    from data_access.db import Database

    db = Database(url)
    with db.read() as session:
        frame = lineups_da.candidate_frame(session, scores=lineups_da.current_scores(session, config=config))
    db.dispose()
    rules = every_rule(config, frame)
    select_presenters(frame, rules, labels=labels, explain=False)
    solve_s, solve_cpu, result = timed(frame, rules, labels, runs, explain=False)
    print(
        f"seeded call on {label} ({len(frame):,} submissions, {result.considered:,} left in the model): "
        f"solve {solve_s:.3f} s  [{'PASS' if solve_s < TARGET_S else 'FAIL'}]"
    )
    return figure(
        f"selection, seeded call on {label} ({len(frame):,} submissions), every rule",
        round(solve_s, 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(solve_cpu, 3),
        note=f"median of {runs}",
    )


if __name__ == "__main__":
    sys.exit(main())
