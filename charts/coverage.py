"""Figures for the coverage page: data in (the tables of `scoring.coverage`), plotly figure out.

House style as in `charts.ranking`: a title and labelled axes on every
figure, Okabe-Ito colours for categories and viridis (readable with every
common colour-vision deficiency, and in grey) for scores, its ends fitted to
the values shown (`colour_range`) so that cell means that differ by a few
tenths still look different; the colour bar gives the numbers. No figure carries a
title, summary or identity of a submission; the labels come from the call's
configuration and still pass through `html.escape`, as plotly renders a
subset of HTML in labels and hover text.

The gap map draws every cell: a filled bubble (area = number of submissions,
colour = mean score) where some evidence reaches the strength level, a ring
of the same size and colour for an evidence gap, a grey bubble where nothing
is reviewed yet, and a cross for an absolute gap; the legend names each, and
each cell's count is written in its corner. The number after each row and
column label is its total of distinct submissions. Its points carry `customdata = [row_key, column_code]` so that a selection can be
turned back into cells.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.ranking import OKABE_ITO, _layout, layout_of
from scoring.coverage import ABSOLUTE, COLOUR_BY, EVIDENCE, CoverageMatrix, gap_label

BLUE, ORANGE, SKY, VERMILLION, GREY = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[4], OKABE_ITO[5], "#9E9E9E"
SCALE = "viridis"
MAX_BUBBLE_PX = 44
ROW_PX = 54


def _wrap(text: str, width: int) -> str:
    return "<br>".join(html.escape(part) for part in (textwrap.wrap(text, width) or [""]))


def _hover(cells: pd.DataFrame, matrix: CoverageMatrix) -> list[str]:
    out = []
    for c in cells.itertuples():
        lines = [f"<b>{html.escape(c.row_label)}</b>", html.escape(c.column_label)]
        if c.n == 0:
            lines.append("Nothing came in (absolute gap)")
        else:
            lines.append(f"{c.n} submission{'s' if c.n != 1 else ''}, {c.n_reviewed} reviewed")
            if not math.isnan(c.mean_score):
                lines.append(f"Mean calibrated score {c.mean_score:.2f}")
            if c.n_assessed:
                lines.append(
                    f"Evidence strength: mean {c.mean_strength:.2f}; {c.n_strong} of {c.n_assessed} reach {matrix.level:g}"
                )
            if c.gap:
                lines.append(html.escape(gap_label(c.gap, matrix.level)))
        out.append("<br>".join(lines))
    return out


def colour_range(values: pd.Series) -> tuple[float, float]:
    """The colour scale's ends: the values' range rounded out to half points, at least one point wide, within 1..5."""
    values = values.dropna()
    if values.empty:
        return 1.0, 5.0
    lo, hi = math.floor(values.min() * 2) / 2, math.ceil(values.max() * 2) / 2
    while hi - lo < 1:
        lo, hi = max(1.0, lo - 0.5), min(5.0, hi + 0.5)
    return max(1.0, lo), min(5.0, hi)


def gap_map_figure(
    matrix: CoverageMatrix, *, colour_by: str = "score", line_up: pd.DataFrame | None = None
) -> go.Figure:
    """The bubble grid. `line_up`: cells (row_key, column_code, n) holding saved line-up members, or None."""
    value_column, value_label = COLOUR_BY[colour_by]
    cells = matrix.cells
    value = cells[value_column]
    sizeref = 2.0 * max(int(cells["n"].max()) if len(cells) else 1, 1) / MAX_BUBBLE_PX**2
    hover = pd.Series(_hover(cells, matrix), index=cells.index)
    strong = (cells["gap"] == "") & (cells["n"] > 0) & value.notna()
    weak = (cells["gap"] == EVIDENCE) & value.notna()
    groups = (
        (strong, "circle", f"Some evidence reaching strength {matrix.level:g} (filled)"),
        (weak, "circle-open", html.escape(gap_label(EVIDENCE, matrix.level)) + " (ring)"),
        ((cells["n"] > 0) & ~strong & ~weak, "circle", "Not yet scored (grey)"),
    )
    traces = []
    for mask, symbol, legend in groups:
        part = cells[mask]
        marker: dict = {
            "symbol": symbol,
            "size": part["n"],
            "sizemode": "area",
            "sizeref": sizeref,
            "sizemin": 5,
            "opacity": 1,
        }
        if legend.startswith("Not yet"):
            marker.update(color=GREY, line={"color": "#616161", "width": 1})
        else:
            line = {"width": 3.5} if symbol.endswith("open") else {"color": "white", "width": 1}
            marker.update(color=value[mask], coloraxis="coloraxis", line=line)
        traces.append(_cells_trace(part, hover, name=legend, marker=marker))
    gaps = cells[cells["gap"] == ABSOLUTE]
    cross = {"symbol": "x-thin-open", "size": 13, "color": VERMILLION, "line": {"width": 2.5, "color": VERMILLION}}
    traces.append(_cells_trace(gaps, hover, name=html.escape(gap_label(ABSOLUTE, matrix.level)) + " (×)", marker=cross))
    filled = cells[cells["n"] > 0]
    traces.append(
        {
            "type": "scatter",
            "x": filled["col_pos"] + 0.46,
            "y": filled["row_pos"] + 0.44,
            "mode": "text",
            "text": filled["n"].astype(str),
            "textposition": "top left",
            "textfont": {"size": 10, "color": "#555555"},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    if line_up is not None and len(line_up):
        placed = line_up.merge(cells[["row_key", "column_code", "row_pos", "col_pos"]], on=["row_key", "column_code"])
        placed = placed.assign(col_pos=placed["col_pos"] + 0.3, row_pos=placed["row_pos"] - 0.28)
        star = {"symbol": "star", "size": 14, "color": ORANGE, "line": {"color": "black", "width": 1}}
        text = pd.Series([f"{n} of the saved line-up's presenters" for n in placed["n"]], index=placed.index)
        traces.append(_cells_trace(placed, text, name="In the saved line-up (★)", marker=star))
    lo, hi = colour_range(value[strong | weak])
    layout = {
        "coloraxis": {
            "colorscale": SCALE,
            "cmin": lo,
            "cmax": hi,
            "colorbar": {"title": {"text": value_label + "<br>(scale 1 to 5)"}, "thickness": 14, "len": 0.6, "y": 0.45},
        },
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "itemsizing": "constant"},
        "plot_bgcolor": "white",  # no dragmode or clickmode: Streamlit sets them so that a click selects a cell
    }
    title = f"Submissions by theme and focus area, and by {matrix.column_label.lower()}"
    # The figure made at once from its traces and layout (each add_* or update_* call validates and copies the
    # layout again: 2.5 times the time); the same figure as the other charts' calls would make.
    for part in (
        _grid(matrix),
        layout_of(html.escape(title), html.escape(matrix.column_label), "Theme and focus area"),
        _legend_on_top_layout(height=190 + ROW_PX * len(matrix.rows), top=130),
    ):
        _merge(layout, part)
    return go.Figure(data=traces, layout=layout)


def _merge(into: dict, more: dict) -> dict:
    """`more` merged into `into`, nested dicts key by key, as `fig.update_layout(**more)` would."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _cells_trace(part: pd.DataFrame, hover: pd.Series, *, name: str, marker: dict) -> dict:
    """One trace of cells; each point carries its cell's (row_key, column_code) for selections."""
    return {
        "type": "scatter",
        "x": part["col_pos"],
        "y": part["row_pos"],
        "mode": "markers",
        "name": name,
        "marker": marker,
        "customdata": part[["row_key", "column_code"]].to_numpy().tolist(),
        "hovertext": hover[part.index],
        "hovertemplate": "%{hovertext}<extra></extra>",
    }


