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
from data_access import mapping_files as mapping_files_da
from data_access.db import Database
from data_access.submission_changes import field_label
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
from importing.mapping import CHECK, HIGH, LOW, UnmatchedValue, asks_to_name, propose
from importing.mapping_file import dump_mapping
from importing.reading import column_letter
from importing.template import codes_csv, template_csv, template_xlsx
from importing.values import LEAVE_OUT
from ui import auth, context
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


KEPT = "import.kept"  # the choices made for the last file, kept across a re-upload (not a widget's state)
KEPT_NOTE = "This file has the same columns as the previous one: every choice you made for that one is kept below."
CONFIDENCE_WORDS = {HIGH: "Sure", CHECK: "Check", LOW: "Unsure"}


def _value_slot(field: str, value: str) -> str:
    return f"{field}\x00{value.casefold()}"


def _start(table: Table, base: ColumnMapping, key: str) -> dict:
    """What the editors of `key` start from: the choices made for the previous
    file when it had the same columns and started from the same mapping (a
    re-upload keeps them), else `base`. Its "note" says which, in our words."""
    kept = st.session_state.get(KEPT)
    headers = list(table.headers)
    if kept is not None and kept["key"] == key:
        return kept
    picks = values = note = None
    if kept is not None and kept["headers"] == headers and kept["base"] == base.to_json():
        picks, values, note = kept["picks"], kept["values"], KEPT_NOTE
    elif kept is not None and kept["headers"] != headers:
        gone = len(set(kept["headers"]) - set(headers))
        new = len(set(headers) - set(kept["headers"]))
        note = (
            f"This file's columns are not those of the previous file ({new} new, {gone} no longer there, or in "
            "another order): the choices made for that file do not apply, and the mapping below starts afresh."
        )
    started = {"key": key, "headers": headers, "base": base.to_json(), "picks": picks, "values": values, "note": note}
    st.session_state[KEPT] = started
    return started


def mapping_editor(table: Table, base: ColumnMapping, key: str) -> tuple[ColumnMapping, list[str]]:
    """One row per file column: its header, examples, where it goes, and how
    sure the proposal is (from `importing.mapping.propose`)."""
    started = _start(table, base, key)
    if started["note"] == KEPT_NOTE:
        st.info(started["note"], icon=":material/history:")
    elif started["note"]:
        st.warning(started["note"], icon=":material/compare_arrows:")
    st.caption(
        "Each column of your file, a few of its values, the template column it goes to, and how sure the "
        "proposal is: Sure (header and cells agree), Check (one of them only), Unsure (look at it)."
    )
    guesses = propose(table, context.call_config()).guesses
    chosen: dict[str, list[str]] = {}
    picks: dict[str, str] = {}
    options = [NOT_IMPORTED, *FIELD_NAMES]
    for i, header in enumerate(table.headers):
        current = (started["picks"] or {}).get(header) if started["picks"] is not None else base.field_for(header)
        examples = [v.strip() for v in table.column(header) if v.strip()][:3]
        left, middle, right = st.columns([2, 3, 2], vertical_alignment="center")
        left.text(header)
        middle.text(" | ".join(e if len(e) <= 40 else e[:39] + "\u2026" for e in examples) or "(empty)")
        picked = right.selectbox(
            f"Column {column_letter(i)} goes to",
            options,
            index=options.index(current) if current in options else 0,
            format_func=_field_label,
            key=f"{key}.col.{i}",
            label_visibility="collapsed",
        )
        guess = guesses.get(header)
        if guess is not None and guess.field == picked:
            right.caption(f"{CONFIDENCE_WORDS[guess.confidence]}: {guess.reason}.")
        picks[header] = picked
        if picked != NOT_IMPORTED:
            chosen.setdefault(picked, []).append(header)
    started["picks"] = picks
    problems = [
        f"{FIELDS_BY_NAME[name].label} is chosen for {len(headers)} columns; choose one."
        for name, headers in chosen.items()
        if len(headers) > 1
    ]
    columns = {name: headers[0] for name, headers in chosen.items()}
    started["problems"] = problems
    return ColumnMapping({n: columns[n] for n in FIELD_NAMES if n in columns}, _kept_inversion(base, columns)), problems


