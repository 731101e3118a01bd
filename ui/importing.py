"""The Import page's pieces: template downloads, the column and value mapping
editors, the preview, likely duplicates and past imports.

Everything read from the file (headers, cells, sheet names) is contributor
text: it is shown with `st.text`, in dataframe cells or as widget values,
never in labels, captions or Markdown. Widget labels are our own words
("Column C goes to") and hidden where the file's text stands beside them.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig
from data_access import imports as imports_da
from data_access.db import Database
from formats.csv_export import export_filename
from importing import (
    FIELD_NAMES,
    FIELDS_BY_NAME,
    ColumnMapping,
    ImportPlan,
    Table,
    describe_size,
    display_value,
    problems_csv,
    unmatched_values,
)
from importing.reading import column_letter
from importing.template import codes_csv, template_csv, template_xlsx
from importing.values import LEAVE_OUT
from ui.exports import CSV_MIME, checked_button
from ui.render import digest, table_key

NOT_IMPORTED = "(not imported)"
CHOOSE = "(choose a code)"
MAX_VALUE_EDITORS = 40
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def refused(exc: Exception) -> None:
    """Why nothing was imported, then stop. The reason can quote the file (a
    sheet's name), so it is shown as text under an alert in our own words."""
    st.error("This file was not imported, and nothing was written. Why, and what to do:", icon=":material/block:")
    st.text(str(exc))
    st.stop()


def _no_audit(content: Callable[[], bytes]) -> Callable:
    """A builder for a file with nothing personal in it (the template): checked at the click, not logged."""
    return lambda _session, _viewer: content()


def template_downloads(config: CallConfig, viewer: Viewer) -> None:
    with st.expander("Template and coded values", icon=":material/download:"):
        st.caption(
            "Start from the template, or import the spreadsheet you already have: its columns are mapped below. "
            "title, summary and themes are required in every row; coded columns take a code, its label or a "
            "synonym, several separated by ; or line breaks."
        )
        cols = st.columns(3)
        offered = (
            ("Template (Excel, with the codes)", lambda: template_xlsx(config), "import-template", "xlsx", XLSX_MIME),
            ("Template (CSV)", template_csv, "import-template", "csv", CSV_MIME),
            ("Coded values (CSV)", lambda: codes_csv(config), "import-codes", "csv", CSV_MIME),
        )
        for col, (label, make, what, ext, mime) in zip(cols, offered, strict=True):
            with col:
                checked_button(
                    label,
                    _no_audit(make),
                    what=what,
                    file_name=export_filename(config.call_id, what, ext=ext),
                    mime=mime,
                    key=f"import.{what}.{ext}",
                    viewer=viewer,
                    page="import",
                    icon=":material/table:" if ext == "xlsx" else None,
                )


def _field_label(name: str) -> str:
    if name == NOT_IMPORTED:
        return name
    spec = FIELDS_BY_NAME[name]
    return f"{spec.label}{' (required)' if spec.required else ''}"


def mapping_editor(table: Table, base: ColumnMapping, key: str) -> tuple[ColumnMapping, list[str]]:
    """One row per file column: its header, examples, and where it goes."""
    st.caption("Each column of your file, a few of its values, and the template column it goes to.")
    chosen: dict[str, list[str]] = {}
    options = [NOT_IMPORTED, *FIELD_NAMES]
    for i, header in enumerate(table.headers):
        current = base.field_for(header)
        examples = [v.strip() for v in table.column(header) if v.strip()][:3]
        left, middle, right = st.columns([2, 3, 2], vertical_alignment="center")
        left.text(header)
        middle.text(" | ".join(e if len(e) <= 40 else e[:39] + "\u2026" for e in examples) or "(empty)")
        picked = right.selectbox(
            f"Column {column_letter(i)} goes to",
            options,
            index=options.index(current) if current else 0,
            format_func=_field_label,
            key=f"{key}.col.{i}",
            label_visibility="collapsed",
        )
        if picked != NOT_IMPORTED:
            chosen.setdefault(picked, []).append(header)
    problems = [
        f"{FIELDS_BY_NAME[name].label} is chosen for {len(headers)} columns; choose one."
        for name, headers in chosen.items()
        if len(headers) > 1
    ]
    columns = {name: headers[0] for name, headers in chosen.items()}
    return ColumnMapping({n: columns[n] for n in FIELD_NAMES if n in columns}, {}), problems


def value_editor(table: Table, mapping: ColumnMapping, base: ColumnMapping, config: CallConfig, key: str) -> None:
    """Values of coded columns that name no code, each with a choice of code
    (pre-set from the saved mapping). Fills `mapping.values`."""
    unmatched = unmatched_values(table, mapping, config)
    if not unmatched:
        return
    st.subheader("Values that name no code", anchor=False)
    st.caption(
        "These values in coded columns match no code, label or synonym of the call. Choose the code each one "
        "means (the closest are listed first), or leave it out; the choice is kept with the mapping."
    )
    for k, item in enumerate(unmatched[:MAX_VALUE_EDITORS]):
        if item.field == "anonymous":
            codes, labels = ["yes", "no"], {"yes": "Yes", "no": "No"}
        else:
            vocab = config.vocabulary(item.field)
            codes = [*item.suggestions, *(c for c in vocab.ids if c not in item.suggestions)]
            labels = vocab.labels()
        options = [CHOOSE, *codes, LEAVE_OUT]
        saved = base.values.get(item.field, {})
        preset = next((v for raw, v in saved.items() if raw.casefold() == item.value.casefold()), None)
        cols = st.columns([2, 3, 3], vertical_alignment="center")
        cols[0].text(FIELDS_BY_NAME[item.field].label)
        rows = ", ".join(str(r) for r in item.rows) + (" \u2026" if item.count > len(item.rows) else "")
        cols[1].text(f"{item.value}\n{item.count} cell{'s' if item.count != 1 else ''} (row {rows})")
        picked = cols[2].selectbox(
            f"Value {k + 1} means",
            options,
            index=options.index(preset) if preset in options else 0,
            format_func=lambda c, labels=labels: "(leave it out)" if c == LEAVE_OUT else labels.get(c, c),
            key=f"{key}.val.{digest(item.field, item.value)}",
            label_visibility="collapsed",
        )
        if picked != CHOOSE:
            mapping.values.setdefault(item.field, {})[item.value] = picked
    if len(unmatched) > MAX_VALUE_EDITORS:
        st.caption(
            f"{len(unmatched) - MAX_VALUE_EDITORS} more values name no code; they are listed in the problem "
            "table of the preview. Map the ones above first, or correct the file."
        )


def progress_bar(text: str) -> tuple[Callable[[float, str], None], Callable[[], None]]:
    bar = st.progress(0.0, text=text)
    return (lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message)), bar.empty


