"""The Import page's steps (pages/import_submissions.py runs them in order):
the messages of the last import, reading the upload (with its sheet), the
mapping to start from and saving it, the ZIP of documents, and the confirmed
import. Each step stops the page run (`st.stop`) when the person must act.
The mapping and value editors themselves are in `ui.importing`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from access.visibility import Viewer
from config import CallConfig, limits
from config.settings import Settings
from data_access import documents as documents_da
from data_access import import_attachments as attachments_da
from data_access import imports as imports_da
from data_access import notify
from data_access.db import Database
from documents.bundle_reader import Bundle
from documents.errors import DocumentRefused
from formats import times
from importing import ColumnMapping, ImportPlan, ImportRefused, Table, best_saved_mapping, propose_mapping, read_table
from ui import import_attachments as ui_attachments
from ui import importing as ui

PROPOSED = "Proposed from this file"


def last_import_messages() -> None:
    """What the last confirmed import did (kept over the rerun that cleared the uploader)."""
    done = st.session_state.pop("import.done", None)
    if done:
        st.success(done, icon=":material/check_circle:")
        st.page_link("pages/submissions.py", label="See the submissions", icon=":material/description:")
    acknowledged = st.session_state.pop("import.acknowledged", None)
    if acknowledged:
        st.caption("Acknowledgements of receipt (queued in the outbox; the Messages page sends them):")
        st.text("\n".join(acknowledged))  # references are contributor text: shown as text


def read_upload(content: bytes, filename: str, *, file_key: str, settings: Settings) -> tuple[Table, int | None]:
    """The uploaded file's table, with a sheet picker for a workbook of several
    sheets and a header-row picker when the header row was guessed (a sparse
    first row that may be a group of headings); an unreadable file is refused
    (the page stops). Also the header row the person picked, if any."""
    sheet = st.session_state.get(f"import.sheet.{file_key}")
    header_key = f"import.header.{file_key}.{ui.digest(sheet)}"
    header_row = st.session_state.get(header_key)
    try:
        table = read_table(
            content,
            filename,
            max_bytes=settings.max_upload_bytes,
            sheet=sheet,
            limits=settings.import_limits,
            header_row=header_row,
        )
        refusal, sheets = None, table.sheets
    except ImportRefused as exc:
        refusal, sheets = exc, exc.sheets
    if len(sheets) > 1:
        st.selectbox("Sheet", sheets, key=f"import.sheet.{file_key}")
    if refusal is not None:
        ui.refused(refusal)
    if table.header_unsure or header_row is not None:
        if header_row is None:
            st.warning(
                f"Row {table.header_choices[0]} fills few columns: it looks like a row of group headings above "
                f"the column names, so row {table.header_row} is read as the header. Check it below.",
                icon=":material/help:",
            )
        choices = list(table.header_choices)
        st.selectbox(
            "Header row (the row that holds the column names)",
            choices,
            index=choices.index(table.header_row) if table.header_row in choices else 0,
            key=header_key,
            help="The rows above it are left out; each row under it is a submission.",
        )
    return table, header_row


def earlier_imports_notice(db: Database, content: bytes) -> dict[str, ColumnMapping]:
    """Says when these exact bytes were imported before; the saved mappings."""
    with db.read() as session:
        saved = imports_da.list_mappings(session)
        earlier = imports_da.previous_imports_of(session, sha256=imports_da.sha256_of(content))
    if earlier:
        st.info(
            f"This exact file was imported before (import {earlier[0].id}, "
            f"{times.when(earlier[0].imported_at)} by {earlier[0].imported_by}). Importing it again changes "
            "only what differs from the stored submissions.",
            icon=":material/history:",
        )
    return saved


def starting_mapping(
    table: Table, saved: dict[str, ColumnMapping], config: CallConfig, *, file_key: str
) -> tuple[str, ColumnMapping]:
    """The mapping the person starts from: proposed from the file, or a saved one (offered first when it fits)."""
    names = [PROPOSED, *saved]
    best = best_saved_mapping(table, saved)
    start = st.selectbox(
        "Start from a mapping",
        names,
        index=names.index(best) if best else 0,
        key=f"import.start.{file_key}",
        help="A saved mapping is offered first when every column it names is in this file.",
    )
    return start, propose_mapping(table, config) if start == PROPOSED else saved[start]


def save_mapping_form(
    db: Database, viewer: Viewer, mapping: ColumnMapping, *, start: str, round_: int, disabled: bool
) -> None:
    with st.expander("Save this mapping for the next file", icon=":material/save:"):
        name = st.text_input(
            "Name",
            value="" if start == PROPOSED else start,
            max_chars=limits.MAPPING_NAME,
            key=f"import.mapping_name.{round_}",
        )
        if st.button("Save mapping", key="import.save_mapping", disabled=disabled):
            try:
                with db.write() as session:
                    imports_da.save_mapping(session, name=name, mapping=mapping, actor=viewer.username)
            except imports_da.MappingError as exc:
                st.error(str(exc))
            else:
                st.success("Mapping saved. It will be offered for the next file with these columns.")


def preview_plan(db: Database, common: dict[str, Any]) -> ImportPlan:
    """The plan of the file, with a progress bar; an unreadable file is refused (the page stops)."""
    report, clear = ui.progress_bar("Checking the file")
    try:
        with db.read() as session:
            plan = imports_da.preview_import(session, **common, progress=report)
    except ImportRefused as exc:
        clear()
        ui.refused(exc)
    clear()
    return plan


def recheck(db: Database, common: dict[str, Any], corrections: list) -> ImportPlan:
    """The plan of the file read through other corrections (the Import page's "Check and use")."""
    with db.read() as session:
        return imports_da.preview_import(session, **{**common, "corrections": corrections})


def documents_check(db: Database, plan: ImportPlan, bundle_file: Any, settings: Settings) -> int:
    """Checks the ZIP of documents against the plan (once per plan and ZIP); the
    number of documents it would attach. The page stops on any refused file."""
    if bundle_file is None:
        return 0
    report_key = f"{plan.fingerprint}.{bundle_file.file_id}"
    cached = st.session_state.get("import.bundle_report")
    if cached is None or cached[0] != report_key:
        try:
            with st.spinner("Checking each document in the ZIP"), Bundle(bundle_file) as bundle, db.read() as session:
                report = attachments_da.preview_attachments(session, plan, bundle, limits=settings.document_limits)
        except DocumentRefused as exc:
            ui.refused(exc)
        st.session_state["import.bundle_report"] = cached = (report_key, report)
    ui_attachments.preview(cached[1])
    if not cached[1].ok:
        st.stop()
    return cached[1].counts()["documents"]


def confirm_import(
    db: Database,
    viewer: Viewer,
    plan: ImportPlan,
    common: dict[str, Any],
    *,
    config: CallConfig,
    settings: Settings,
    bundle_file: Any,
    documents: int,
    mapping_name: str | None,
    round_: int,
) -> None:
    """The confirm button: imports the whole file (and its documents) in one
    unit of work, or nothing with the reason; then starts a new round."""
    label = f"Import: add {plan.counts['added']}, update {plan.counts['updated']}" + (
        f", attach {documents} documents" if documents else ""
    )
    acknowledge = st.checkbox(
        "Send each new submission's contact an acknowledgement of receipt",
        key="import.acknowledge",
        help="One message per added submission with a contact address, queued in the outbox with the import "
        "(template contributor.acknowledgement). Addresses that cannot be written to are listed, not queued.",
    )
    if not st.button(label, type="primary", icon=":material/upload:", key="import.confirm"):
        return
    report, clear = ui.progress_bar("Importing")
    arguments = {
        **common,
        "actor": viewer.username,
        "actor_id": viewer.user_id,
        "mapping_name": mapping_name,
        "expected_fingerprint": plan.fingerprint,
        "progress": report,
    }
    attached = acks = None
    try:
        with db.write() as session:
            if bundle_file is None:
                result = imports_da.apply_import(session, **arguments)
            else:
                with Bundle(bundle_file) as bundle:
                    result, attached = attachments_da.apply_import_with_attachments(
                        session, bundle=bundle, document_limits=settings.document_limits, attach_as=viewer, **arguments
                    )
            if acknowledge:  # in the import's unit of work: a template that fails imports nothing
                acks = notify.acknowledge_import(session, result=result, config=config, actor=viewer.username)
    except attachments_da.AttachmentsRefused as exc:
        clear()
        ui_attachments.refused(exc.report)
        st.stop()
    except documents_da.DocumentDenied as exc:  # no longer an active admin: logged, nothing written
        clear()
        with db.write() as session:
            documents_da.record_refusal(session, viewer=viewer, error=exc)
        ui.refused(exc)
    except (
        imports_da.ImportHasProblems,
        imports_da.CorrectionsNoLongerApply,
        imports_da.StalePreview,
        ImportRefused,
        DocumentRefused,
        notify.NotifyError,
    ) as exc:
        clear()
        ui.refused(exc)
    counts = result.counts
    with_documents = f", {attached.counts()['documents']} documents attached" if attached else ""
    st.session_state["import.done"] = (
        f"Imported (import {result.batch_id}): {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['skipped_blank']} blank rows skipped, "
        f"{counts['flags']} likely duplicates flagged{with_documents}."
    )
    st.session_state["import.acknowledged"] = acks.lines() if acks is not None else None
    st.session_state["import.round"] = round_ + 1
    st.session_state.pop("import.preview", None)
    st.session_state.pop("import.bundle_report", None)
    st.session_state.pop("import.corrections", None)  # they went with the import (ui.import_fixes.KEPT)
    st.rerun()
