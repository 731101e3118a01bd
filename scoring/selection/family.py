"""What a selection rule family is: the one class to write for a new rule.

A rule family (the slots, the in-person cap, at least N per theme, ...) says
in one place everything the solver, the diagnosis, the explanations and the
line-up check need to know about it:

* `name`, and `active(rules)`: whether these `SelectionRules` switch it on;
* `describe(rules)`: the rule in words; `describe_unit` / `describe_whole`:
  one of its units (one theme, one pin) or all of them, in a blocking set;
* `constraints(model)`: its rows in the integer programme, each tagged with
  the `Unit` it belongs to (a family may have one unit or one per member);
* `stand_in(eligible, rules)`: how it limits the exact reduction (which
  candidates can stand in for which); the default keeps every candidate, so a
  new family is always safe and only possibly slower;
* `blocker_message(model, units, whole)`: a plainer message when a blocking
  set is this family's own (None: the general "cannot all be met" sentence);
* `reasons(model, i, chosen)`: why a pick counts towards it, in words;
* `violations(line_up)`: how a given line-up breaks it, in words;
* optionally `notes` (said with every result), `precheck` (blocks found
  before solving), `columns` (candidate columns it needs when active) and
  `refusal(row, rules)` (why one candidate cannot be pinned under it).

`families.RULE_FAMILIES` lists the built-in families in display order (which
is also the order of the model's rows); `select_presenters`,
`rule_violations`, `active_families` and `describe_family` take a `families=`
sequence, so a family can be added without changing any other module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from scoring.selection.results import Blocker
from scoring.selection.rules import SelectionRules
from scoring.selection.words import Names

if TYPE_CHECKING:
    from scoring.selection.model import Model


@dataclass(frozen=True)
class Unit:
    """One switchable piece of a rule family: the whole family, or one of its members (a theme, a pin)."""

    family: str
    member: Any = None


@dataclass(frozen=True)
class Row:
    """One constraint `lb <= sum of x <= ub` over the variables of `members` (candidate positions in the
    model) or over the variables `variables` directly."""

    unit: Unit
    lb: float
    ub: float
    members: Sequence[Any] | None = None  # ints, or numpy integers from np.flatnonzero
    variables: Sequence[Any] | None = None


@dataclass(frozen=True)
class StandIn:
    """How a family limits the exact reduction (`model.reduce`).

    A better-ranked candidate `a` can stand in for `b` only when, for every
    active family, `covers[a]` is a superset of `covers[b]` and
    `group[a] == group[b]`. `distinct` (at most one family, the
    organisation cap) says which stand-ins count as different; `extra` more
    stand-ins are needed (the exclusions); submissions in `keep` are never
    left out (the pins). None: the family does not tell candidates apart.
    """

    covers: list[frozenset] | None = None
    group: list[Any] | None = None
    distinct: list[Any] | None = None
    extra: int = 0
    keep: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class LineUp:
    """A given line-up, for the violation checks: the prepared candidates indexed by submission id, the
    rows of its members that are among them, and submission id -> format."""

    frame: pd.DataFrame
    rows: pd.DataFrame
    members: Mapping[int, str]
    rules: SelectionRules
    names: Names

    @property
    def picked(self) -> list[int]:
        return [int(s) for s in self.members]


class RuleFamily:
    """Base class of the rule families. Override what applies; the defaults do nothing (and keep
    every candidate in the reduction)."""

    name: ClassVar[str]
    # Deletion filtering tries families in increasing rank: a family tried first is the likeliest to be
    # found innocent when several minimal blocking sets exist.
    filter_rank: ClassVar[int] = 0
    # Rules about named submissions (pins, exclusions): their reasons come first, and a pick's own unit
    # is let go when asking who would replace it.
    by_hand: ClassVar[bool] = False
    # False for the slots: always on, never costed.
    switchable: ClassVar[bool] = True
    # Units whose member must be in the line-up (pins): kept in the restricted first solves.
    forces_in: ClassVar[bool] = False
    # Candidate columns the family needs beyond `REQUIRED_COLUMNS` (checked when it is active).
    columns: ClassVar[tuple[str, ...]] = ()

    def active(self, rules: SelectionRules) -> bool:
        return True

    def describe(self, rules: SelectionRules) -> str:
        raise NotImplementedError

    def describe_unit(self, model: Model, unit: Unit) -> str:
        return self.describe(model.rules)

    def describe_whole(self, model: Model) -> str:
        return self.describe(model.rules)

    def constraints(self, model: Model) -> Iterable[Row]:
        return ()

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(group=list(range(len(eligible))))  # nobody stands in for anybody: always exact

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        return None

    def reasons(self, model: Model, i: int, chosen: list[int]) -> list[str]:
        return []

    def violations(self, line_up: LineUp) -> list[str]:
        return []

    def notes(self, frame: pd.DataFrame, rules: SelectionRules, names: Names) -> list[str]:
        return []

    def precheck(self, frame: pd.DataFrame, rules: SelectionRules) -> list[Blocker]:
        return []

    def refusal(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        """Why this rule keeps the candidate (a prepared row) out of every line-up, in words; '' if it does not."""
        return ""

    def __repr__(self) -> str:
        return f"<rule family {self.name}>"


def missing_columns(columns: Iterable[str], rules: SelectionRules, families: Iterable[RuleFamily]) -> list[str]:
    """The candidate columns that the active families need and `columns` lack."""
    have = set(columns)
    return sorted({c for f in families if f.active(rules) for c in f.columns} - have)