def preview(plan: ImportPlan, *, config: CallConfig, db: Database, viewer: Viewer) -> None:
    counts = plan.counts
    cols = st.columns(6)
    cols[0].metric("Will be added", counts["added"])
    cols[1].metric("Will be updated", counts["updated"])
    cols[2].metric("Unchanged", counts["unchanged"])
    cols[3].metric("Blank rows skipped", counts["skipped_blank"])
    cols[4].metric(
        "Likely duplicates",
        counts["likely_duplicates"],
        help="Pairs flagged for a person to decide (a row like two others is two), as many as the import flags.",
    )
    cols[5].metric("Problems", counts["problems"])
    if plan.problems:
        st.error(
            f"The file has {counts['problems']} problem{'s' if counts['problems'] != 1 else ''}"
            f" in {counts['rows_with_problems']} row{'s' if counts['rows_with_problems'] != 1 else ''}. Nothing can "
            "be imported until they are fixed: choose "
            "the columns or values above, or correct the file and upload it again.",
            icon=":material/error:",
        )
        frame = pd.DataFrame([p.as_dict() for p in plan.problems]).rename(columns=str.capitalize)
        st.dataframe(frame, hide_index=True, width="stretch", key="import.problems")
        problems, source = plan.problems, plan.table.filename

        def problem_table(session, current: Viewer) -> bytes:  # at the click: made, then logged with its digest
            content = problems_csv(problems)
            imports_da.record_problems_download(
                session, actor=current.username, filename=source, count=len(problems), content=content
            )
            return content

        checked_button(
            "Download the problems (CSV)",
            problem_table,
            what="import-problems",
            file_name=export_filename(config.call_id, "import-problems"),
            mime=CSV_MIME,
            key="import.problems.csv",
            viewer=viewer,
            page="import",
            icon=":material/download:",
        )
    if plan.warnings:
        st.warning("Warnings (these rows will still be imported):", icon=":material/warning:")
        st.dataframe(pd.DataFrame([w.as_dict() for w in plan.warnings]), hide_index=True, width="stretch")
    updates = [
        {
            "Row": r.row,
            "Reference": r.data.reference,
            "Field": FIELDS_BY_NAME[name].label,
            "Now": display_value(old),
            "From the file": display_value(new),
        }
        for r in plan.rows_with("update")
        for name, (old, new) in r.changes.items()
    ]
    if updates:
        st.subheader("What the file changes", anchor=False)
        st.dataframe(pd.DataFrame(updates), hide_index=True, width="stretch")
    if plan.duplicates:
        st.subheader("Likely duplicates (imported, and flagged for you to decide)", anchor=False)
        rows = [
            {
                "Row": d.row,
                "Reference": d.reference,
                "Title": d.title,
                "Looks like": d.other_reference + (f" (row {d.other_row})" if d.other_row else ""),
                "Its title": d.other_title,
                "Why": d.reason,
            }
            for d in plan.duplicates
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def duplicate_decisions(db: Database, viewer: Viewer) -> None:
    with db.read() as session:
        flags = imports_da.list_flags(session, status="open")
    st.subheader("Likely duplicates to decide", anchor=False)
    if not flags:
        st.caption("None open.")
        return
    frame = pd.DataFrame(
        [
            {
                "Reference": f.reference,
                "Title": f.title,
                "Looks like": f.other_reference,
                "Its title": f.other_title,
                "Why": f.reason,
                "Import": f.import_batch_id,
            }
            for f in flags
        ]
    )
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=table_key("import.flags", [f.id for f in flags]),
    )
    picked = flags[event.selection.rows[0]] if event.selection.rows else None
    cols = st.columns(2)
    for col, status, label in ((cols[0], "not_duplicate", "Not a duplicate"), (cols[1], "duplicate", "Duplicate")):
        if col.button(label, disabled=picked is None, key=f"import.flag.{status}"):
            try:
                with db.write() as session:
                    imports_da.decide_flag(session, flag_id=picked.id, status=status, actor=viewer.username)
            except imports_da.FlagError as exc:
                st.error(str(exc))
            else:
                st.rerun()
    if picked is None:
        st.caption("Select a row, then record your decision. Both submissions stay; a decision is logged.")


