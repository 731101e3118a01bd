"""bench/panel_bench.py's pace: the waits a session makes between its steps (think times, the
reading time before a submission's first score, the start out of phase), what they ask of the server
at most, and the stress pace. Apart from the sessions, so that each file stays readable."""

from __future__ import annotations

import argparse
import random
import time


class TimeUp(Exception):
    """The time is up: the session stops before its next step, the loop under way left unfinished."""


def think(rng: random.Random, mean: float) -> float:
    """A think time: uniform between half and one and a half times `mean`."""
    return rng.uniform(0.5 * mean, 1.5 * mean) if mean > 0 else 0.0


def reading(rng: random.Random, args) -> float:
    """The wait before a submission's first score: the reading time (`--read`, drawn like a think time),
    or with `--read 0` the think time, as before every other step (the stress pace)."""
    return think(rng, args.read) if args.read > 0 else think(rng, args.think)


def loop_seconds(args, choices: int) -> float:
    """A review loop's mean waiting: a think time before each of its steps but the first score, before
    which the reading time (or, with none, a think time)."""
    steps = 4 + choices  # open the queue, open a submission, each choice, save, submit
    return (steps - 1) * args.think + (args.read if args.read > 0 else args.think)


def wait(seconds: float, start) -> None:
    """Wait `seconds` before a step; raises TimeUp at once, without waiting, when the wait would end past
    the time (`start`: panel_bench.Start), so that a long reading time does not stretch the window."""
    if start.over(seconds):
        raise TimeUp
    time.sleep(seconds)


def out_of_phase(rng: random.Random, cycle: float, start) -> None:
    """Before a session's first step, wait a random part of one cycle (a loop, or an office reload):
    untimed, inside the window, so that the sessions do not all march through the same step together."""
    wait(rng.uniform(0.0, cycle), start)


def think_model(args, choices: int) -> str:
    """The think-time model in words: what the panel asks of the server."""
    steps = 4 + choices  # open the queue, open a submission, each choice, save, submit
    thinking = loop_seconds(args, choices)
    most = f"{args.reviewers * 60 / thinking:.0f}" if thinking else "unbounded"
    read = (
        f", but before a submission's first score it waits a reading time, uniformly between 0.5 and 1.5 times "
        f"{args.read:g} s"
        if args.read > 0
        else ""
    )
    return (
        f"think time: before every step each session waits uniformly between 0.5 and 1.5 times {args.think:g} s"
        f"{read}; a review loop is {steps} steps, so about {thinking:g} s of thinking a loop, and {args.reviewers} "
        f"reviewers ask at most {most} loops a minute however fast the server"
    )


def stress_pace(args) -> argparse.Namespace:
    """The stress pace (capacity figures, no targets): no reading time, a think time before every step and
    every office reload, for `--stress-seconds` (the fresh assignments, unless given, sized again for it)."""
    return argparse.Namespace(**{**vars(args), "read": 0.0, "office_think": None, "seconds": args.stress_seconds})


def office_think(args) -> float:
    """The office sessions' mean time between two reloads: `--office-think`, or else the reviewers' think time.
    At the panel's pace `make bench` gives 20 s: a person reading Rankings or Coverage reloads it now and then,
    not every few seconds (at 3 s, two office sessions were ~40 reloads a minute, each one after a submitted
    review, so each refitted the calibration and rebuilt the charts: a stress of its own)."""
    chosen = getattr(args, "office_think", None)
    return args.think if chosen is None else chosen
