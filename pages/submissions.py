"""Submissions: a searchable, filterable table and a detail view.

What a viewer sees comes from `data_access.submissions`, already limited to
what their role may see (a reviewer: their assignments; identities masked).
"""

import streamlit as st

from config import MULTI_VALUED, SINGLE_VALUED, limits
from data_access.reviews import reviews_of_submission
from data_access.submissions import (
    AccessDenied,
    SubmissionFilter,
    get_submission,
    list_submissions,
    submission_id_for_reference,
)
from ui import context, discussion, documents, render, review_changes, submission_list, submission_url
from ui import decisions as decisions_ui
from ui.document_search import document_hits, show_document_hits
from ui.guard import log_detail_view, require_page
from ui.import_history import history_panel
from ui.paging import page_of
from ui.privacy import erase_panel, show_notice
from ui.redaction import redaction_panel
from ui.tables import COLUMNS, HEADERS, submission_table

viewer = require_page("submissions")
config = context.call_config()
db = context.database()

st.title("Submissions", anchor=False)
show_notice()
if viewer.is_reviewer:
    st.caption(
        "The submissions assigned to you."
        + (" Blind review: contributors' identities are hidden." if config.blind_review else "")
    )

search = st.text_input(
    "Search",
    placeholder="Reference, title, summary, region, organisation or the text of its documents",
    max_chars=limits.SEARCH,
    key="submissions.search",
)
with st.expander("Filters", icon=":material/filter_list:"):
    chosen: dict[str, tuple[str, ...]] = {}
    cols = st.columns(3)
    for i, name in enumerate((*MULTI_VALUED, *SINGLE_VALUED)):
        vocab = config.vocabulary(name)
        chosen[name] = tuple(
            cols[i % 3].multiselect(HEADERS[name], vocab.ids, format_func=vocab.label, key=f"submissions.filter.{name}")
        )
    anonymous = None
    if not viewer.is_reviewer:
        choice = st.radio(
            "Anonymous", ["All", "Anonymous only", "Named only"], horizontal=True, key="submissions.filter.anonymous"
        )
        anonymous = {"All": None, "Anonymous only": True, "Named only": False}[choice]

flt = SubmissionFilter(search=search, anonymous=anonymous, **chosen)
hits = document_hits(db, viewer, search)
every = None if viewer.is_reviewer else submission_list.every_submission(db)  # read once per change, shared
with db.read() as session:
    frame = list_submissions(session, viewer=viewer, config=config, flt=flt, every=every)

st.caption(f"{len(frame)} submission{'s' if len(frame) != 1 else ''}. Select a row to read it.")
columns = ["reference", "title", "organisation", "themes", "exploitation_types", "nation", "stage", "reported_impact"]
columns += ["received_at"]  # times, shown as UK days: sorting the column sorts by date (ui.tables.COLUMNS)
shown, key = page_of(frame, "submissions.table", flt)  # only one page of rows goes to the browser
changed = review_changes.changed(db, viewer)  # "Changed since your review" / "since a review": field names
shown_table = submission_table(shown, config, columns)
if changed:
    shown_table[review_changes.column_name(viewer)] = review_changes.marks(shown["id"], changed)
event = st.dataframe(
    shown_table,
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key=key,
    width="stretch",
    column_config=COLUMNS,
)

show_document_hits(hits, frame["id"])

picked = shown.iloc[event.selection.rows[0]]["reference"] if event.selection.rows else None
selected_ref = submission_url.open_reference(picked)

if selected_ref:
    st.divider()
    if st.button("Close", icon=":material/close:", key="submissions.close"):
        submission_url.close_reference()
        st.rerun()
    if not submission_url.plausible_reference(selected_ref):
        submission_url.refuse_reference(db, viewer, selected_ref, "not a reference")
        st.stop()
    try:
        with db.read() as session:
            sub_id = submission_id_for_reference(session, selected_ref)
            if sub_id is None:
                raise AccessDenied("unknown reference")
            sub = get_submission(session, submission_id=sub_id, viewer=viewer, config=config)
    except AccessDenied as exc:
        submission_url.refuse_reference(db, viewer, selected_ref, str(exc))
        st.stop()
    log_detail_view(db, viewer, sub)
    if not sub.restricted:
        review_changes.notice(changed.get(sub.id), viewer)
    render.submission_detail(sub, config, viewer_role=viewer.role)
    documents.section(db, viewer, sub, page="submissions")
    redaction_panel(db, viewer, sub)
    history_panel(db, viewer, submission_id=sub.id)
    erase_panel(db, viewer, submission_id=sub.id, reference=sub.reference)
    if not sub.restricted:
        with db.read() as session:
            reviews = reviews_of_submission(
                session, submission_id=sub.id, viewer_role=viewer.role, viewer_id=viewer.user_id
            )
        render.reviews_section(reviews, config, viewer_role=viewer.role)
        discussion.section(db, viewer, sub.id, key="submissions")
        decisions_ui.decision_panel(db, viewer, sub.id, key="submissions")  # staff only: the panel's decision
        if viewer.is_reviewer:
            st.page_link(
                "pages/my_reviews.py",
                label="Review it in My reviews",
                icon=":material/rate_review:",
                query_params={"submission": sub.reference},
            )
