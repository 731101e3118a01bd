"""When the rules cannot all hold: the blocks found before solving, and minimal sets of rules that
together block every line-up (deletion filtering), in words."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scoring.selection.family import RuleFamily, Unit
from scoring.selection.model import Model
from scoring.selection.results import Blocker
from scoring.selection.rules import SelectionRules

REFINE_LIMIT = 60  # families with more units than this are named as a whole
MAX_BLOCKERS = 5


def precheck(frame: pd.DataFrame, rules: SelectionRules, families: Sequence[RuleFamily]) -> list[Blocker]:
    """Blocks that need no solve (pins that can never hold)."""
    return [blocker for family in families if family.active(rules) for blocker in family.precheck(frame, rules)]


def blocker_message(model: Model, units: list[Unit], whole: set[str]) -> str:
    """A blocking set in words: a family's own message when the set is that family's, else every unit."""
    present = {u.family for u in units}
    for family in model.families:
        if family.name in present:
            message = family.blocker_message(model, units, whole)
            if message:
                return message
    parts = dict.fromkeys(_describe(model, u, whole) for u in units)  # a family named as a whole, once
    return "These rules cannot all be met together: " + "; ".join(parts) + "."


def _describe(model: Model, unit: Unit, whole: set[str]) -> str:
    family = model.family(unit.family)
    return family.describe_whole(model) if unit.family in whole else family.describe_unit(model, unit)


def find_blockers(model: Model) -> list[Blocker]:
    """Minimal sets of rules that block every line-up, found by deletion filtering."""
    return [blocker for blocker, _units in blocking_sets(model)]


def blocking_sets(model: Model, hard: frozenset[Unit] = frozenset()) -> list[tuple[Blocker, frozenset[Unit]]]:
    """Each minimal blocking set in words, with the units relaxed to get past it. Units in `hard` are
    never blamed nor relaxed (they stay on in every trial); the caller checks they can hold alone."""
    blockers: list[tuple[Blocker, frozenset[Unit]]] = []
    relaxed: set[Unit] = set()
    order = sorted(model.families, key=lambda f: f.filter_rank)
    for _ in range(MAX_BLOCKERS):
        pool = frozenset(u for u in model.units if u not in relaxed and u not in hard)
        if model.feasible(pool | hard):
            break
        families = [f.name for f in order if any(u.family == f.name for u in pool)]
        keep = _blocking_families(model, pool, families, hard)
        whole = {f for f in keep if len([u for u in pool if u.family == f]) > REFINE_LIMIT}
        units = _blocking_units(model, [u for u in pool if u.family in keep], keep, whole, hard)
        units.sort(key=lambda u: (model.display_index(u.family), str(u.member)))
        names = tuple(f.name for f in model.families if f.name in keep)
        gone = frozenset({u for u in pool if u.family in whole} | set(units))
        blockers.append((Blocker(families=names, message=blocker_message(model, units, whole)), gone))
        relaxed |= gone
    return blockers


def _blocking_families(
    model: Model, pool: frozenset[Unit], families: list[str], hard: frozenset[Unit] = frozenset()
) -> list[str]:
    """Drop each family in turn while the rest still block."""
    keep = list(families)
    for fam in families:
        trial = [f for f in keep if f != fam]
        if not model.feasible(frozenset(u for u in pool if u.family in trial) | hard):
            keep = trial
    return keep


def _blocking_units(
    model: Model, units: list[Unit], keep: list[str], whole: set[str], hard: frozenset[Unit] = frozenset()
) -> list[Unit]:
    """Within the blocking families (but those named as a whole), drop each unit while the rest still block."""
    for fam in keep:
        mine = [u for u in units if u.family == fam]
        if len(mine) <= 1 or fam in whole:
            continue
        for unit in mine:
            trial_units = [u for u in units if u != unit]
            if not model.feasible(frozenset(trial_units) | hard):
                units = trial_units
    return units
