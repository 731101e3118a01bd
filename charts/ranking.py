"""Figures for the rankings page: data in, plotly figure out.

Colours are the Okabe-Ito palette (safe for the common forms of colour
blindness); every figure has a title and axis labels. Names and titles are
contributor or user text, so they pass through `html.escape` before they reach
a label or hover text (plotly renders a subset of HTML there).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
LENIENT, HARSH = "#E69F00", "#0072B2"
SCORE_LABELS = ("1", "2", "3", "4", "5", "cannot judge")


def layout_of(title: str, x: str, y: str, *, height: int = 380) -> dict:
    """Every figure's title, axis titles, height and margins, as a layout dict."""
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x}},
        "yaxis": {"title": {"text": y}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "legend": {"title": {"text": ""}},
    }


def _layout(fig: go.Figure, title: str, x: str, y: str, *, height: int = 380) -> go.Figure:
    fig.update_layout(**layout_of(title, x, y, height=height))
    return fig


def score_distribution_figure(reviews: pd.DataFrame, criterion_labels: Mapping[str, str]) -> go.Figure:
    """How often each score (and "cannot judge") was given, per criterion."""
    fig = go.Figure()
    counts = score_distribution_table(reviews, criterion_labels)
    for i, row in enumerate(counts.itertuples(index=False)):
        label = html.escape(row[0])
        fig.add_bar(
            x=list(SCORE_LABELS),
            y=list(row[1:]),
            name=label,
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate=f"{label}<br>score %{{x}}: %{{y}} scores<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(SCORE_LABELS))
    return _layout(fig, "Scores given, per criterion", "Score", "Number of scores")


def leniency_figure(reviewers: pd.DataFrame, names: Mapping[int, str]) -> go.Figure:
    """One bar per reviewer: points above (lenient) or below (harsh) a typical reviewer.

    `reviewers` is `Calibration.reviewers` (index reviewer_id; leniency, scale,
    n_reviews, mean_score).
    """
    frame = reviewers.dropna(subset=["leniency"]).sort_values("leniency")
    labels = [html.escape(names.get(rid, f"Reviewer {rid}")) for rid in frame.index]
    fig = go.Figure(
        go.Bar(
            x=frame["leniency"].round(2),
            y=labels,
            orientation="h",
            marker_color=[LENIENT if v > 0 else HARSH for v in frame["leniency"]],
            customdata=list(
                zip(frame["n_reviews"], frame["scale"].round(2), frame["mean_score"].round(2), strict=True)
            ),
            hovertemplate=(
                "%{y}<br>leniency %{x:+.2f} points<br>%{customdata[0]} reviews, average score %{customdata[2]}"
                "<br>use of the scale %{customdata[1]} (1 = like the panel)<extra></extra>"
            ),
        )
    )
    fig.add_vline(x=0, line_color="#555555", line_width=1)
    return _layout(
        fig,
        "How lenient each reviewer is",
        "Points above (lenient) or below (harsh) a typical reviewer, for the same submission",
        "Reviewer",
        height=max(300, 60 + 32 * len(frame)),
    )


def rank_shift_figure(table: pd.DataFrame) -> go.Figure:
    """Each submission's rank by plain mean against its rank by calibrated score.

    `table` is `ranking.ranking_table` output. Points off the diagonal moved
    because of who happened to review them.
    """
    plain_rank = table["Rank"] + table["Moved"]
    flagged = table["Discuss"]
    fig = go.Figure()
    for is_flagged, colour, name in ((False, OKABE_ITO[0], "agreed"), (True, OKABE_ITO[5], "flagged for discussion")):
        part = table[flagged == is_flagged]
        if part.empty:
            continue
        fig.add_scatter(
            x=plain_rank[part.index],
            y=part["Rank"],
            mode="markers",
            name=name,
            marker={"color": colour, "size": 7, "symbol": "diamond" if is_flagged else "circle"},
            text=[
                f"{html.escape(r)}: {html.escape(t[:80])}"
                for r, t in zip(part["Reference"], part["Title"], strict=True)
            ],
            hovertemplate="%{text}<br>rank by plain mean %{x}, calibrated %{y}<extra></extra>",
        )
    top = int(max(plain_rank.max(), table["Rank"].max())) if len(table) else 1
    fig.add_scatter(
        x=[1, top],
        y=[1, top],
        mode="lines",
        line={"color": "#999999", "dash": "dot"},
        name="same rank",
        hoverinfo="skip",
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Rank by plain mean and by calibrated score", "Rank by plain mean", "Rank by calibrated score")


# --- the tables behind the figures (shown under each chart, with a CSV) ---------


def score_distribution_table(reviews: pd.DataFrame, criterion_labels: Mapping[str, str]) -> pd.DataFrame:
    """The counts behind `score_distribution_figure`: one row per criterion."""
    rows = []
    for criterion, label in criterion_labels.items():
        scores = reviews.loc[reviews["criterion"] == criterion, "score"]
        counts = [int((scores == s).sum()) for s in range(1, 6)] + [int(scores.isna().sum())]
        rows.append({"Criterion": label, **dict(zip(SCORE_LABELS, counts, strict=True))})
    return pd.DataFrame(rows, columns=["Criterion", *SCORE_LABELS])


def rank_shift_table(table: pd.DataFrame) -> pd.DataFrame:
    """The points of `rank_shift_figure`: reference, both ranks, places moved."""
    return pd.DataFrame(
        {
            "Reference": table["Reference"],
            "Rank by plain mean": table["Rank"] + table["Moved"],
            "Rank by calibrated score": table["Rank"],
            "Moved": table["Moved"],
            "Flagged for discussion": table["Discuss"],
        }
    ).sort_values("Rank by calibrated score")


def leniency_table(reviewers: pd.DataFrame, names: Mapping[int, str]) -> pd.DataFrame:
    """The bars of `leniency_figure`, with what the hover text shows."""
    frame = reviewers.dropna(subset=["leniency"]).sort_values("leniency", ascending=False)
    return pd.DataFrame(
        {
            "Reviewer": [names.get(rid, f"Reviewer {rid}") for rid in frame.index],
            "Leniency (points)": frame["leniency"].round(2).to_numpy(),
            "Use of the scale (1 = like the panel)": frame["scale"].round(2).to_numpy(),
            "Reviews": frame["n_reviews"].to_numpy(),
            "Average score given": frame["mean_score"].round(2).to_numpy(),
        }
    )
