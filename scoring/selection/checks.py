"""Checking a given line-up against the rules, in words (for saved line-ups edited by hand)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from scoring.selection.candidates import prepare_candidates
from scoring.selection.families import RULE_FAMILIES
from scoring.selection.family import LineUp, RuleFamily, missing_columns
from scoring.selection.rules import ABLE_TO_DO, FORMAT_LABELS, SelectionError, SelectionRules
from scoring.selection.words import Names, plural


def rule_violations(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    members: Mapping[int, str],
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    families: Sequence[RuleFamily] = RULE_FAMILIES,
) -> list[str]:
    """Every rule a given line-up (submission_id -> format) breaks, in words: first its members that
    are unknown, cannot be selected or cannot present in their format, then each rule family's."""
    return line_up_checker(candidates, rules, labels=labels, families=families)(members)


def line_up_checker(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    families: Sequence[RuleFamily] = RULE_FAMILIES,
) -> Callable[[Mapping[int, str]], list[str]]:
    """`rule_violations` for many line-ups of the same candidates and rules: the candidates are
    prepared once (most of a check's time), and each line-up given is checked as it would be."""
    missing = missing_columns(candidates.columns, rules, families)
    if missing:
        raise SelectionError(f"The candidates lack the column(s) {', '.join(missing)}.")
    frame = prepare_candidates(candidates).set_index("submission_id")
    names = Names(labels)

    def check(members: Mapping[int, str]) -> list[str]:
        picked = [int(s) for s in members]
        rows = frame.loc[[s for s in picked if s in frame.index]]
        out = _member_problems(frame, rows, picked, members)
        line_up = LineUp(frame=frame, rows=rows, members=members, rules=rules, names=names)
        for family in families:
            out.extend(family.violations(line_up))
        return out

    return check


def _member_problems(
    frame: pd.DataFrame, rows: pd.DataFrame, picked: list[int], members: Mapping[int, str]
) -> list[str]:
    out: list[str] = []
    unknown = [s for s in picked if s not in frame.index]
    if unknown:
        out.append(f"{plural(len(unknown), 'member is', 'members are')} not among the submissions.")
    for sid, row in rows.iterrows():
        fmt = members[sid]
        if row["why_not"]:
            out.append(f"{row['reference']} cannot be selected: {row['why_not']}.")
        elif fmt not in ABLE_TO_DO[row["presentation_preference"]]:
            out.append(f"{row['reference']} cannot present {FORMAT_LABELS.get(fmt, fmt).lower()}.")
    return out
