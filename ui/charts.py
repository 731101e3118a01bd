"""Every chart the same way: the figure, one sentence saying what it shows, and
the table behind it one click away with a CSV download.

    event = chart(fig, caption="...", table=frame, what="coverage", key="coverage.map",
                  viewer=viewer, page="coverage", via="Coverage page", selectable=True)

The figure comes from a pure builder in `scoring/` (title, labelled axes,
colour-blind-safe colours). The caption is our own words (it renders
Markdown: never put contributor text in it); `TABLE_NOTE` follows it, saying
that every figure of the chart is in the table under it: a screen reader
cannot read plotly's drawing, and st.plotly_chart takes no text alternative,
so the caption, read just after the chart, names its alternative (WCAG 1.1.1).
The table is shown in a
dataframe (cells are plain text) and downloaded with
`ui.exports.table_download` (written by `formats.csv_export.to_csv_bytes`
when the person clicks, after their role is checked again, and audit-logged
then; `roles` narrows who may have it below the page's roles). Tables behind charts carry counts and
scores, never identities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from access.visibility import Viewer
from ui.exports import table_download

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d"]}
TABLE_LABEL = "Table behind this chart"
TABLE_NOTE = (
    f"Every figure in this chart is also in the table under it (“{TABLE_LABEL}”): open it to read them "
    "as text, with a screen reader or the keyboard, or download them as CSV."
)


def chart(
    fig: go.Figure,
    *,
    caption: str,
    table: pd.DataFrame | Callable[[], pd.DataFrame],
    what: str,
    key: str,
    viewer: Viewer,
    page: str,
    via: str,
    roles: Iterable[str] | None = None,
    selectable: bool = False,
    column_config: dict | None = None,
):
    """Show `fig`, its caption and its table (in an expander, with a CSV download).

    `table` may be a function that makes the table: it is called only when the
    expander is open.

    With `selectable`, clicking a point or dragging a box reruns the page and
    the selection is returned (`event.selection.points`); otherwise None.
    """
    event = st.plotly_chart(
        fig,
        width="stretch",
        key=key,
        on_select="rerun" if selectable else "ignore",
        selection_mode=("points", "box"),
        config=PLOTLY_CONFIG,
    )
    st.caption(f"{caption} {TABLE_NOTE}")
    # Tracked, so that the table and its CSV are only built while it is open.
    expander = st.expander(TABLE_LABEL, icon=":material/table_view:", key=f"{key}.table", on_change="rerun")
    if expander.open:
        with expander:
            frame = table() if callable(table) else table
            st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
            table_download(frame, what=what, key=f"{key}.csv", viewer=viewer, page=page, via=via, roles=roles)
    return event if selectable else None


def selected_points(event) -> list[dict]:
    """The selected points of a plotly chart's event (empty when nothing is selected)."""
    if not event:
        return []
    selection = event.get("selection") or {}
    return list(selection.get("points") or [])
