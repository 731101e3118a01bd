"""The rules of a selection run (`SelectionRules`), its errors and shared constants."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from config.call_config import CallConfig, SelectionDefaults

SCORE_DECIMALS = 6
SCORE_UNIT = 10.0**-SCORE_DECIMALS
SURVIVOR_CODE = "survivor_led"
FORMAT_LABELS = {"in_person": "In person", "virtual": "Virtual"}
ABLE_TO_DO = {"in_person": ("in_person",), "virtual": ("virtual",), "either": ("in_person", "virtual")}


class SelectionError(ValueError):
    """Bad input to the solver (rules or candidates); the message is for people."""


class SolverDidNotFinish(RuntimeError):
    """HiGHS stopped on its time limit without proving an answer."""


@dataclass(frozen=True)
class SelectionRules:
    """The rules of one selection run. `None` caps mean no limit."""

    slots: int
    max_in_person: int
    max_virtual: int
    min_per_theme: int = 0
    one_per_exploitation_type: bool = False
    min_survivor_involved: int = 0
    max_per_sector: int | None = None
    max_per_organisation: int | None = None
    min_reviews: int = 0
    no_discussion_flag: bool = False
    only_shortlisted: bool = False
    themes: tuple[str, ...] = ()
    pinned: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()

    @classmethod
    def from_defaults(cls, defaults: SelectionDefaults, *, themes: Iterable[str], **changes: Any) -> SelectionRules:
        """The call's configured defaults (`[selection]`), with optional changes."""
        rules = cls(
            slots=defaults.slots,
            max_in_person=defaults.max_in_person,
            max_virtual=defaults.max_virtual,
            min_per_theme=defaults.min_per_theme,
            one_per_exploitation_type=defaults.one_per_exploitation_type,
            min_survivor_involved=defaults.min_survivor_involved,
            max_per_sector=defaults.max_per_sector,
            max_per_organisation=defaults.max_per_organisation,
            min_reviews=defaults.min_reviews,
            no_discussion_flag=defaults.no_discussion_flag,
            only_shortlisted=defaults.only_shortlisted,
            themes=tuple(themes),
        )
        return dataclasses.replace(rules, **changes) if changes else rules

    @classmethod
    def from_config(cls, config: CallConfig, **changes: Any) -> SelectionRules:
        return cls.from_defaults(config.selection, themes=config.vocabulary("themes").ids, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (stored with a saved line-up)."""
        out = dataclasses.asdict(self)
        out["themes"] = list(self.themes)
        out["pinned"] = sorted(int(i) for i in self.pinned)
        out["excluded"] = sorted(int(i) for i in self.excluded)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionRules:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("themes", "pinned", "excluded"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def problems(self) -> list[str]:
        """Everything wrong with these rules as input, in words; empty if usable."""
        out: list[str] = []

        def whole(name: str, value: Any, minimum: int, what: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{what} must be a whole number, not {value!r}.")
            elif value < minimum:
                out.append(f"{what} must be at least {minimum}, not {value}.")

        whole("slots", self.slots, 1, "The number of slots")
        whole("max_in_person", self.max_in_person, 0, "The in-person capacity")
        whole("max_virtual", self.max_virtual, 0, "The virtual capacity")
        whole("min_per_theme", self.min_per_theme, 0, "The minimum per theme")
        whole("min_survivor_involved", self.min_survivor_involved, 0, "The survivor-involved minimum")
        whole("min_reviews", self.min_reviews, 0, "The minimum number of submitted reviews")
        if self.max_per_sector is not None:
            whole("max_per_sector", self.max_per_sector, 1, "The most per sector")
        if self.max_per_organisation is not None:
            whole("max_per_organisation", self.max_per_organisation, 1, "The most per organisation")
        both = set(self.pinned) & set(self.excluded)
        if both:
            out.append(f"{len(both)} submission(s) are both pinned and excluded; choose one for each.")
        return out
