"""The figures the bench scripts print, one machine-readable line each, for `bench/run_all.py`.

    from bench.figures import figure
    figure("coverage page, median run", 0.42, "s", target=("<", 1.0), cpu=0.31)

prints, besides the script's own report, a line

    FIGURE {"name": "coverage page, median run", "value": 0.42, "unit": "s", "target": "< 1 s", "ok": true, ...}

`target` is (operator, bound) with operator one of "<", "<=", ">", ">=", "==";
`ok` says whether the value meets it (null when there is no target).
`cpu`, when given, is the same figure computed from the CPU time of the
process instead of the wall-clock time (for a rate: rows per CPU second). On
a busy machine the wall-clock figure can miss a target that the CPU figure
meets: the code was fast enough and the machine was shared; `cpu_ok` says so.
Targets are checked against the wall-clock value, never the CPU one.

    from bench.figures import about
    about("each page for its role; 3 visits per series for the heavy pages")

prints a line `ABOUT "..."`: what the script chose to measure, in words, which
`bench/run_all.py` writes into docs/benchmarks.md beside its figures.
"""

from __future__ import annotations

import json
import operator
from typing import Any

PREFIX = "FIGURE "
ABOUT = "ABOUT "
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def meets(value: float | None, target: tuple[str, float]) -> bool:
    op, bound = target
    return value is not None and OPERATORS[op](value, bound)


def target_text(target: tuple[str, float] | None, unit: str) -> str:
    if target is None:
        return ""
    op, bound = target
    number = f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"
    return f"{op} {number} {unit}".strip()


def record(
    name: str,
    value: float | None,
    unit: str = "",
    *,
    target: tuple[str, float] | None = None,
    cpu: float | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One figure as the dict a FIGURE line carries."""
    if target is not None and target[0] not in OPERATORS:
        raise ValueError(f"unknown operator {target[0]!r}")
    out: dict[str, Any] = {
        "name": name,
        "value": value,
        "unit": unit,
        "target": target_text(target, unit) or None,
        "ok": None if target is None else meets(value, target),
        "note": note,
    }
    if cpu is not None:
        out["cpu"] = cpu
        out["cpu_ok"] = None if target is None else meets(cpu, target)
    return out


def figure(
    name: str,
    value: float | None,
    unit: str = "",
    *,
    target: tuple[str, float] | None = None,
    cpu: float | None = None,
    note: str = "",
) -> bool:
    """Print one figure as a FIGURE line; returns False only when it has a target and misses it."""
    out = record(name, value, unit, target=target, cpu=cpu, note=note)
    print(PREFIX + json.dumps(out), flush=True)
    return out["ok"] is not False


def _after(prefix: str, line: str) -> Any:
    """The JSON value after `prefix` on `line`, or None when the line is not one."""
    if not line.startswith(prefix):
        return None
    try:
        return json.loads(line[len(prefix) :])
    except json.JSONDecodeError:
        return None


def parse(line: str) -> dict[str, Any] | None:
    """The figure on a line of a script's output, or None for any other line."""
    record = _after(PREFIX, line)
    return record if isinstance(record, dict) and "name" in record else None


def about(text: str) -> None:
    """Print what the script measures, in words, as an ABOUT line for run_all's report."""
    print(ABOUT + json.dumps(text), flush=True)


def parse_about(line: str) -> str | None:
    """The text of an ABOUT line, or None for any other line."""
    text = _after(ABOUT, line)
    return text if isinstance(text, str) else None
