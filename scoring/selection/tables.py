"""Frames for showing a selection: the line-up with its reasons, what each rule
cost, a rule set in words, and the choices for pinning and excluding.

Pure: a `SelectionResult` and the candidates frame in, display frames out.
Contributor text (titles, organisations) only ever lands in cells.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from scoring.selection import (
    FORMAT_LABELS,
    SelectionResult,
    SelectionRules,
    active_families,
    describe_family,
    pin_refusal,
    prepare_candidates,
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
                "Reviews": _reviews(info, pick.submission_id),
                "Flagged for discussion": _flagged(info, pick.submission_id),
                "Why it is there": "; ".join(pick.reasons),
                "Best replacement (every rule kept)": replacement,
                "Score change if replaced": None if math.isnan(change) else round(change, 2),
                "Organisation": info.loc[pick.submission_id, "organisation"],
            }
        )
    return pd.DataFrame(rows)


def _reviews(info: pd.DataFrame, sid: int) -> int | None:
    return int(info.loc[sid, "reviews"]) if "reviews" in info else None


def _flagged(info: pd.DataFrame, sid: int) -> bool | None:
    return bool(info.loc[sid, "flagged"]) if "flagged" in info else None


def thin_picks(picks: pd.DataFrame, minimum: int = 2) -> list[str]:
    """What the page says about picks with fewer than `minimum` reviews or flagged for discussion."""
    out = []
    if "Reviews" in picks and len(picks):
        thin = picks[picks["Reviews"].fillna(0) < minimum]
        if len(thin):
            out.append(
                f"{', '.join(thin['Reference'])}: fewer than {minimum} submitted reviews "
                f"({', '.join(str(int(n)) for n in thin['Reviews'])})."
            )
    if "Flagged for discussion" in picks and len(picks):
        flagged = picks[picks["Flagged for discussion"].fillna(False).astype(bool)]
        if len(flagged):
            out.append(f"{', '.join(flagged['Reference'])}: flagged for discussion (the reviewers disagree).")
    return out


def pick_list(candidates: pd.DataFrame, rules: SelectionRules) -> pd.DataFrame:
    """Every submission for the Pin and Exclude boxes, by reference: title, score, reviews, discussion flag,
    and whether it can be pinned under `rules` (or why not)."""
    frame = prepare_candidates(candidates)
    rows = frame.to_dict("records")
    return pd.DataFrame(
        {
            "Reference": frame["reference"],
            "Title": frame.get("title", ""),
            "Score": frame["score"].round(2),
            "Reviews": frame.get("reviews", None),
            "Flagged for discussion": frame.get("flagged", None),
            "Shortlisted": frame.get("shortlisted", None),
            "Can be pinned": ["no: it " + why if (why := pin_refusal(row, rules)) else "yes" for row in rows],
        }
    )


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
