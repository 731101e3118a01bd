"""The Import page's documents ZIP: its preview (matched files per row,
unmatched files, rows without files, ambiguous and refused entries, refused
documents) and its refusal.

File names are the sender's text: they are shown in dataframe cells or with
`st.text`, never in Markdown, labels or captions.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from documents.bundle_reader import BundleReport, kind_words

SIZE_COLUMN = "Size (KB)"


def preview(report: BundleReport) -> None:
    """What the ZIP would attach, what it leaves out, and why it refuses the import (if it does)."""
    st.header("Documents", anchor=False)
    counts = report.counts()
    match = report.match
    st.caption(
        f"{len(match.matched)} files matched to rows; {counts['documents']} to attach "
        f"({counts['documents_bytes'] / (1024 * 1024):.1f} MB), {counts['documents_already_attached']} already "
        f"attached; {len(match.unmatched_files)} unmatched files; {len(match.rows_without_files)} rows without files."
    )
    found = {(doc.reference, doc.entry): doc for doc in report.documents}
    rows = []
    for reference, entry in match.matched:
        doc = found.get((reference, entry))
        rows.append(
            {
                "Reference": reference,
                "File": entry,
                "Kind": "" if doc is None or doc.already_attached else kind_words(doc.kind),
                SIZE_COLUMN: None if doc is None else round(doc.size / 1024, 1),
                "Note": "already attached: left as it is" if doc is not None and doc.already_attached else "",
            }
        )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="import.documents")
    warnings = report.warnings()
    if warnings:
        st.warning(
            "Warnings (they do not stop the import): files no row claims are not attached; rows without files "
            "are imported without documents.",
            icon=":material/warning:",
        )
        st.dataframe(pd.DataFrame({"Warning": warnings}), hide_index=True, width="stretch")
    if not report.ok:
        refused(report)


def refused(report: BundleReport) -> None:
    """The whole import is refused: every reason."""
    reasons = report.reasons()
    st.error(
        f"The documents ZIP has {len(reasons)} problem{'s' if len(reasons) != 1 else ''}: nothing will be "
        "imported, neither the submissions nor any document, until they are put right (make the ZIP again, or "
        "correct the file-name column). Why:",
        icon=":material/block:",
    )
    st.dataframe(pd.DataFrame({"Problem": reasons}), hide_index=True, width="stretch", key="import.document_problems")
