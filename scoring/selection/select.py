"""The entry point: `select_presenters`, the best balanced line-up or the rules that block it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from scoring.selection.candidates import prepare_candidates, top_n
from scoring.selection.diagnosis import blocker_message, find_blockers, precheck
from scoring.selection.explanations import reasons, replacement, rule_costs
from scoring.selection.families import RULE_FAMILIES
from scoring.selection.family import RuleFamily, Unit, missing_columns
from scoring.selection.model import Model, Solution
from scoring.selection.results import Blocker, Pick, SelectionResult
from scoring.selection.rules import SCORE_DECIMALS, SCORE_UNIT, SelectionError, SelectionRules
from scoring.selection.words import Names, plural


def select_presenters(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    explain: bool = True,
    families: Sequence[RuleFamily] = RULE_FAMILIES,
) -> SelectionResult:
    """The best balanced line-up under `rules`, or the rules that block it.

    `candidates`: one row per submission (a `submission_id` column or index),
    with `reference`, `score` (the calibrated score; NaN = not scored),
    `anonymous`, `presentation_preference`, `themes` and `exploitation_types`
    (lists of codes), `sector`, `evidence_source` and `organisation`.
    `labels`: {"themes"|"exploitation_types"|"sector": {code: label}} for the
    words (`labels_from_config`). `explain`: also measure each rule's cost and
    each pick's best replacement (more solves). `families`: the rule families
    to apply (`RULE_FAMILIES`, the built-in ones, unless told otherwise).
    """
    problems = rules.problems()
    if problems:
        raise SelectionError(" ".join(problems))
    missing = missing_columns(candidates.columns, rules, families)
    if missing:
        raise SelectionError(f"The candidates lack the column(s) {', '.join(missing)}.")
    frame = prepare_candidates(candidates)
    names = Names(labels)
    notes = _notes(frame, rules, names, families)
    pre = precheck(frame, rules, families)
    eligible = int((frame["why_not"] == "").sum())
    if pre:
        return SelectionResult(rules=rules, feasible=False, blockers=tuple(pre), notes=notes, eligible=eligible)
    model = Model(frame, rules, names, families)
    top = top_n(frame, rules.slots)
    top_ids = tuple(int(s) for s in top["submission_id"])
    top_objective = int(np.rint(top["score"].to_numpy() / SCORE_UNIT).sum())
    solution = model.solve()
    if solution is None:
        return SelectionResult(
            rules=rules,
            feasible=False,
            blockers=tuple(_blockers(model)),
            notes=notes,
            top_n=top_ids,
            top_n_objective=top_objective * SCORE_UNIT,
            eligible=eligible,
            considered=model.n,
        )
    costs = rule_costs(model, solution.objective, top_objective) if explain else []
    return SelectionResult(
        rules=rules,
        feasible=True,
        picks=tuple(_picks(model, solution, set(top_ids), explain=explain)),
        objective=round(solution.objective * SCORE_UNIT, 6),
        top_n=top_ids,
        top_n_objective=round(top_objective * SCORE_UNIT, 6),
        rule_costs=tuple(costs),
        notes=notes,
        eligible=eligible,
        considered=model.n,
    )


def _blockers(model: Model) -> list[Blocker]:
    if model.nvar:
        return find_blockers(model)
    return [Blocker(("slots",), blocker_message(model, [Unit("slots")], set()))]


def _picks(model: Model, solution: Solution, top: set[int], *, explain: bool) -> list[Pick]:
    chosen = solution.chosen
    formats = model.assign_formats(chosen)
    pinned = set(model.rules.pinned)
    picks = []
    for i in sorted(chosen, key=lambda i: model.rank[i]):
        sid = int(model.ids[i])
        satisfies, why = reasons(model, i, chosen, top, int(model.rank[i]))
        instead, note = replacement(model, i, chosen, solution.objective) if explain else (None, "")
        picks.append(
            Pick(
                submission_id=sid,
                reference=str(model.cand["reference"].iloc[i]),
                format=formats[i],
                score=float(model.cand["score"].iloc[i]),
                rank=int(model.rank[i]),
                pinned=sid in pinned,
                in_top_n=sid in top,
                satisfies=satisfies,
                reasons=why,
                replacement=instead,
                replacement_note=note,
            )
        )
    return picks


def _notes(frame: pd.DataFrame, rules: SelectionRules, names: Names, families: Sequence[RuleFamily]) -> tuple[str, ...]:
    notes: list[str] = []
    why = frame["why_not"][frame["why_not"] != ""].value_counts()
    if len(why):
        parts = ", ".join(f"{n} {reason}" for reason, n in why.items())
        notes.append(f"{plural(int(why.sum()), 'submission is', 'submissions are')} never eligible: {parts}.")
    for family in families:
        notes.extend(family.notes(frame, rules, names))
    notes.append(
        f"Scores are compared to {SCORE_DECIMALS} decimal places; equal totals are broken by reference order "
        "(earlier references first). Presenters who can do either format go in person while places remain."
    )
    return tuple(notes)
