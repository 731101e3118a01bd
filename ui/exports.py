"""Download buttons for CSV exports, each download written to the audit log.

`export_button` offers an `ExportTable` (`data_access.exports`; the file is
written by `formats.csv_export.to_csv_bytes`); its callback records who
downloaded what (file name, rows, SHA-256) before anything else runs.
`table_download` does the same for a plain DataFrame, such as the table
behind a chart.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from data_access.exports import ExportTable, record_export
from formats.csv_export import export_filename
from ui import context


def _log_download(actor: str, export: ExportTable, content: bytes, via: str) -> None:
    """The download button's callback: the export is in the audit log before anything else runs."""
    with context.database().write() as session:
        record_export(session, actor=actor, table=export, content=content, via=via)


def export_button(
    export: ExportTable, *, label: str, key: str, viewer: Viewer, via: str, primary: bool = False
) -> None:
    content = export.to_csv()
    st.download_button(
        label,
        content,
        file_name=export.filename,
        mime="text/csv",
        key=key,
        on_click=_log_download,
        args=(viewer.username, export, content, via),
        icon=":material/download:",
        type="primary" if primary else "secondary",
    )


def table_download(
    table: pd.DataFrame, *, what: str, key: str, viewer: Viewer, via: str, label: str = "Download the table as CSV"
) -> None:
    """`table` as a CSV named after `what`; its columns are the header."""
    export = ExportTable(
        what=what,
        field_names=[str(c) for c in table.columns],
        rows=table.to_dict("records"),
        filename=export_filename(context.call_config().call_id, what),
    )
    export_button(export, label=label, key=key, viewer=viewer, via=via)
