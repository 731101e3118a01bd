"""What a selection run returns: the picks with their reasons, what each rule cost, what blocks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scoring.selection.rules import SelectionRules


@dataclass(frozen=True)
class Replacement:
    """The best line-up without one pick, every rule kept."""

    entering: tuple[int, ...]  # submission ids that come in
    also_leaving: tuple[int, ...]  # other picks that make way
    score_change: float  # new objective minus old (<= 0)


@dataclass(frozen=True)
class Pick:
    submission_id: int
    reference: str
    format: str
    score: float
    rank: int  # 1 = highest score among eligible submissions
    pinned: bool
    in_top_n: bool
    satisfies: tuple[str, ...]  # rule families it counts towards
    reasons: tuple[str, ...]  # why it is there, in words
    replacement: Replacement | None = None
    replacement_note: str = ""


@dataclass(frozen=True)
class RuleCost:
    family: str
    rule: str  # the rule in words
    given_up: float  # objective without this rule minus with every rule
    alone_vs_top_n: float  # plain top N minus the best line-up with only this rule (and the slots)


@dataclass(frozen=True)
class Blocker:
    families: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class SelectionResult:
    rules: SelectionRules
    feasible: bool
    picks: tuple[Pick, ...] = ()
    objective: float = math.nan
    top_n: tuple[int, ...] = ()
    top_n_objective: float = math.nan
    rule_costs: tuple[RuleCost, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()
    eligible: int = 0
    considered: int = 0  # eligible candidates left in the model after the exact reduction

    @property
    def given_up_vs_top_n(self) -> float:
        return self.top_n_objective - self.objective

    @property
    def members(self) -> dict[int, str]:
        """submission_id -> format, in line-up order."""
        return {p.submission_id: p.format for p in self.picks}
