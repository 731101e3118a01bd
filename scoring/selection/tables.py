"""Frames for showing a selection: the line-up with its reasons, what each rule
cost, a rule set in words, and the choices for pinning and excluding.

Pure: a `SelectionResult` and the candidates frame in, display frames out.
Contributor text (titles, organisations) only ever lands in cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from scoring.selection import (
    FORMAT_LABELS,
    SelectionResult,
    SelectionRules,
    active_families,
    describe_family,
    ineligibility,
)

SURVIVOR_MEANING = (
    "Survivor-led or survivor-informed: the source of evidence is “survivor-led and survivor-informed” "
    "or the sector is “survivor-led organisation”."
)


def _by_id(candidates: pd.DataFrame) -> pd.DataFrame:
    frame = (
        candidates if "submission_id" in candidates.columns else candidates.rename_axis("submission_id").reset_index()
    )
    return frame.set_index("submission_id")


def _refs(info: pd.DataFrame, ids: tuple[int, ...]) -> str:
    return ", ".join(str(info.loc[i, "reference"]) if i in info.index else str(i) for i in ids)


def picks_table(result: SelectionResult, candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per pick: who, where, score, why it is there, and the best replacement."""
    info = _by_id(candidates)
    rows = []
    for n, pick in enumerate(result.picks, start=1):
        rep = pick.replacement
        if rep is None:
            replacement, change = pick.replacement_note or "", math.nan
        else:
            replacement = _refs(info, rep.entering)
            if rep.also_leaving:
                replacement += f" (and {_refs(info, rep.also_leaving)} make way)"
            change = rep.score_change
        rows.append(
            {
                "#": n,
                "Reference": pick.reference,
                "Title": str(info.loc[pick.submission_id, "title"]) if "title" in info else "",
                "Format": FORMAT_LABELS[pick.format],
                "Score": round(pick.score, 2),
                "Pinned": pick.pinned,
                "Why it is there": "; ".join(pick.reasons),
                "Best replacement (every rule kept)": replacement,
                "Score change if replaced": None if math.isnan(change) else round(change, 2),
                "Organisation": info.loc[pick.submission_id, "organisation"],
            }
        )
    return pd.DataFrame(rows)


def rule_costs_table(result: SelectionResult) -> pd.DataFrame:
    """Each rule with the score given up for it: against the line-up without it, and alone against the top N."""
    return pd.DataFrame(
        [
            {
                "Rule": cost.rule,
                "Given up for this rule": _rounded(cost.given_up),
                f"This rule alone vs the plain top {result.rules.slots}": _rounded(cost.alone_vs_top_n),
            }
            for cost in result.rule_costs
        ],
        columns=["Rule", "Given up for this rule", f"This rule alone vs the plain top {result.rules.slots}"],
    )


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def rules_summary(rules: SelectionRules, references: Mapping[int, str]) -> pd.DataFrame:
    """A saved rule set in words (for the saved line-ups view)."""
    rows = [describe_family(f, rules) for f in active_families(rules) if f not in ("pinned", "excluded")]
    if rules.pinned:
        rows.append("pinned: " + ", ".join(references.get(i, str(i)) for i in rules.pinned))
    if rules.excluded:
        rows.append("excluded: " + ", ".join(references.get(i, str(i)) for i in rules.excluded))
    return pd.DataFrame({"Rules": rows})


def choice_labels(candidates: pd.DataFrame, *, also: Iterable[int] = ()) -> dict[int, str]:
    """Eligible submissions, best score first, as "REF · 4.21 · title", for the pin and exclude lists;
    then any of `also` (e.g. saved pins) that are no longer eligible, with the reason."""
    frame = (
        candidates if "submission_id" in candidates.columns else candidates.rename_axis("submission_id").reset_index()
    )
    why = pd.Series(ineligibility(frame), index=frame.index)
    eligible = frame[why == ""].sort_values(["score", "reference"], ascending=[False, True])
    out = {
        int(row.submission_id): f"{row.reference} · {row.score:.2f} · {row.title}"
        for row in eligible.itertuples(index=False)
    }
    wanted = {int(i) for i in also} - set(out)
    for index, row in frame[frame["submission_id"].isin(wanted)].iterrows():
        out[int(row["submission_id"])] = f"{row['reference']} · not eligible: {why[index]} · {row['title']}"
    return out
