"""Why each pick is there, what each rule cost, and who would replace each pick."""

from __future__ import annotations

import math

from scoring.selection.family import Unit
from scoring.selection.model import Model
from scoring.selection.results import Replacement, RuleCost
from scoring.selection.rules import SCORE_UNIT
from scoring.selection.words import ordinal


def reasons(
    model: Model, i: int, chosen: list[int], top: set[int], rank: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rule families pick `i` counts towards, and why it is there in words (hand choices first)."""
    slots = model.rules.slots
    sid = int(model.ids[i])
    satisfies: list[str] = []
    out = [f"score {model.cand['score'].iloc[i]:.2f}, {ordinal(rank)} of {model.n_eligible} eligible"]
    out.append(f"in the plain top {slots}" if sid in top else f"not in the plain top {slots}")
    for family in sorted(model.families, key=lambda f: not f.by_hand):
        mine = family.reasons(model, i, chosen)
        if mine:
            satisfies.append(family.name)
            out.extend(mine)
    return tuple(satisfies), tuple(out)


def rule_costs(model: Model, best: int, top_objective: int) -> list[RuleCost]:
    """Per rule: score given up against the line-up without it, and alone against the plain top N.

    A rule that no candidate could break (e.g. no sector has more eligible
    submissions than its cap) has no constraint in the model and costs 0.
    """
    costs: list[RuleCost] = []
    everything = frozenset(model.units)
    fixed = frozenset(u for f in model.active if not f.switchable for u in model.units_of(f.name))
    # Every line-up has exactly N presenters (Slots is never switched off), so none scores above the plain
    # top N; when the top N itself keeps a set of rules, that set's best line-up scores exactly the top N's
    # total, and no solve is needed to know it.
    top = model.top_positions()
    exact_top = len(top) == model.rules.slots and int(model.q[top].sum()) == top_objective

    def best_under(units: frozenset[Unit]) -> int | None:
        if exact_top and model.holds(top, units):
            return top_objective
        solution = model.solve(units, tie_break=False)
        return solution.objective if solution else None

    for family in model.active:
        if not family.switchable:
            continue
        words = family.describe(model.rules)
        mine = frozenset(model.units_of(family.name))
        if not mine:
            costs.append(RuleCost(family.name, words, 0.0, 0.0))
            continue
        without = best_under(everything - mine)
        alone = best_under(fixed | mine)
        given_up = (without - best) * SCORE_UNIT if without is not None else math.nan
        alone_cost = (top_objective - alone) * SCORE_UNIT if alone is not None else math.nan
        costs.append(RuleCost(family.name, words, round(given_up, 6), round(alone_cost, 6)))
    return costs


def replacement(model: Model, i: int, chosen: list[int], best: int) -> tuple[Replacement | None, str]:
    """The best line-up without pick `i`, every rule kept (but a hand choice of `i` itself)."""
    sid = int(model.ids[i])
    own = {Unit(f.name, sid) for f in model.families if f.by_hand}
    alt = model.solve(frozenset(u for u in model.units if u not in own), out=[i])
    if alt is None:
        return None, "no line-up without it keeps every rule"
    entering = tuple(int(model.ids[j]) for j in alt.chosen if j not in chosen)
    leaving = tuple(int(model.ids[j]) for j in chosen if j not in alt.chosen and j != i)
    return Replacement(entering, leaving, round((alt.objective - best) * SCORE_UNIT, 6)), ""
