"""Import submissions (admin): upload, map the columns and values, preview
every problem at once, confirm. A file imports whole or not at all; the
engine is `importing`, the writing `data_access.imports`, the page's steps
`ui.import_page`."""

import streamlit as st

from data_access import imports as imports_da
from documents.bundle_reader import BUNDLE_UPLOAD_MB
from ui import context, import_fixes
from ui import import_page as steps
from ui import import_sync as sync_ui
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
steps.last_import_messages()

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
sha256 = imports_da.sha256_of(content)
file_key = f"{round_}.{ui.digest(sha256)}"
table, header_row = steps.read_upload(content, filename, file_key=file_key, settings=settings)
saved = steps.earlier_imports_notice(db, content)
corrections = import_fixes.kept(sha256)  # made in the preview for these bytes (a re-upload keeps them)

st.header("Columns", anchor=False)
start, base = steps.starting_mapping(table, saved, config, file_key=file_key)
key = f"import.map.{file_key}.{ui.digest(table.sheet, table.header_row, start)}"
mapping, mapping_problems = ui.mapping_editor(table, base, key)
mapping.key = sync_ui.key_picker(table, base, key)
ui.value_editor(table, mapping, base, config, key, viewer=viewer)
steps.save_mapping_form(db, viewer, mapping, start=start, round_=round_, disabled=bool(mapping_problems))
for problem in mapping_problems:
    st.error(problem, icon=":material/error:")
if mapping_problems:
    st.stop()

st.header("Preview", anchor=False)
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
    "sheet": table.sheet,
    "limits": settings.import_limits,
    "header_row": header_row,
    "corrections": corrections,
}
plan = steps.preview_plan(db, common)
import_fixes.summary(plan, sha256=sha256, key=key)
common["corrections"] = plan.corrections  # those that still apply go with the import
ui.preview(plan, config=config, db=db, viewer=viewer)
sync_ui.row_preview(plan)
if not plan.ok:
    import_fixes.fix_in_place(
        plan, table, sha256=sha256, viewer=viewer, key=key, recheck=lambda fixes: steps.recheck(db, common, fixes)
    )
    st.stop()
documents = steps.documents_check(db, plan, bundle_file, settings)
if not (plan.counts["added"] + plan.counts["updated"]) and not plan.duplicates and not documents:
    st.info("Every row is already stored as it is in this file: there is nothing to import.", icon=":material/info:")
    st.stop()
steps.confirm_import(
    db,
    viewer,
    plan,
    common,
    config=config,
    settings=settings,
    bundle_file=bundle_file,
    documents=documents,
    mapping_name=None if start == steps.PROPOSED else start,
    round_=round_,
)
