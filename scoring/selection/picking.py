"""Pins and exclusions typed by reference: each reference checked exactly, every refusal with its reason.

`read_picks(candidates, rules, pinned=..., excluded=...)` takes the text typed
into the Pin and Exclude boxes (references separated by commas, semicolons or
spaces; case and surrounding spaces do not matter, nothing else is guessed)
and returns the submission ids, or the reasons it refuses them. A reference
is never completed or matched loosely: "CFE-8" is not "CFE-0008".

`pin_refusal` says why one candidate cannot be pinned under the given rules:
anonymous, not available to present, no stated preference, no submitted
review, or kept out by an active rule family (`RuleFamily.refusal`: too few
submitted reviews, an open discussion flag). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scoring.selection.candidates import prepare_candidates
from scoring.selection.families import RULE_FAMILIES
from scoring.selection.family import RuleFamily, missing_columns
from scoring.selection.rules import SelectionError, SelectionRules

SEPARATORS = re.compile(r"[\s,;]+")
SHOWN = 40  # characters of an unknown "reference" repeated back
NEVER = {
    "not yet scored": "has no submitted review yet (no score)",
    "no presentation preference given": "gave no presentation preference",
}


@dataclass(frozen=True)
class Picks:
    """The outcome of reading the Pin and Exclude boxes: ids, or the problems (then nothing applies)."""

    pinned: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def split_references(text: str | None) -> list[str]:
    """The references in `text`, upper case, in order, each once."""
    return list(dict.fromkeys(t.upper() for t in SEPARATORS.split(text or "") if t))


def _never(why_not: str) -> str:
    return NEVER.get(why_not, f"is {why_not}")


def pin_refusal(row: Mapping[str, Any], rules: SelectionRules, families: Sequence[RuleFamily] = RULE_FAMILIES) -> str:
    """Why this prepared candidate row cannot be pinned under `rules` ('' if it can), in words."""
    if row["why_not"]:
        return _never(str(row["why_not"]))
    if int(row["submission_id"]) in set(rules.excluded):
        return "is excluded at the same time"
    return "; ".join(why for f in families if f.columns and (why := f.refusal(row, rules)))


def _shown(token: str) -> str:
    return token if len(token) <= SHOWN else token[: SHOWN - 1] + "…"


def read_picks(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    *,
    pinned: str,
    excluded: str,
    families: Sequence[RuleFamily] = RULE_FAMILIES,
) -> Picks:
    """The ids for the typed references, or every reason to refuse them (`Picks.problems`).

    A pin is refused when the reference is unknown or the submission cannot be
    pinned (`pin_refusal`, under `rules` with these exclusions); an exclusion
    when the reference is unknown or the submission is never selected anyway.
    """
    missing = missing_columns(candidates.columns, rules, families)
    if missing:
        raise SelectionError(f"The candidates lack the column(s) {', '.join(missing)}.")
    frame = prepare_candidates(candidates)
    by_ref = {str(r).upper(): i for i, r in enumerate(frame["reference"].tolist())}
    problems: list[str] = []

    def ids(text: str) -> list[int]:
        out = []
        for token in split_references(text):
            if token not in by_ref:
                problems.append(f"{_shown(token)} is not a reference of a submission of this call.")
            else:
                out.append(int(frame["submission_id"].iloc[by_ref[token]]))
        return out

    pin_ids, out_ids = ids(pinned), ids(excluded)
    rows = frame.set_index("submission_id", drop=False)
    with_exclusions = SelectionRules.from_dict(rules.to_dict() | {"excluded": out_ids})
    for sid in pin_ids:
        row = rows.loc[sid]
        why = pin_refusal(row.to_dict(), with_exclusions, families)
        if why:
            problems.append(f"{row['reference']} cannot be pinned: it {why}.")
    for sid in out_ids:
        row = rows.loc[sid]
        if row["why_not"] and sid not in pin_ids:
            problems.append(
                f"{row['reference']} need not be excluded: it {_never(str(row['why_not']))}, so is never selected."
            )
    if problems:
        return Picks(problems=tuple(problems))
    return Picks(pinned=tuple(sorted(pin_ids)), excluded=tuple(sorted(out_ids)))
