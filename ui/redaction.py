"""The admin's panel for publishing versions of identity fields that name nobody.

Reviewers never see the identity fields of an anonymous submission (nor, in
blind review, of any): `access.visibility.shown_fields` masks them. Here the
admin may publish, per submission, a version of each (say "A city in the
North West" for the region) that reviewers see instead.
"""

from __future__ import annotations

import streamlit as st

from access.visibility import REDACTABLE_FIELDS, Viewer
from data_access.db import Database
from data_access.submissions import (
    AccessDenied,
    StaleSubmission,
    SubmissionError,
    SubmissionView,
    publish_redactions,
    submission_version,
)
from ui import render

LABELS = {
    "organisation": "Organisation",
    "contact_name": "Contact",
    "contact_email": "Email",
    "region": "Region",
    "links": "Documents and links (one a line)",
}
NOTICE_KEY = "submissions.redactions.notice"


def redaction_panel(db: Database, viewer: Viewer, sub: SubmissionView) -> None:
    """Only for admins (checked here on every run, and again by the data layer)."""
    if not viewer.is_admin or sub.restricted:
        return
    with db.read() as session:
        version = submission_version(session, submission_id=sub.id)
    if version is None:
        return
    render.show_flash(NOTICE_KEY)
    hidden_from = "every reviewer (anonymous submission)" if sub.anonymous else "reviewers when blind review is on"
    with st.expander("Versions for reviewers", icon=":material/visibility_off:"):
        st.caption(
            f"This submission's organisation, contact, region, documents and links are hidden from {hidden_from}. "
            "You can publish a version of each that names nobody; reviewers who may not see the real one see "
            "it instead, marked as published for reviewers. Leave a box empty to publish nothing for it."
        )
        current = sub.redactions
        with st.form(f"redactions.{sub.id}.{version}"):
            typed = {}
            for name in REDACTABLE_FIELDS:
                value = current.get(name)
                if name == "links":
                    typed[name] = st.text_area(
                        LABELS.get(name, name), "\n".join(value or []), key=f"redact.{sub.id}.{version}.{name}"
                    )
                else:
                    typed[name] = st.text_input(
                        LABELS.get(name, name), value or "", key=f"redact.{sub.id}.{version}.{name}"
                    )
            if not st.form_submit_button("Publish to reviewers", type="primary"):
                return
        try:
            with db.write() as session:
                publish_redactions(session, submission_id=sub.id, values=typed, viewer=viewer, expected_version=version)
        except SubmissionError as exc:
            for problem in exc.problems:
                st.error(f"{LABELS.get(problem.field, problem.field)}: {problem.problem} Nothing was published.")
            return
        except StaleSubmission as exc:
            st.error(str(exc))
            return
        except AccessDenied:
            st.error("Only an admin may publish versions for reviewers; nothing was published.")
            return
        render.flash(NOTICE_KEY, "success", "Published: reviewers now see these versions.")
        st.rerun()