def _legend_on_top_layout(*, height: int, top: int = 100) -> dict:
    """Title at the very top, the legend between it and the plot."""
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "title": {"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    }


def _legend_on_top(fig: go.Figure, *, height: int, top: int = 100) -> None:
    fig.update_layout(**_legend_on_top_layout(height=height, top=top))


def _grid(matrix: CoverageMatrix) -> dict:
    """The axes' labels and ranges, and the grid's bands and lines (the layout's shapes)."""
    n_rows, n_cols = len(matrix.rows), len(matrix.columns)
    # Each label ends with its total of distinct submissions (a row's cells can add up to more).
    row_totals = dict(zip(matrix.row_totals["row_key"], matrix.row_totals["submissions"], strict=True))
    col_totals = dict(zip(matrix.column_totals["column_code"], matrix.column_totals["submissions"], strict=True))
    ticktext = []
    for row in matrix.rows:
        label = _wrap(row.label, 38 if row.kind == "focus_area" else 34)
        total = f" <span style='color:#777'>({row_totals[row.key]})</span>"
        ticktext.append(label + total if row.kind == "focus_area" else f"<b>{label}</b>{total}")
    yaxis = {
        "tickmode": "array",
        "tickvals": list(range(n_rows)),
        "ticktext": ticktext,
        "range": [n_rows - 0.5, -0.5],
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
    }
    xaxis = {
        "tickmode": "array",
        "tickvals": list(range(n_cols)),
        "ticktext": [f"{_wrap(label, 16)}<br>({col_totals[code]})" for code, label in matrix.columns],
        "range": [-0.5, n_cols - 0.5],
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
        "tickangle": 0,
    }
    shapes = []
    for i, row in enumerate(matrix.rows):
        if row.kind != "focus_area":  # shade the all-submissions and whole-theme rows
            band = {"fillcolor": "#F2F2F2", "line": {"width": 0}, "layer": "below"}
            shapes.append({"type": "rect", "x0": -0.5, "x1": n_cols - 0.5, "y0": i - 0.5, "y1": i + 0.5, **band})
        thick = i + 1 < n_rows and matrix.rows[i + 1].kind != "focus_area"
        line = {"color": "#888888", "width": 1.5} if thick else {"color": "#DDDDDD", "width": 1}
        shapes.append({"type": "line", "x0": -0.5, "x1": n_cols - 0.5, "y0": i + 0.5, "y1": i + 0.5, "line": line})
    for j in range(n_cols - 1):
        line = {"color": "#DDDDDD", "width": 1}
        shapes.append({"type": "line", "x0": j + 0.5, "x1": j + 0.5, "y0": -0.5, "y1": n_rows - 0.5, "line": line})
    return {"yaxis": yaxis, "xaxis": xaxis, "shapes": shapes}


def category_figure(counts: pd.DataFrame, *, title: str, category: str) -> go.Figure:
    """Horizontal bars per category: reviewed and not yet reviewed submissions (`scoring.coverage.count_by`)."""
    labels = [_wrap(label, 40) for label in counts["label"]]
    fig = go.Figure()
    for column, name, colour in (("reviewed", "reviewed", BLUE), ("not_reviewed", "not yet reviewed", SKY)):
        fig.add_bar(
            x=counts[column],
            y=labels,
            orientation="h",
            name=name,
            marker_color=colour,
            hovertemplate=f"%{{y}}<br>%{{x}} submissions {name}<extra></extra>",
        )
    fig.add_scatter(
        x=counts["submissions"],
        y=labels,
        mode="text",
        text=counts["submissions"],
        textposition="middle right",
        showlegend=False,
        hoverinfo="skip",
    )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(range=[0, max(1, int(counts["submissions"].max() or 0)) * 1.12])
    _layout(fig, title, "Submissions", category)
    _legend_on_top(fig, height=max(280, 150 + 34 * len(counts)))
    return fig


def review_progress_figure(progress: pd.DataFrame, *, due: int, deadline: dt.date) -> go.Figure:
    """Running total of submitted reviews per day, against the reviews due and the deadline."""
    fig = go.Figure()
    if len(progress):
        fig.add_scatter(
            x=progress["date"],
            y=progress["cumulative"],
            mode="lines+markers",
            line_shape="hv",
            name="reviews submitted",
            line={"color": BLUE, "width": 2.5},
            marker={"size": 5},
            hovertemplate="%{x|%d %b %Y}: %{y} reviews submitted<extra></extra>",
        )
    start = progress["date"].min() if len(progress) else deadline - dt.timedelta(days=21)
    end = max(progress["date"].max() if len(progress) else deadline, deadline)
    if due:
        fig.add_scatter(
            x=[start, end],
            y=[due, due],
            mode="lines",
            name=f"reviews due ({due})",
            line={"color": VERMILLION, "dash": "dash"},
            hoverinfo="skip",
        )
    top = max(due, int(progress["cumulative"].max()) if len(progress) else 0, 1)
    fig.add_scatter(
        x=[deadline, deadline],
        y=[0, top * 1.05],
        mode="lines",
        name="review deadline",
        line={"color": "#555555", "dash": "dot"},
        hoverinfo="skip",
    )
    fig.update_yaxes(rangemode="tozero")
    _layout(fig, "Review progress over time", "Date (UTC)", "Reviews submitted (running total)")
    _legend_on_top(fig, height=420)
    return fig


def score_distribution_figure(bins: pd.DataFrame, *, level: float) -> go.Figure:
    """Submissions per half-point band: calibrated score and mean evidence strength side by side."""
    fig = go.Figure()
    for column, name, colour in (
        ("calibrated", "calibrated score", BLUE),
        ("evidence_strength", "mean evidence strength", ORANGE),
    ):
        fig.add_bar(
            x=bins["band"],
            y=bins[column],
            name=name,
            marker_color=colour,
            hovertemplate=f"{name} %{{x}}: %{{y}} submissions<extra></extra>",
        )
    lower = bins["lower"].to_numpy(dtype=float)
    at = int(np.searchsorted(lower, level, side="right")) - 1
    if 0 <= at < len(bins):
        width = lower[1] - lower[0] if len(lower) > 1 else 1.0
        x = at - 0.5 + (level - lower[at]) / width  # bands are categories 0, 1, ...; their edges at ±0.5
        fig.add_vline(x=x, line={"color": "#555555", "dash": "dot"})
        fig.add_annotation(
            x=x,
            y=0.98,
            yref="paper",
            text=f" evidence strength {level:g}",
            showarrow=False,
            xanchor="left",
            yanchor="top",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    _layout(fig, "Scores of the reviewed submissions", "Score band (1 to 5)", "Submissions")
    _legend_on_top(fig, height=420)
    return fig