def recent_imports(db: Database, viewer: Viewer) -> None:
    with db.read() as session:
        batches = imports_da.list_batches(session, limit=20)
    if not batches:
        return
    st.subheader("Recent imports", anchor=False)
    cols = st.columns([2, 3], vertical_alignment="bottom")
    by_id = {b.id: b for b in batches}
    chosen = cols[0].selectbox(
        "Original file of", list(by_id), format_func=lambda i: f"import {i}", key="import.original"
    )

    def original(session, current: Viewer) -> bytes:  # at the click: read and logged then
        _name, content = imports_da.batch_file(session, batch_id=chosen, actor=current.username)
        return bytes(content or b"")

    with cols[1]:
        checked_button(
            "Download the original file",
            original,
            what="import-original",
            file_name=by_id[chosen].filename,
            mime="application/octet-stream",
            key="import.original_download",
            viewer=viewer,
            page="import",
            icon=":material/download:",
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Import": b.id,
                    "When": b.imported_at,
                    "Who": b.imported_by,
                    "File": b.filename,
                    "Sheet": b.sheet,
                    "Mapping": b.mapping_name,
                    "Size": describe_size(b.size_bytes),
                    "Added": b.counts.get("added", 0),
                    "Updated": b.counts.get("updated", 0),
                    "Flagged": b.counts.get("flags", 0),
                    "SHA-256": b.sha256,
                }
                for b in batches
            ]
        ),
        hide_index=True,
        width="stretch",
    )
