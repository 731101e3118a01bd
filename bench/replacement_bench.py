"""How fast is a replacement proposal when presenters decline?

Draws a call of 300 submissions with the synthetic demo generator (as
`bench/selection_bench.py` does, police work on criminal exploitation in
fashion), solves the line-up under the call's own rules, then records replies:
the two best-scored presenters decline, the others accept in the format they
were given or are still awaiting a reply. It times
`propose_replacements` (both declines replaced in one solve, every rule's
cost measured) and prints what came in and what each rule cost.

Each figure is also printed as a FIGURE line (`bench/figures.py`).

    .venv/bin/python bench/replacement_bench.py
    .venv/bin/python bench/replacement_bench.py --n 10000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import figure
from bench.selection_bench import demo_candidates
from config import load_call_config
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from scoring.selection.replace import PresenterState, propose_replacements

TARGET_S = 2.0


def replies(members: dict[int, str]) -> dict[int, PresenterState]:
    """The two best decline; the rest alternately accept where they were placed or await a reply."""
    accepted = {"in_person": PresenterState.ACCEPTED_IN_PERSON, "virtual": PresenterState.ACCEPTED_VIRTUAL}
    out = {}
    for k, (sid, fmt) in enumerate(members.items()):  # best score first
        if k < 2:
            out[sid] = PresenterState.DECLINED
        else:
            out[sid] = accepted[fmt] if k % 2 == 0 else PresenterState.AWAITING
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="submissions in the call (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs for the median (default 5)")
    args = parser.parse_args()
    config = load_call_config()
    labels = labels_from_config(config)
    frame = demo_candidates(config, args.n)
    rules = SelectionRules.from_config(config)
    line_up = select_presenters(frame, rules, labels=labels, explain=False)
    assert line_up.feasible, line_up.blockers
    states = replies(line_up.members)

    propose_replacements(frame, rules, states, labels=labels)  # warm up
    times, cpus = [], []
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        proposal = propose_replacements(frame, rules, states, labels=labels)
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu_start)
    wall, cpu = statistics.median(times), statistics.median(cpus)

    refs = frame.set_index("submission_id")["reference"]
    print(f"Replacement on a call of {args.n:,} submissions, the call's rules, {len(states)} presenters:")
    for sid, state in states.items():
        print(f"  {refs[sid]:<12} {state.value}")
    print(f"in:  {', '.join(f'{refs[s]} ({proposal.members[s]})' for s in proposal.entering)}")
    print(f"total {proposal.before_objective:.3f} -> {proposal.objective:.3f} ({proposal.score_change:+.3f})")
    for blocker in proposal.relaxed:
        print(f"  relaxed: {blocker.message}")
    print("what each rule costs in the replacement (best replacement without it minus the proposal):")
    for change in proposal.rule_changes:
        print(f"  {change.rule:<75} {change.given_up:7.3f}")
    verdict = "PASS" if wall < TARGET_S else "FAIL"
    print(f"\nproposal with every rule's cost: {wall:.3f} s (median of {args.runs})  [{verdict}: target < 2 s]")
    ok = figure(
        f"replacement proposal, {args.n:,}-submission call, 2 declines, every rule's cost",
        round(wall, 3),
        "s",
        target=("<", TARGET_S),
        cpu=round(cpu, 3),
        note=f"median of {args.runs}",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