def _kept_inversion(base: ColumnMapping, columns: dict[str, str]) -> dict[str, dict[str, str]]:
    """A question asking whether the name may be given keeps its answers read the other way while its column stays."""
    header = base.columns.get("anonymous")
    if not base.values.get("anonymous") or header is None or columns.get("anonymous") != header:
        return {}
    return {"anonymous": dict(base.values["anonymous"])} if asks_to_name(header) else {}


def _accept_all(key: str, unmatched: list[UnmatchedValue]) -> None:
    """The "Accept all suggestions" button: each confident suggestion chosen,
    the shown values' choices and the others' alike."""
    accepted = {}
    set_now = set()
    for item in unmatched:
        if item.confident is not None:
            widget = f"{key}.val.{digest(item.field, item.value)}"
            st.session_state[widget] = item.confident
            set_now.add(widget)
            accepted[_value_slot(item.field, item.value)] = item.confident
    st.session_state[f"{key}.accepted"] = accepted
    st.session_state[f"{key}.set_now"] = set_now  # the boxes the next drawing sets (see _value_choices)


def value_editor(
    table: Table,
    mapping: ColumnMapping,
    base: ColumnMapping,
    config: CallConfig,
    key: str,
    viewer: Viewer | None = None,
) -> None:
    """Values of coded columns that name no code, each with a choice of code:
    as chosen for the previous file of the same columns, else as saved with
    the mapping, else the suggestion when it is sure; "Accept all suggestions"
    takes every sure one. Fills `mapping.values`; then the mapping's download."""
    started = _start(table, base, key)
    unmatched = unmatched_values(table, mapping, config)
    kept = started["values"] or {}
    accepted = st.session_state.get(f"{key}.accepted", {})
    value_picks: dict[str, str] = {}
    if unmatched:
        _value_choices(unmatched, mapping, base, config, key, kept, value_picks)
    for item in unmatched[MAX_VALUE_EDITORS:]:  # not shown: only what "Accept all suggestions" took
        code = accepted.get(_value_slot(item.field, item.value))
        if code is not None:
            mapping.values.setdefault(item.field, {})[item.value] = code
    started["values"] = value_picks
    _mapping_download(mapping, started.get("problems", []), config, viewer)


def _value_choices(unmatched, mapping, base, config, key, kept, value_picks) -> None:
    st.header("Values that name no code", anchor=False)
    st.caption(
        "These values in coded columns match no code, label or synonym of the call. Choose the code each one "
        "means (the closest are listed first), or leave it out; the choice is kept with the mapping. A "
        "suggestion that is sure is chosen for you; the others are yours to choose."
    )
    sure = [u for u in unmatched if u.confident is not None]
    st.button(
        f"Accept all suggestions ({len(sure)})",
        key=f"{key}.accept_all",
        disabled=not sure,
        on_click=_accept_all,
        args=(key, unmatched),
        help="Choose the sure suggestion for every value that has one, also those beyond the list below. "
        "Values without a sure suggestion are left for you.",
        icon=":material/done_all:",
    )
    accepted = st.session_state.get(f"{key}.accepted")
    if accepted is not None:
        st.caption(f"{len(accepted)} suggestion{'s' if len(accepted) != 1 else ''} accepted.")
    set_now = st.session_state.get(f"{key}.set_now", set())
    for k, item in enumerate(unmatched[:MAX_VALUE_EDITORS]):
        options, labels = _value_options(item, config)
        slot = _value_slot(item.field, item.value)
        preset = _preset(item, base, kept.get(slot))
        cols = st.columns([2, 3, 3], vertical_alignment="center")
        cols[0].text(FIELDS_BY_NAME[item.field].label)
        rows = ", ".join(str(r) for r in item.rows) + (" \u2026" if item.count > len(item.rows) else "")
        cols[1].text(f"{item.value}\n{item.count} cell{'s' if item.count != 1 else ''} (row {rows})")
        widget = f"{key}.val.{digest(item.field, item.value)}"
        # The box's default is what the server holds (the person's choice, else the preset), so that a
        # browser drawing it afresh shows that, not "(choose a code)"; but not in the run after "Accept all
        # suggestions", which sets it through session state (Streamlit warns about both in one run).
        held = st.session_state.get(widget, preset)
        picked = cols[2].selectbox(
            f"Value {k + 1} means",
            options,
            index=options.index(held) if held in options and widget not in set_now else 0,
            format_func=lambda c, labels=labels: "(leave it out)" if c == LEAVE_OUT else labels.get(c, c),
            key=widget,
            label_visibility="collapsed",
        )
        cols[2].caption(("Suggested, sure: " if item.confident else "No sure suggestion: ") + f"{item.why}.")
        value_picks[slot] = picked
        if picked != CHOOSE:
            mapping.values.setdefault(item.field, {})[item.value] = picked
    st.session_state.pop(f"{key}.set_now", None)  # drawn: later runs draw the boxes with what they hold
    if len(unmatched) > MAX_VALUE_EDITORS:
        st.caption(
            f"{len(unmatched) - MAX_VALUE_EDITORS} more values name no code; they are listed in the problem "
            "table of the preview. Accept all suggestions, map the ones above first, or correct the file."
        )


