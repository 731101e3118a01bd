"""Preparing the candidates: checked columns, derived ones, who can never be selected, the plain top N."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from config.call_config import normalise_term
from scoring.selection.rules import ABLE_TO_DO, SCORE_UNIT, SURVIVOR_CODE, SelectionError

REQUIRED_COLUMNS = (
    "reference",
    "score",
    "anonymous",
    "presentation_preference",
    "themes",
    "exploitation_types",
    "sector",
    "evidence_source",
    "organisation",
)
# Needed only by the rules that use them (`RuleFamily.columns`): submitted reviews, open discussion flag,
# shortlisted by the panel.
REVIEWS_COLUMN = "reviews"
FLAG_COLUMN = "flagged"
SHORTLISTED_COLUMN = "shortlisted"


def survivor_involved(evidence_source: Any, sector: Any) -> bool:
    """Survivor-led or survivor-informed: by source of evidence or by sector."""
    return evidence_source == SURVIVOR_CODE or sector == SURVIVOR_CODE


def organisation_key(organisation: Any) -> str | None:
    if not isinstance(organisation, str):
        return None
    key = normalise_term(organisation)
    return key or None


def ineligibility(frame: pd.DataFrame) -> list[str]:
    """Why each candidate can never be selected ('' when it can), in row order."""
    anonymous = frame["anonymous"].fillna(False).astype(bool).tolist()
    prefs = frame["presentation_preference"].tolist()
    scores = pd.to_numeric(frame["score"], errors="coerce").astype(float).tolist()
    out = []
    for anon, pref, score in zip(anonymous, prefs, scores, strict=True):
        if anon:
            out.append("anonymous")
        elif pref == "not_available":
            out.append("not available to present")
        elif pref not in ABLE_TO_DO:
            out.append("no presentation preference given")
        elif math.isnan(score):
            out.append("not yet scored")
        else:
            out.append("")
    return out


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def prepare_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """A checked copy: `submission_id` column, sorted by reference, derived columns."""
    frame = candidates.copy()
    if "submission_id" not in frame.columns:
        frame = frame.rename_axis("submission_id").reset_index()
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SelectionError(f"The candidates lack the column(s) {', '.join(missing)}.")
    if frame["submission_id"].duplicated().any():
        raise SelectionError("The candidates list a submission twice.")
    frame["submission_id"] = frame["submission_id"].astype(int)
    frame["reference"] = frame["reference"].astype(str)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["anonymous"] = frame["anonymous"].fillna(False).astype(bool)
    for name in ("themes", "exploitation_types"):
        frame[name] = [_as_list(v) for v in frame[name].tolist()]
    # .tolist() first: iterating pandas' Arrow-backed text columns value by value is slow.
    frame["survivor"] = [
        survivor_involved(s, t)
        for s, t in zip(frame["evidence_source"].tolist(), frame["sector"].tolist(), strict=True)
    ]
    frame["org_key"] = [organisation_key(o) for o in frame["organisation"].tolist()]
    if REVIEWS_COLUMN in frame.columns:
        frame[REVIEWS_COLUMN] = pd.to_numeric(frame[REVIEWS_COLUMN], errors="coerce").fillna(0).astype(int)
    for name in (FLAG_COLUMN, SHORTLISTED_COLUMN):
        if name in frame.columns:
            frame[name] = frame[name].astype("boolean").fillna(False).astype(bool)
    frame["why_not"] = ineligibility(frame)
    frame = frame.sort_values(["reference", "submission_id"], kind="stable").reset_index(drop=True)
    return frame


def top_n(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The plain top N of the eligible: highest score, then earliest reference."""
    eligible = frame[frame["why_not"] == ""]
    q = np.rint(eligible["score"].to_numpy() / SCORE_UNIT)
    order = np.lexsort((np.arange(len(eligible)), -q))
    return eligible.iloc[order[:n]]
