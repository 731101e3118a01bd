"""Replacements that keep the balance: when presenters decline, the best line-up that keeps everyone else.

`propose_replacements(candidates, rules, presenters)` takes the rules of the
line-up, and each current presenter's state (`PresenterState`): accepted in
person, accepted virtually, awaiting a reply, or declined. It solves the same
integer programme as `select_presenters`, once for every decline together:

* presenters who accepted are in, in the format they accepted (a reply
  overrides the submission's stated preference, so the in-person and virtual
  capacities count them where they said they will be);
* presenters awaiting a reply are in, in a format they can do;
* presenters who declined, and submissions the rules exclude, are out, never
  proposed again; a decline of a pinned submission lifts its pin;
* every other rule of the line-up holds, if it can.

These (and the number of slots) are hard: never relaxed. When no replacement
keeps every other rule, the rules that block are named in words (as the
Selection page names them, by deletion filtering) and relaxed, and the best
proposal without them is returned with `relaxed` saying so: never silently.
When too few eligible submissions are left to fill every slot, the slots that
cannot be filled are said, and the best smaller line-up is proposed.

Per rule, `RuleChange.given_up` is what the rule costs in this replacement:
the best replacement without that rule (the others, the kept presenters and
the declines still held) minus the proposal's total, as "Given up for this
rule" on the Selection page. `score_change` is the proposal's total minus the
line-up's before the decline (today's scores).

Ties are broken as `select_presenters` breaks them (earliest references).
Pure: no Streamlit, no database.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from scoring.selection.candidates import prepare_candidates
from scoring.selection.diagnosis import blocker_message, blocking_sets, precheck
from scoring.selection.families import RULE_FAMILIES
from scoring.selection.family import RuleFamily, Unit
from scoring.selection.model import Model
from scoring.selection.results import Blocker
from scoring.selection.rules import SCORE_UNIT, SelectionError, SelectionRules
from scoring.selection.words import Names, plural, some_refs


class PresenterState(StrEnum):
    """Where a presenter of the line-up stands."""

    ACCEPTED_IN_PERSON = "accepted_in_person"
    ACCEPTED_VIRTUAL = "accepted_virtual"
    AWAITING = "awaiting"
    DECLINED = "declined"


HELD = " (With the presenters kept in, and those declined or excluded left out.)"
ACCEPTED_FORMAT = {PresenterState.ACCEPTED_IN_PERSON: "in_person", PresenterState.ACCEPTED_VIRTUAL: "virtual"}


@dataclass(frozen=True)
class RuleChange:
    """One rule of the line-up in the replacement."""

    family: str
    rule: str  # the rule in words
    given_up: float  # best replacement without this rule minus the proposal's total (NaN: none without it)
    relaxed: bool  # part of it could not be kept (see `ReplacementProposal.relaxed`)


@dataclass(frozen=True)
class ReplacementProposal:
    """The best line-up after the declines, or why there is none."""

    rules: SelectionRules  # the rules solved: kept presenters pinned, declines excluded
    members: dict[int, str]  # the proposed line-up, submission_id -> format, best score first
    entering: tuple[int, ...]  # submission ids proposed to replace the declined, best score first
    declined: tuple[int, ...]
    objective: float  # the proposal's total calibrated score (NaN: no proposal)
    before_objective: float  # the line-up before the declines, today's scores
    rule_changes: tuple[RuleChange, ...] = ()
    relaxed: tuple[Blocker, ...] = ()  # rules that could not be kept, in words (empty: every rule holds)
    blockers: tuple[Blocker, ...] = ()  # why there is no proposal at all

    @property
    def feasible(self) -> bool:
        """A proposal exists (every rule kept unless `relaxed` says otherwise)."""
        return not math.isnan(self.objective)

    @property
    def keeps_every_rule(self) -> bool:
        return self.feasible and not self.relaxed

    @property
    def score_change(self) -> float:
        return round(self.objective - self.before_objective, 6)


def propose_replacements(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    presenters: Mapping[int, PresenterState | str],
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    families: Sequence[RuleFamily] = RULE_FAMILIES,
) -> ReplacementProposal:
    """The best replacement(s) for every declined presenter at once, with what each rule costs.

    `candidates` as for `select_presenters`; `rules` the line-up's rules;
    `presenters` the current line-up, submission_id -> state.
    """
    states = _states(presenters)
    declined = tuple(sorted(s for s, state in states.items() if state is PresenterState.DECLINED))
    solved, prepared = _problem(candidates, rules, states, declined)
    empty = ReplacementProposal(solved, {}, (), declined, math.nan, _total(prepared, list(states)))
    pre = precheck(prepared, solved, families)
    if pre:
        return dataclasses.replace(empty, blockers=tuple(pre))
    shortfall, filled = _fill(prepared, solved)
    if filled is None:
        return dataclasses.replace(empty, blockers=shortfall)
    model = Model(prepared, filled, Names(labels), families)
    return _solve(model, dataclasses.replace(empty, rules=filled), states, shortfall)


def _problem(
    candidates: pd.DataFrame, rules: SelectionRules, states: dict[int, PresenterState], declined: tuple[int, ...]
) -> tuple[SelectionRules, pd.DataFrame]:
    """The rules solved (kept presenters pinned, declines excluded) and the prepared candidates."""
    if len(states) > rules.slots:
        raise SelectionError(f"The line-up has {len(states)} presenters but only {plural(rules.slots, 'slot')}.")
    kept = {s: state for s, state in states.items() if state is not PresenterState.DECLINED}
    solved = dataclasses.replace(
        rules,
        pinned=tuple(sorted(set(kept) | (set(rules.pinned) - set(declined)))),
        excluded=tuple(sorted(set(rules.excluded) | set(declined))),
    )
    problems = solved.problems()
    if problems:
        raise SelectionError(" ".join(problems))
    return solved, prepare_candidates(_with_replies(candidates, kept))


def _fill(prepared: pd.DataFrame, rules: SelectionRules) -> tuple[tuple[Blocker, ...], SelectionRules | None]:
    """Fewer left than empty slots: said, and the slots that can be filled (None: nobody at all)."""
    free = _free(prepared, rules)
    held = len(rules.pinned)
    if held + len(free) >= rules.slots:
        return (), rules
    shortfall = (_shortfall(rules, held, free),)
    if not held and not free:
        return shortfall, None
    return shortfall, dataclasses.replace(rules, slots=held + len(free))


def _solve(
    model: Model, empty: ReplacementProposal, states: dict[int, PresenterState], shortfall: tuple[Blocker, ...]
) -> ReplacementProposal:
    """The best line-up with the hand choices and slots held, the rules that block relaxed and said."""
    hard = frozenset(u for f in model.active if f.by_hand or not f.switchable for u in model.units_of(f.name))
    if not model.feasible(hard):  # more pinned than slots: nothing to relax
        units = sorted(hard, key=lambda u: (model.display_index(u.family), str(u.member)))
        return dataclasses.replace(
            empty, blockers=(Blocker(("slots", "pinned"), blocker_message(model, units, set())),)
        )
    found = [(Blocker(b.families, b.message + HELD), units) for b, units in blocking_sets(model, hard)]
    relaxed: frozenset[Unit] = frozenset().union(*(units for _blocker, units in found))
    active = frozenset(model.units) - relaxed
    solution = model.solve(active)
    if solution is None:  # cannot happen once the blocks are relaxed; said rather than assumed
        return dataclasses.replace(empty, blockers=(*shortfall, *(b for b, _units in found)))
    formats = model.assign_formats(solution.chosen)
    members = {int(model.ids[i]): formats[i] for i in sorted(solution.chosen, key=lambda i: model.rank[i])}
    return dataclasses.replace(
        empty,
        members=members,
        entering=tuple(s for s in members if s not in states),
        objective=round(solution.objective * SCORE_UNIT, 6),
        rule_changes=tuple(_rule_changes(model, active, relaxed, solution.objective)),
        relaxed=(*shortfall, *(b for b, _units in found)),
    )


def _states(presenters: Mapping[int, PresenterState | str]) -> dict[int, PresenterState]:
    out: dict[int, PresenterState] = {}
    for sid, state in presenters.items():
        try:
            out[int(sid)] = PresenterState(state)
        except ValueError:
            known = ", ".join(s.value for s in PresenterState)
            raise SelectionError(f"Presenter {sid} has the state {state!r}; it must be one of {known}.") from None
    return out


def _with_replies(candidates: pd.DataFrame, kept: Mapping[int, PresenterState]) -> pd.DataFrame:
    """A copy whose accepted presenters can present only in the format they accepted."""
    frame = candidates.copy()
    if "submission_id" not in frame.columns:
        frame = frame.rename_axis("submission_id").reset_index()
    ids = frame["submission_id"].astype(int)
    missing = sorted(set(kept) - set(ids))
    if missing:
        raise SelectionError(f"{plural(len(missing), 'presenter is', 'presenters are')} not among the candidates.")
    prefs = frame["presentation_preference"].astype(object).to_numpy(copy=True)
    for sid, state in kept.items():
        if state in ACCEPTED_FORMAT:
            prefs[np.flatnonzero(ids.to_numpy() == sid)] = ACCEPTED_FORMAT[state]
    frame["presentation_preference"] = prefs
    return frame


def _total(prepared: pd.DataFrame, ids: list[int]) -> float:
    scores = prepared.set_index("submission_id")["score"]
    known = [float(scores[s]) for s in ids if s in scores.index and not math.isnan(float(scores[s]))]
    return round(float(np.rint(np.array(known) / SCORE_UNIT).sum()) * SCORE_UNIT, 6)


def _free(prepared: pd.DataFrame, rules: SelectionRules) -> list[str]:
    """References of the eligible submissions that could come in: not in the line-up, not excluded."""
    taken = set(rules.pinned) | set(rules.excluded)
    eligible = prepared[(prepared["why_not"] == "") & ~prepared["submission_id"].isin(taken)]
    return eligible["reference"].tolist()


def _shortfall(rules: SelectionRules, kept: int, free: list[str]) -> Blocker:
    empty = rules.slots - kept - len(free)
    if free:
        left = (
            f"only {plural(len(free), 'eligible submission is', 'eligible submissions are')} left ({some_refs(free)})"
        )
    else:
        left = "no eligible submission is left"
    message = (
        f"There {'is' if rules.slots == 1 else 'are'} {plural(rules.slots, 'slot')} and {plural(kept, 'presenter')} "
        f"kept, but {left} that is not "
        f"declined, excluded or already in the line-up, so {plural(empty, 'slot stays', 'slots stay')} empty."
    )
    return Blocker(("slots",), message)


def _rule_changes(model: Model, active: frozenset[Unit], relaxed: frozenset[Unit], best: int) -> list[RuleChange]:
    """Per switchable rule: the best replacement without it (everything else as solved) minus the proposal."""
    out: list[RuleChange] = []
    for family in model.active:
        if not family.switchable or family.by_hand:
            continue
        mine = frozenset(model.units_of(family.name))
        given_up = 0.0
        if mine & active:
            without = model.solve(active - mine, tie_break=False)
            given_up = round((without.objective - best) * SCORE_UNIT, 6) if without else math.nan
        out.append(RuleChange(family.name, family.describe(model.rules), given_up, bool(mine & relaxed)))
    return out