def _value_options(item: UnmatchedValue, config: CallConfig) -> tuple[list[str], dict[str, str]]:
    """A value's choices (its suggestions first) and their labels."""
    if item.field == "anonymous":
        codes, labels = ["yes", "no"], {"yes": "Yes", "no": "No"}
    else:
        vocab = config.vocabulary(item.field)
        codes = [*item.suggestions, *(c for c in vocab.ids if c not in item.suggestions)]
        labels = vocab.labels()
    return [CHOOSE, *codes, LEAVE_OUT], labels


def _preset(item: UnmatchedValue, base: ColumnMapping, kept: str | None) -> str | None:
    """A value's first choice: as made for the previous file, else as saved, else the sure suggestion."""
    if kept:
        return kept
    saved = base.values.get(item.field, {})
    chosen = next((v for raw, v in saved.items() if raw.casefold() == item.value.casefold()), None)
    return item.confident if chosen is None else chosen


def _mapping_download(mapping: ColumnMapping, problems: list[str], config: CallConfig, viewer: Viewer | None) -> None:
    """The mapping as a file (docs/importing.md, "Mappings as files"), for the command line or the next call."""
    viewer = viewer or auth.current_viewer(context.database())
    if viewer is None:
        return
    content = dump_mapping(mapping).encode("utf-8")

    def mapping_file(session, current: Viewer) -> bytes:  # at the click: the role checked, then logged
        mapping_files_da.record_mapping_download(session, actor=current.username, mapping=mapping, content=content)
        return content

    checked_button(
        "Download this mapping (JSON)",
        mapping_file,
        what="import-mapping",
        file_name=export_filename(config.call_id, "import-mapping", ext="json"),
        mime="application/json",
        key="import.mapping_download",
        viewer=viewer,
        page="import",
        icon=":material/file_download:",
        disabled=bool(problems),
        help="A file to keep, edit or give to `manage.py import-submissions --mapping FILE`.",
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
            "be imported until they are fixed: choose the columns or values above, correct a cell below where a box "
            "is offered (the file is not changed), or correct the file and upload it again.",
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
            "Field": field_label(name),
            "Now": display_value(old),
            "From the file": display_value(new),
        }
        for r in plan.rows_with("update")
        for name, (old, new) in r.changes.items()
    ]
    if updates:
        st.header("What the file changes", anchor=False)
        st.dataframe(pd.DataFrame(updates), hide_index=True, width="stretch")
    if plan.duplicates:
        st.header("Likely duplicates (imported, and flagged for you to decide)", anchor=False)
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
    st.header("Likely duplicates to decide", anchor=False)
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
    st.header("Recent imports", anchor=False)
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
