"""Frames shaped for display: codes turned into labels, friendly headers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import MULTI_VALUED, SINGLE_VALUED, CallConfig
from formats import times

HEADERS = {
    "reference": "Reference",
    "title": "Title",
    "organisation": "Organisation",
    "themes": "Themes",
    "focus_areas": "Focus areas",
    "exploitation_types": "Forms of exploitation",
    "evidence_forms": "Form of evidence",
    "evidence_source": "Source of evidence",
    "sector": "Sector",
    "nation": "Nation",
    "stage": "Stage",
    "reported_impact": "Reported impact",
    "presentation_preference": "Can present",
    "received_at": "Received",
    "anonymous": "Anonymous",
    "region": "Region",
}


def with_labels(frame: pd.DataFrame, config: CallConfig) -> pd.DataFrame:
    """Replace code columns by their labels (lists joined with '; ')."""
    out = frame.copy()
    for name in MULTI_VALUED:
        if name in out:
            vocab = config.vocabulary(name)
            out[name] = out[name].map(lambda codes, v=vocab: "; ".join(v.label(c) for c in codes))
    for name in SINGLE_VALUED:
        if name in out:
            vocab = config.vocabulary(name)
            out[name] = out[name].map(lambda code, v=vocab: v.label(code) if isinstance(code, str) else "")
    return out


def submission_table(frame: pd.DataFrame, config: CallConfig, columns: list[str]) -> pd.DataFrame:
    """`columns` of `frame` with labels and friendly headers; show it with `column_config=COLUMNS`."""
    shown = with_labels(frame[columns], config)
    if "received_at" in shown:  # the times themselves, so that sorting the column sorts by date (not text)
        shown["received_at"] = pd.to_datetime(shown["received_at"], utc=True)
    return shown.rename(columns=HEADERS)


# How a `submission_table`'s typed columns are shown: Received as the UK day of the app's one time format
# ("5 Jul 2021", `formats.times.day`; the submission's card gives the time of day), sorted as times.
COLUMNS = {
    HEADERS["received_at"]: st.column_config.DatetimeColumn(format=times.DAY_PATTERN, timezone=times.UK_ZONE),
}
