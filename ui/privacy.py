"""The admin's "erase this submission" panel on the Submissions page."""

from __future__ import annotations

import streamlit as st

from access.visibility import Viewer
from config import limits
from data_access.db import Database
from data_access.privacy import ERASURE_REASONS, ErasureError, erase_submission
from ui import submission_url

NOTICE_KEY = "submissions.erased"


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice, icon=":material/delete_forever:")


def erase_panel(db: Database, viewer: Viewer, *, submission_id: int, reference: str) -> None:
    """Only for admins (checked here, on the server, on every run)."""
    if not viewer.is_admin:
        return
    with st.expander("Erase this submission", icon=":material/delete_forever:"):
        st.caption(
            "Erasing removes the submission, its reviews, assignments, conflicts, line-up places and evidence "
            "documents, empties the "
            "stored original file it was imported from, and removes its details from the audit log. The audit log "
            "keeps only that it was erased, when, by whom and why. This cannot be undone."
        )
        reason = st.selectbox(
            "Why",
            list(ERASURE_REASONS),
            format_func=lambda k: ERASURE_REASONS[k].capitalize(),
            key=f"erase.reason.{submission_id}",
        )
        typed = st.text_input(
            f"Type {reference} to confirm", max_chars=limits.CONFIRMATION, key=f"erase.confirm.{submission_id}"
        )
        if st.button("Erase for good", type="primary", key=f"erase.go.{submission_id}"):
            if typed.strip() != reference:
                st.error("Type the reference exactly to confirm; nothing was erased.")
                st.text(f"The reference: {reference}")  # a reference may hold Markdown's underscores
                return
            try:
                with db.write() as session:
                    report = erase_submission(
                        session, submission_id=submission_id, actor=viewer.username, reason=reason
                    )
            except ErasureError as exc:
                st.error(str(exc))
                return
            st.session_state[NOTICE_KEY] = (
                f"{report.reference} was erased, with {report.reviews} reviews and {report.assignments} "
                f"assignments; {report.documents} evidence document(s) deleted; {report.import_files_emptied} stored "
                "import file(s) emptied."
            )
            submission_url.close_reference()
            st.rerun()
