"""Fixing problem cells in place on the Import page (docs/importing.md, "Fixing a
cell in place"): under the preview's problems, each cell with a problem in an
imported column has a box for the value it should hold. "Check and use these
corrections" reads the file again through them, exactly as its own cells are
read: a correction whose cell still has a problem is not kept, and says why;
the others are kept (who, when, the cell's original text) until the import,
over reruns and a re-upload of the same file, and go with it into the
import's provenance. The uploaded file itself is never changed.

Everything from the file (headers, cells) is shown with `st.text` or as a
widget's value, never in labels or Markdown. The page's guard has checked the
role on this run; the import re-checks it at the click (`require_page`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from importing import ImportPlan, Table
from importing.corrections import (
    MAX_CORRECTION,
    Correction,
    CorrectionRefused,
    cell_text,
    check_value,
    correctable,
    refused_corrections,
)
from ui.render import digest

KEPT = "import.corrections"  # {"sha256": ..., "items": [...]}: not a widget's state, so a re-upload keeps it
MAX_CELLS = 40


def kept(sha256: str) -> list[Correction]:
    """The corrections made for this file (these exact bytes); those made for another file are dropped, and said."""
    stored = st.session_state.get(KEPT)
    if not stored:
        return []
    if stored["sha256"] != sha256:
        n = len(stored["items"])
        st.session_state.pop(KEPT)
        if n:
            st.info(
                f"{n} correction{'s' if n != 1 else ''} made for the previous file do{'es' if n == 1 else ''} not "
                "apply to this one (its content differs).",
                icon=":material/info:",
            )
        return []
    return [Correction.from_dict(item) for item in stored["items"]]


def _keep(sha256: str, corrections: Sequence[Correction]) -> None:
    st.session_state[KEPT] = {"sha256": sha256, "items": [c.as_dict() for c in corrections]}


def forget() -> None:
    """After an import: the corrections went with it."""
    st.session_state.pop(KEPT, None)


def summary(plan: ImportPlan, *, sha256: str, key: str) -> None:
    """The corrections in use, those that no longer apply (with why), and a way to drop them all."""
    for stale in plan.stale_corrections:
        c = stale.correction
        st.warning(
            f"A correction of row {c.row} no longer applies and is not used: {stale.reason}", icon=":material/undo:"
        )
        st.text(f"Column: {c.column}\nCorrected to: {c.value[:300]}")
    if not plan.corrections:
        return
    n = len(plan.corrections)
    st.caption(f"{n} cell{'s' if n != 1 else ''} corrected here (the file itself is unchanged):")
    st.dataframe(
        pd.DataFrame(
            [
                {"Row": c.row, "Column": c.column, "In the file": c.original, "Corrected to": c.value}
                for c in plan.corrections
            ]
        ),
        hide_index=True,
        width="stretch",
        key=f"{key}.corrections",
    )
    if st.button("Undo every correction", key=f"{key}.undo_corrections", icon=":material/undo:"):
        _keep(sha256, [])
        st.rerun()


def fix_in_place(
    plan: ImportPlan,
    table: Table,
    *,
    sha256: str,
    viewer: Viewer,
    key: str,
    recheck: Callable[[list[Correction]], ImportPlan],
) -> None:
    """A box per problem cell of an imported column, and the button that checks and keeps the corrections.
    `table` is the file as read without corrections (for each cell's original text); `recheck` plans the
    file again through the given corrections."""
    cells = correctable(plan)
    if not cells:
        return
    st.header("Fix a cell here", anchor=False)
    st.caption(
        "Type the value each cell should hold, then check the corrections: they are read exactly as the file's "
        "cells are. The file itself is not changed; each correction is kept with the import (the cell's text in "
        "the file, the new value, who and when)."
    )
    typed: list[tuple[int, str, str, str]] = []  # row, column, text now, typed
    for k, (row, column, problems) in enumerate(cells[:MAX_CELLS]):
        now = cell_text(plan.table, row, column)
        cols = st.columns([1, 2, 3, 3], vertical_alignment="center")
        cols[0].text(f"Row {row}")
        cols[1].text(column)
        cols[2].text("\n".join(p.problem for p in problems))
        value = cols[3].text_input(
            f"Correction {k + 1}",
            value=now,
            key=f"{key}.fix.{digest(row, column, now)}",
            label_visibility="collapsed",
            max_chars=MAX_CORRECTION,
        )
        typed.append((row, column, now, value))
    if len(cells) > MAX_CELLS:
        st.caption(f"{len(cells) - MAX_CELLS} more cells have problems: fix these first, or correct the file.")
    if not st.button("Check and use these corrections", key=f"{key}.check_fixes", icon=":material/rule:"):
        return
    _check(typed, plan, table, sha256=sha256, viewer=viewer, recheck=recheck)


def _check(
    typed: list[tuple[int, str, str, str]],
    plan: ImportPlan,
    table: Table,
    *,
    sha256: str,
    viewer: Viewer,
    recheck: Callable[[list[Correction]], ImportPlan],
) -> None:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    candidates: list[Correction] = []
    refused: list[tuple[Correction | None, int, str, str]] = []
    for row, column, now, value in typed:
        if value == now:
            continue
        try:
            value = check_value(value)
        except CorrectionRefused as exc:
            refused.append((None, row, column, str(exc)))
            continue
        field = plan.mapping.field_for(column) or ""
        original = cell_text(table, row, column)
        candidates.append(Correction(row, column, original, value, field=field, by=viewer.username, at=at))
    earlier = [c for c in plan.corrections if c.cell() not in {n.cell() for n in candidates}]
    if candidates and not refused:
        checked = recheck([*earlier, *candidates])
        for c, problems in refused_corrections(checked, candidates).items():
            refused.append((c, c.row, c.column, " ".join(p.problem for p in problems)))
    if not refused:
        if candidates:
            _keep(sha256, [*earlier, *candidates])
        st.rerun()
    n = len(refused)
    st.error(
        f"{n} correction{'s' if n != 1 else ''} did not fix {'their cells' if n != 1 else 'its cell'}, so no "
        "correction was kept and nothing changed. Why, cell by cell:",
        icon=":material/error:",
    )
    for _c, row, column, why in refused:
        st.text(f"Row {row}, {column}: {why}")
