"""Import submissions (admin): upload, map the columns and values, preview
every problem at once, confirm. A file imports whole or not at all; the
engine is `importing`, the writing `data_access.imports`."""

import streamlit as st

from config import limits
from data_access import documents as documents_da
from data_access import import_attachments as attachments_da
from data_access import imports as imports_da
from data_access import notify
from documents.bundle_reader import BUNDLE_UPLOAD_MB, Bundle
from documents.errors import DocumentRefused
from importing import ImportRefused, best_saved_mapping, propose_mapping, read_table
from ui import context
from ui import import_attachments as ui_attachments
from ui import importing as ui
from ui.document_search import similar_panel
from ui.guard import require_page

viewer = require_page("import")
config = context.call_config()
settings = context.settings()
db = context.database()

st.title("Import", anchor=False)
st.caption(
    f"A CSV file or an Excel workbook (.xlsx) of up to {settings.max_upload_mb} MB: the server refuses larger "
    "files (the limit is a deployment setting: ask the call's administrator to raise it). Nothing is written "
    "until you confirm a preview without problems, and then the whole file is imported in one go, or nothing."
)
ui.template_downloads(config, viewer)

done = st.session_state.pop("import.done", None)
if done:
    st.success(done, icon=":material/check_circle:")
    st.page_link("pages/submissions.py", label="See the submissions", icon=":material/description:")
acknowledged = st.session_state.pop("import.acknowledged", None)
if acknowledged:
    st.caption("Acknowledgements of receipt (queued in the outbox; the Messages page sends them):")
    st.text("\n".join(acknowledged))  # references are contributor text: shown as text

round_ = st.session_state.setdefault("import.round", 0)
uploaded = st.file_uploader(
    "Spreadsheet to import (CSV or XLSX)", key=f"import.file.{round_}", max_upload_size=settings.max_upload_mb
)
bundle_file = st.file_uploader(
    "Documents for these rows (a ZIP, optional)",
    type=["zip"],
    key=f"import.bundle.{round_}",
    max_upload_size=BUNDLE_UPLOAD_MB,
    help="Each file in a folder named after its row's reference (CFE-0001/report.pdf), or named in the "
    "file-name (links) column. Nothing is imported if any file is refused.",
)
if uploaded is None:
    similar_panel(db, viewer)
    ui.duplicate_decisions(db, viewer)
    ui.recent_imports(db, viewer)
    st.stop()

content, filename = uploaded.getvalue(), uploaded.name
file_key = f"{round_}.{ui.digest(imports_da.sha256_of(content))}"
try:
    table = read_table(
        content,
        filename,
        max_bytes=settings.max_upload_bytes,
        sheet=st.session_state.get(f"import.sheet.{file_key}"),
        limits=settings.import_limits,
    )
    refusal, sheets = None, table.sheets
except ImportRefused as exc:
    refusal, sheets = exc, exc.sheets
if len(sheets) > 1:
    st.selectbox("Sheet", sheets, key=f"import.sheet.{file_key}")
if refusal is not None:
    ui.refused(refusal)
sheet = table.sheet
with db.read() as session:
    saved = imports_da.list_mappings(session)
    earlier = imports_da.previous_imports_of(session, sha256=imports_da.sha256_of(content))
if earlier:
    st.info(
        f"This exact file was imported before (import {earlier[0].id}, {earlier[0].imported_at:%d %b %Y %H:%M} "
        f"by {earlier[0].imported_by}). Importing it again changes only what differs from the stored submissions.",
        icon=":material/history:",
    )

st.subheader("Columns", anchor=False)
proposed = "Proposed from this file"
names = [proposed, *saved]
best = best_saved_mapping(table, saved)
start = st.selectbox(
    "Start from a mapping",
    names,
    index=names.index(best) if best else 0,
    key=f"import.start.{file_key}",
    help="A saved mapping is offered first when every column it names is in this file.",
)
base = propose_mapping(table, config) if start == proposed else saved[start]
key = f"import.map.{file_key}.{ui.digest(sheet, start)}"
mapping, mapping_problems = ui.mapping_editor(table, base, key)
ui.value_editor(table, mapping, base, config, key)

with st.expander("Save this mapping for the next file", icon=":material/save:"):
    name = st.text_input(
        "Name",
        value="" if start == proposed else start,
        max_chars=limits.MAPPING_NAME,
        key=f"import.mapping_name.{round_}",
    )
    if st.button("Save mapping", key="import.save_mapping", disabled=bool(mapping_problems)):
        try:
            with db.write() as session:
                imports_da.save_mapping(session, name=name, mapping=mapping, actor=viewer.username)
        except imports_da.MappingError as exc:
            st.error(str(exc))
        else:
            st.success("Mapping saved. It will be offered for the next file with these columns.")

for problem in mapping_problems:
    st.error(problem, icon=":material/error:")
if mapping_problems:
    st.stop()

st.subheader("Preview", anchor=False)
if st.button("Preview the import", type="primary", key="import.preview_button"):
    st.session_state["import.preview"] = file_key
if st.session_state.get("import.preview") != file_key:
    st.caption("Nothing is written by a preview. Once shown, it follows your changes to the mapping.")
    st.stop()

common = {
    "content": content,
    "filename": filename,
    "mapping": mapping,
    "config": config,
    "max_bytes": settings.max_upload_bytes,
    "sheet": sheet,
    "limits": settings.import_limits,
}
report, clear = ui.progress_bar("Checking the file")
try:
    with db.read() as session:
        plan = imports_da.preview_import(session, **common, progress=report)
except ImportRefused as exc:
    clear()
    ui.refused(exc)
clear()
ui.preview(plan, config=config, db=db, viewer=viewer)
if not plan.ok:
    st.stop()
documents = 0
if bundle_file is not None:
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
    documents = cached[1].counts()["documents"]
to_write = plan.counts["added"] + plan.counts["updated"]
if not to_write and not plan.duplicates and not documents:
    st.info("Every row is already stored as it is in this file: there is nothing to import.", icon=":material/info:")
    st.stop()

label = f"Import: add {plan.counts['added']}, update {plan.counts['updated']}" + (
    f", attach {documents} documents" if documents else ""
)
acknowledge = st.checkbox(
    "Send each new submission's contact an acknowledgement of receipt",
    key="import.acknowledge",
    help="One message per added submission with a contact address, queued in the outbox with the import "
    "(template contributor.acknowledgement). Addresses that cannot be written to are listed, not queued.",
)
if st.button(label, type="primary", icon=":material/upload:", key="import.confirm"):
    report, clear = ui.progress_bar("Importing")
    arguments = {
        **common,
        "actor": viewer.username,
        "actor_id": viewer.user_id,
        "mapping_name": None if start == proposed else start,
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
    st.rerun()
