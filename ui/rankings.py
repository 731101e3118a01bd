"""The Rankings page's reads, caches and rank-shift chart (the page itself, `pages/rankings.py`, draws).

What the page ranks by is read once per change of what each part is read from, shared by every admin and
office session: the submissions' list (id, reference, title, impact) keyed by the versions of the
submissions' tables, the reviewers' names and the agreement per criterion keyed by the scores' content
(`ui.scores.content_key`: a draft saved reads no score and rebuilds neither) and the users' table, the scores and their calibration from `ui.scores` (shared with Coverage, Selection and Exports).
Viewer-independent: the caches hold no viewer, and the admin's own parts (leniency, the reviews behind a row)
are drawn by the page after its own role check. Each cache holds at most `ui.scores.KEEP` entries. The
rank-shift chart of the top is built once per content and shared (`ui.figures.shared_figure`), like the page's
other charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from charts.ranking import rank_shift_figure, rank_shift_table
from config import CallConfig
from data_access import audit
from data_access import rankings as rankings_da
from data_access.db import Database
from data_access.rankings import RankingInputs
from scoring import Calibration
from scoring.agreement import agreement_table
from ui import context, paging, scores
from ui.charts import chart
from ui.figures import shared_figure
from ui.guard import page_fragment


@dataclass(frozen=True)
class Ranking:
    inputs: RankingInputs
    agreement: pd.DataFrame  # scoring.agreement.agreement_table of the submitted scores
    calibration: Calibration
    content: str  # ui.scores.content_key of the submitted scores (inputs.scores)


@st.cache_data(show_spinner="Reading the submissions…", max_entries=scores.KEEP)
def _submission_list(url: str, submissions_key: tuple[int, ...]) -> pd.DataFrame:
    """Shared, viewer-independent: id, reference, title and impact of every submission."""
    with context.database().read() as session:
        return rankings_da.ranked_submissions(session)


@st.cache_data(show_spinner="Reading the reviews…", max_entries=scores.KEEP)
def _review_summary(url: str, content: str, names_key: tuple[int, ...], criteria: tuple[str, ...], _scores_key: tuple):
    """Shared, viewer-independent: the reviewers' names and the agreement per criterion, of the scores. Keyed by
    the scores' content (`ui.scores.content_key`: a draft saved rebuilds nothing), read under `_scores_key`."""
    submitted = scores.submitted_scores(context.database(), _scores_key)
    with context.database().read() as session:
        names = rankings_da.reviewer_names(session, submitted)
    return names, agreement_table(submitted, list(criteria))


def ranking_inputs(db: Database, config: CallConfig) -> Ranking:
    """The scores, submissions, reviewers' names, agreement and calibration as they are now; each part is
    read again only when what it is read from changed (the scores: `ui.scores.scores_key`, which a draft saved
    leaves be), all of one key's scores (`ui.scores.fresh`)."""
    with db.read() as session:
        submissions_key = audit.tables_version(session, *rankings_da.SUBMISSION_TABLES)
        scores_key = scores.key_in(session, db.url)
        names_key = audit.tables_version(session, *rankings_da.NAME_TABLES)

    def part(key: tuple) -> Ranking:
        content = scores.content_key(db, key)
        names, agreement = _review_summary(db.url, content, names_key, tuple(config.weights), key)
        inputs = RankingInputs(
            scores=scores.submitted_scores(db, key),
            submissions=_submission_list(db.url, submissions_key),
            reviewer_names=names,
        )
        calibration = scores.calibration(db, config, key=key)
        return Ranking(inputs=inputs, agreement=agreement, calibration=calibration, content=content)

    return scores.fresh(db, part, scores_key)


SHIFT_COLUMNS = ("Rank", "Moved", "Discuss", "Reference", "Title")  # what rank_shift_figure reads


@page_fragment("rankings")
def rank_shift(table: pd.DataFrame, viewer) -> None:
    """The rank-shift chart: the top `paging.CHART_TOP` by calibrated score (10,000 points were ~1 MB per
    visit), every row on request (a toggle that reruns this part alone, with the role checked again)."""
    top = paging.CHART_TOP
    every = st.toggle(
        f"Show every submission in this chart ({len(table):,})",
        key="rankings.shift.all",
        disabled=len(table) <= top,
        help="Drawing them all sends every point to your browser: slower on a large call.",
    )
    shown = table if every else table.nsmallest(top, "Rank")
    what = "Each dot is a submission" if len(shown) == len(table) else f"Each dot is one of the top {top} submissions"
    drawn = shown[list(SHIFT_COLUMNS)]  # the columns it draws: the same for every viewer
    # The top is shared (`ui.figures`: built once per content, ~0.1 MB); every point, on request, is built for
    # this run alone: its size grows with the call (~1.8 MB of plotly objects at 10,000 submissions).
    fig = rank_shift_figure(drawn) if len(drawn) > top else shared_figure(rank_shift_figure, drawn)
    chart(
        fig,
        caption=(
            f"{what}: its rank by the plain mean (across) and by the calibrated score (down). Dots "
            "off the dotted line moved because of who happened to review them."
        ),
        table=lambda: rank_shift_table(shown),
        what="rank-shift",
        key="rankings.shift",
        viewer=viewer,
        page="rankings",
        via="Rankings page",
    )
