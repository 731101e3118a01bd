"""bench/panel_bench.py's figures: each step's median and p95 against its target, the saves failed and
lost, the loops and what they cost the server (over the window, and each step of a loop alone), the
servers' CPU use and peak memory. Apart from the sessions that produce them, so that each file stays
readable."""

from __future__ import annotations

import statistics

from bench.figures import figure
from bench.submit_next_bench import p95

STEP_TARGET = 2.0
RSS_TARGET_MB = 1024
STEPS = ("open the queue", "open a submission", "score", "save", "submit")


def summarise(values: list[float]) -> tuple[float, float]:
    """Median and p95 (nearest rank) of `values`."""
    return statistics.median(values), p95(values)


def report(
    label,
    tally,
    lost,
    seconds,
    cpu,
    peak,
    stuck,
    args,
    *,
    clients_cpu: float | None = None,
    solo=None,
    capacity=False,
    loop_steps: int = 9,
) -> bool:
    """Print the figures of one phase; False when one misses its target. With `capacity` (the stress
    pace) the step times are capacity figures, printed without a target; the saves and the memory keep theirs."""
    ok = True
    step_target = None if capacity else ("<", STEP_TARGET)
    no_target = "; the stress pace: a capacity figure, no target" if capacity else ""
    print(
        f"{label}: {tally.loops} loops in {seconds:.0f} s; {len(tally.confirmed)} saves confirmed, "
        f"{len(tally.failed_saves)} failed, {len(lost)} lost; {stuck} sessions still running at the end"
    )
    for problem in tally.failed_saves[:10]:
        print(f"  failed: {problem}")
    keys = sorted(set(tally.steps) | set(tally.failed_steps))
    for source, step in keys:
        values = tally.steps.get((source, step), [])
        failed = tally.failed_steps.get((source, step), 0)
        if not values:
            ok &= figure(
                f"{label}, {step} ({source}): p95",
                None,
                "s",
                target=step_target,
                note=f"no step completed; {failed} failed{no_target}",
            )
            continue
        median, high = summarise(values)
        print(f"  {source:8} {step:22} n={len(values):4} median {median:.3f} s  p95 {high:.3f} s  failed {failed}")
        ok &= figure(
            f"{label}, {step} ({source}): p95",
            round(high, 3),
            "s",
            target=step_target,
            note=f"median {median:.3f} s over {len(values)} steps; {failed} failed (no answer in {args.timeout:g} s)"
            + no_target,
        )
    sessions = f"{args.reviewers} reviewers ({args.browsers} in Chromium) and {args.offices} office sessions"
    ok &= figure(
        f"{label}, saves failed",
        len(tally.failed_saves),
        target=("==", 0),
        note=f"{len(tally.confirmed)} confirmed; {sessions}, {seconds:.0f} s, {pace(args)}",
    )
    ok &= figure(
        f"{label}, saves lost (confirmed, not in the database)",
        len(lost),
        target=("==", 0),
        note=f"of {len(tally.confirmed)} confirmed drafts and submissions",
    )
    total_cpu = sum(cpu.values())
    figure(
        f"{label}, review loops completed per minute",
        round(tally.loops * 60 / seconds, 1),
        note=f"{tally.loops} loops in {seconds:.0f} s; {each(tally, args)}; {tally.ran_out} sessions ran out of "
        "assignments; " + pace(args),
    )
    # Loops' worth of steps: every reviewer step done, over a loop's steps. Unlike the loops completed, not
    # cut down by the loop each session had under way at the end, nor by its start out of phase (half a loop
    # each, on average): in a short window, the better measure of the work done.
    worth = sum(len(v) for (_, step), v in tally.steps.items() if step in STEPS) / loop_steps
    figure(
        f"{label}, review loops' worth of steps per minute",
        round(worth * 60 / seconds, 1),
        note=f"{worth:.1f} loops' worth ({loop_steps} steps a loop) of reviewer steps in {seconds:.0f} s, those of "
        "loops left unfinished included",
    )
    if tally.reads:
        figure(
            f"{label}, wait between opening a submission and its first score: mean",
            round(statistics.mean(tally.reads), 2),
            "s",
            note=f"measured over {len(tally.reads)} submissions, {min(tally.reads):.1f}-{max(tally.reads):.1f} s: "
            "from the submission drawn to its first score asked",
        )
    figure(
        f"{label}, server CPU per completed loop",
        round(total_cpu / tally.loops, 2) if tally.loops else None,
        "s",
        note=f"{total_cpu:.0f} CPU s of {'both servers' if len(cpu) > 1 else 'the server'} over the window and "
        f"its end, divided by the {tally.loops} loops completed; the office sessions' reloads included",
    )
    figure(
        f"{label}, server CPU per loop's worth of steps",
        round(total_cpu / worth, 2) if worth else None,
        "s",
        note=f"the same CPU divided by the {worth:.1f} loops' worth of reviewer steps; the office's reloads included",
    )
    _alone_figures(label, solo or {})
    clients = (
        f"; the protocol clients (the bench's process; Chromium not included) used {clients_cpu:.0f} CPU s"
        if clients_cpu is not None
        else ""
    )
    for n, pid in enumerate(cpu, 1):
        server = f"server {n}" if len(cpu) > 1 else "server"
        figure(
            f"{label}, {server} CPU use",
            round(cpu[pid] / seconds, 2),
            "CPU s/s",
            note=f"{cpu[pid]:.0f} CPU s in {seconds:.0f} s{clients}",
        )
        ok &= figure(
            f"{label}, {server} peak memory",
            round(peak[pid]),
            "MB",
            target=("<", RSS_TARGET_MB),
            note="resident, sampled every 0.5 s and the kernel's high-water mark (VmHWM)",
        )
    if stuck:
        ok &= figure(f"{label}, sessions still running after the time", stuck, target=("==", 0))
    return ok


def each(tally, args) -> str:
    """How many loops each reviewer session completed, the fewest and the most (a session with none counts)."""
    counts = [*tally.by_session.values()] + [0] * (args.reviewers - len(tally.by_session))
    return f"each reviewer session {min(counts, default=0)}-{max(counts, default=0)}"


def pace(args) -> str:
    """The waits in words: the think time, and the reading time when there is one."""
    think = f"think {0.5 * args.think:g}-{1.5 * args.think:g} s before every step"
    if args.read <= 0:
        return think
    return f"read {0.5 * args.read:g}-{1.5 * args.read:g} s before a submission's first score, {think} but that"


def _alone_figures(label: str, solo: dict[str, list[float]]) -> None:
    """The CPU of each step of one loop alone on the server (the mean, for the choices), and the loop's sum."""
    if not solo:
        return
    loop = sum(sum(solo.get(step, [])) for step in STEPS)
    for step, values in solo.items():
        several = f"the mean of {len(values)}; " if len(values) > 1 else ""
        figure(
            f"{label}, server CPU of one step alone: {step}",
            round(statistics.mean(values), 3),
            "s",
            note=f"{several}one session alone on the server after the panel, no think time",
        )
    figure(
        f"{label}, server CPU of one review loop alone",
        round(loop, 2),
        "s",
        note=f"the sum of its {sum(len(solo.get(step, [])) for step in STEPS)} steps above; the office not included",
    )
