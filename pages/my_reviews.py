"""My reviews (reviewer): progress, the queue of one's own assignments, and
the submission beside the review form.

Input is kept per submission until saved (`ui.review_form`); the queue's
table, the picker, Previous / Next, Submit and next and `?submission=REF`
choose what is open (`ui.review_queue`). Everything read or saved goes
through the data layer's access checks.
"""

import streamlit as st

from data_access.call_state import reviewing_closed
from data_access.reviews import get_own_review, reviews_of_submission
from data_access.submissions import AccessDenied, get_submission, reviewer_access_to
from ui import (
    autosave,
    context,
    discussion,
    documents,
    render,
    review_changes,
    review_form,
    review_queue,
    streamlit_adapter,
    workspace,
)
from ui.guard import log_detail_view, recheck_in_fragment, require_page, safe_fragment


@safe_fragment
def _form(
    db,
    viewer,
    config,
    submission_id: int,
    own,
    changed_fields,
    *,
    closed: bool,
    assigned: set[int],
    then,
    unsaved_drawn: bool,
) -> None:
    """The review form. A click in it (a score, a choice, a button) reruns only
    this, not the queue, the submission and the menu; its arguments are those
    of the last run of the whole page. So at its own runs it asks the page's
    gate again, and reads the review and whether reviewing is open afresh; a
    change the rest of the page shows (the queue's "unsaved changes", a save)
    runs the whole page again."""
    if streamlit_adapter.fragment_run():
        if review_form.pressed() is None and review_form.has_unsaved(submission_id) != unsaved_drawn:
            # A change (taken in by its widget's on_change) turns the form unsaved or saved: the queue
            # shows it, so the whole page runs now, before the form is drawn here for nothing.
            st.rerun(scope="app")
        fresh: dict = {}

        def still() -> bool:
            with db.read() as session:
                allowed, _ = reviewer_access_to(session, reviewer_id=viewer.user_id, submission_id=submission_id)
                if not allowed or reviewing_closed(session):
                    return False
                fresh["own"] = get_own_review(session, submission_id=submission_id, reviewer_id=viewer.user_id)
            return True

        recheck_in_fragment("my_reviews", viewer, still)
        own = fresh["own"]
    intent = review_form.pressed()
    entry = review_form.form_state(submission_id, own)
    autosave.restore(db, viewer, submission_id, entry)
    submitted = own is not None and own.status == "submitted"
    dirty = entry["values"] != entry["base"]
    refused = None
    if not (submitted and not dirty and entry["stale"] is None):  # the buttons are shown: a press acts first
        refused = review_form.early_save(
            db, viewer, config, submission_id, entry, intent=intent, assigned=assigned, then=then
        )
        intent = None if refused is not None else intent
    st.header("Your review")
    review_changes.notice(changed_fields, viewer)
    if entry["stale"] is not None:
        review_form.stale_panel(db, viewer, config, submission_id, entry, closed=closed)

    if submitted and not dirty and entry["stale"] is None:
        review_form.drop_press()  # its buttons are not shown: a press meant for the form acts never
        st.success(
            f"Submitted {render.format_when(own.submitted_at)}. You can now read the other reviews below.",
            icon=":material/task_alt:",
        )
        render.review_values(own.as_values(), config)
        if not closed and st.button(
            "Reopen to change it", icon=":material/edit:", key=review_form.widget_key(submission_id, "reopen")
        ):
            review_form.reopen(db, viewer, submission_id, own.version)
        review_form.outcome()
    else:
        saved = f"Draft saved {render.format_when(own.updated_at)}." if own else "Not saved yet."
        st.caption(saved + (" You have unsaved changes." if dirty else ""))
        review_form.inputs(submission_id, entry, config, disabled=closed)
        autosave.keep(db, viewer, config, submission_id, entry, closed=closed)
        review_form.actions(
            db,
            viewer,
            config,
            submission_id,
            entry,
            closed=closed,
            intent=intent,
            assigned=assigned,
            then=then,
            refused=refused,
        )
        review_form.conflict_panel(db, viewer, submission_id, closed=closed)
    if streamlit_adapter.fragment_run() and review_form.has_unsaved(submission_id) != unsaved_drawn:
        st.rerun(scope="app")  # the queue's "unsaved changes" and the next unfinished follow


viewer = require_page("my_reviews")
config = context.call_config()
db = context.database()

st.title("My reviews")
queue, closed = review_queue.load(db, viewer)
if closed:
    st.info("Reviewing is closed: you can read your reviews, but they can no longer change.", icon=":material/lock:")
if queue.empty:
    st.info("Nothing is assigned to you yet. The coordinator will assign submissions to you.")
    review_form.drop_press()
    st.stop()

changed = review_changes.changed(db, viewer)  # "Changed since your review": submission id -> fields
reference = review_queue.choose(db, viewer, queue, config, changed=changed)
submission_id = int(queue["submission_id"].iat[queue["reference"].tolist().index(reference)])

try:
    with db.read() as session:
        sub = get_submission(session, submission_id=submission_id, viewer=viewer, config=config)
        own = get_own_review(session, submission_id=submission_id, reviewer_id=viewer.user_id)
        reviews = reviews_of_submission(
            session, submission_id=submission_id, viewer_role=viewer.role, viewer_id=viewer.user_id
        )
except AccessDenied as exc:
    review_form.drop_press()
    review_form.refuse_save(db, viewer, submission_id, str(exc))
    st.stop()

log_detail_view(db, viewer, sub)
if sub.restricted:
    review_form.drop_press()
    review_form.show_flash()
    render.submission_detail(sub, config, viewer_role=viewer.role)
    st.stop()

# Side by side on a wide screen (stacked on a phone): the submission scrolls
# in its own box, so the form beside it stays in view.
workspace.style()
reading, scoring = st.columns([1, 1], gap="medium")
with reading, st.container(border=True, key=workspace.SUBMISSION_KEY):
    render.submission_detail(sub, config, viewer_role=viewer.role)
    documents.section(db, viewer, sub, page="my_reviews")

with scoring, st.container(key="my_reviews.form"):
    _form(
        db,
        viewer,
        config,
        submission_id,
        own,
        changed.get(submission_id),
        closed=closed,
        assigned={int(sid) for sid in queue["submission_id"].tolist()},
        then=(review_queue.next_unfinished(queue, reference), review_queue.go),
        unsaved_drawn=review_form.has_unsaved(submission_id),
    )
submitted = own is not None and own.status == "submitted"

st.header("Other reviews")
others = [r for r in reviews if not r.own]
if not submitted:
    st.caption("The other reviews of this submission appear here once you have submitted yours.")
elif not others:
    st.caption("No other review of this submission has been submitted yet.")
render.review_cards(others, config)
discussion.section(db, viewer, submission_id, key="my_reviews")
