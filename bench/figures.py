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
"""

from __future__ import annotations

import json
import operator
from typing import Any

PREFIX = "FIGURE "
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


def parse(line: str) -> dict[str, Any] | None:
    """The figure on a line of a script's output, or None for any other line."""
    if not line.startswith(PREFIX):
        return None
    try:
        record = json.loads(line[len(PREFIX) :])
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "name" in record else None
