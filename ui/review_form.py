"""The review form: input kept per submission until saved, saving with the
changed-in-another-window check, reopening, and declaring a conflict.

Unsaved input lives in `st.session_state[DRAFTS]`, a dict of plain values per
submission id (UI state only, never an ORM object). Every widget copies its
value there when it changes (an `on_change` callback, which Streamlit runs
even when the person moves to another submission or page in the same click),
and widgets are seeded from there when they appear again (and after a failed
run: `ui.errors`). So input survives reruns, moving between submissions,
visiting other pages and a database outage, until it is saved. Each entry remembers the version of the review it started from; a save
passes it as `expected_version`, so a review changed meanwhile in another tab
is reported with both versions side by side instead of being overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import streamlit as st
from sqlalchemy.exc import DBAPIError

from access.visibility import Viewer
from config import CallConfig, limits
from data_access.assignments import AssignmentError, declare_conflict
from data_access.db import Database, DatabaseUnavailable
from data_access.drafts import clear_autosave
from data_access.reviews import (
    ReviewDraft,
    ReviewError,
    ReviewingClosed,
    ReviewRecord,
    StaleReview,
    reopen_review,
    save_review,
)
from data_access.submissions import AccessDenied
from ui import render, workspace
from ui.errors import failed_runs, failed_since_drawn, kept
from ui.guard import record_refusal, refuse

DRAFTS = "my_reviews.drafts"
FLASH = "my_reviews.flash"  # the outcome of the last action, shown under the buttons until the next one
FLASH_NEW = "my_reviews.flash_new"  # that outcome has not been brought into view yet
INTENT = "my_reviews.intent"  # (action, submission id, failed runs) of the button pressed, until acted on
PAGE_URL = "my_reviews"  # the page the form is on
SAVE_DRAFT, SUBMIT, SUBMIT_NEXT = "draft", "submit", "submit_next"
CANNOT_JUDGE = "cannot_judge"
SCORE_OPTIONS = (1, 2, 3, 4, 5, CANNOT_JUDGE)
NOT_ASSIGNED = "That submission is not assigned to you, so it cannot be opened or saved."


def widget_key(submission_id: int, name: str) -> str:
    return f"review.{submission_id}.{name}"


def _values(record: ReviewRecord | None) -> dict:
    if record is None:
        return {"scores": {}, "comment": "", "recommendation": None, "confidence": None}
    return {
        "scores": dict(record.scores),
        "comment": record.comment,
        "recommendation": record.recommendation,
        "confidence": record.confidence,
    }


def as_draft(values: dict) -> ReviewDraft:
    """The form's values as the draft the data layer saves (scores copied)."""
    return ReviewDraft(
        scores=dict(values["scores"]),
        comment=values["comment"],
        recommendation=values["recommendation"],
        confidence=values["confidence"],
    )


def _fresh(record: ReviewRecord | None) -> dict:
    values = _values(record)
    return {
        "base_version": record.version if record else 0,
        "base": values,
        "values": {**values, "scores": dict(values["scores"])},
        "stale": None,  # the stored review (values, version, status, when) after a refused save
        "intent": None,  # "draft" or "submit": what that save tried
        "seed": True,  # set the widgets from `values` on the next render
    }


def _store() -> dict:
    return st.session_state.setdefault(DRAFTS, {})


def has_unsaved(submission_id: int) -> bool:
    entry = _store().get(submission_id)
    return entry is not None and entry["values"] != entry["base"]


def unsaved_ids() -> set[int]:
    """The submissions with unsaved input (`has_unsaved`), read from the session's state once
    (the queue asks about each of its hundreds of rows on every run)."""
    return {sid for sid, entry in _store().items() if entry["values"] != entry["base"]}


def form_state(submission_id: int, stored: ReviewRecord | None) -> dict:
    """This submission's form state; (re)started from the stored review unless
    the person has unsaved input or an unresolved refused save."""
    entry = _store().get(submission_id)
    version = stored.version if stored else 0
    clean = entry is not None and entry["values"] == entry["base"] and entry["stale"] is None
    if entry is None or (clean and entry["base_version"] != version):
        entry = _store()[submission_id] = _fresh(stored)
    return entry


def forget(submission_id: int) -> None:
    """Drop the form state after a save: the next run starts from the database."""
    _store().pop(submission_id, None)


def flash(kind: str, text: str) -> None:
    """Say the outcome of an action under the buttons. It stays there, across
    the runs that follow (a component reporting, a reload of the cookie),
    until the person acts again on the form or opens another submission
    (`clear_outcome`): a message that vanished on the next run could be gone
    before anyone read it."""
    render.flash(FLASH, kind, text)
    st.session_state[FLASH_NEW] = True


def clear_outcome() -> None:
    """The person acted again (a widget, a button, another submission): the last outcome has been read."""
    st.session_state.pop(FLASH, None)
    st.session_state.pop(FLASH_NEW, None)


def outcome() -> None:
    """The last action's outcome where the buttons are, for a view without them."""
    with st.container(key=workspace.OUTCOME_KEY):
        show_flash(focus=True)


def show_flash(*, focus: bool = False) -> None:
    """The last action's outcome, brought into view (the person just acted here)."""
    message = st.session_state.get(FLASH)
    if message:
        render.notice(*message)
        if st.session_state.pop(FLASH_NEW, False):  # scrolled to once, not at every later run
            workspace.bring_outcome_into_view(focus=focus)


# --- widgets -------------------------------------------------------------------


def _widget_values(values: dict, config: CallConfig, submission_id: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in config.criteria:
        scores = values["scores"]
        out[widget_key(submission_id, c.id)] = (
            (CANNOT_JUDGE if scores[c.id] is None else scores[c.id]) if c.id in scores else None
        )
    out[widget_key(submission_id, "comment")] = values["comment"]
    out[widget_key(submission_id, "recommendation")] = values["recommendation"]
    out[widget_key(submission_id, "confidence")] = values["confidence"]
    return out


# A widget's default is what a browser shows when it draws the widget afresh
# without being told a value. Streamlit tells the browser a value set through
# session state in the run that sets it (and in the next run, if the widget was
# not drawn yet); but a browser can draw the form's widgets afresh later (seen
# after a sign-in by a link: every widget empty while the server held the
# input). So the form's values are also the widgets' defaults, in every run
# but the one that sets them through session state (Streamlit warns about
# both in one run). Keyed widgets keep their identity when the default changes.


def _default_index(values: dict, set_now: set[str], key: str, options: tuple | list) -> int | None:
    value = values[key]
    if key in set_now or value is None or value not in options:
        return None
    return list(options).index(value)


def _default_text(values: dict, set_now: set[str], key: str) -> str:
    return "" if key in set_now else str(values[key] or "")


def _changed(submission_id: int, name: str) -> None:
    """on_change of a form widget: the person acts again (the last outcome is
    read), and the value goes into the form state."""
    clear_outcome()
    _capture(submission_id, name)


def _capture(submission_id: int, name: str) -> None:
    """Copy one widget's value into the form state."""
    entry = _store().get(submission_id)
    key = widget_key(submission_id, name)
    if entry is None or key not in st.session_state:
        return
    value = st.session_state[key]
    if name in ("comment", "recommendation", "confidence"):
        entry["values"][name] = value if name != "comment" else (value or "")
    elif value is None:
        entry["values"]["scores"].pop(name, None)
    else:
        entry["values"]["scores"][name] = None if value == CANNOT_JUDGE else value


def inputs(submission_id: int, entry: dict, config: CallConfig, *, disabled: bool) -> None:
    """The rubric's criteria with their descriptors beside the choices, the
    comment, recommendation and confidence."""
    # Set the widgets from the form state when it starts afresh, and after a
    # failed run (the browser forgot what they held: ui.errors).
    force = entry.pop("seed", False) | failed_since_drawn(f"review.{submission_id}")
    values = _widget_values(entry["values"], config, submission_id)
    set_now = {key for key in values if force or key not in st.session_state}
    for key in set_now:
        st.session_state[key] = values[key]

    def index(name: str, options: tuple | list) -> int | None:
        return _default_index(values, set_now, widget_key(submission_id, name), options)

    for c in config.criteria:  # one under another, each choice with its descriptor beside it
        with st.container(border=True):
            st.radio(
                f"{c.label}: {c.question}",  # plain words: a screen reader would read Markdown's ** aloud
                SCORE_OPTIONS,
                index=index(c.id, SCORE_OPTIONS),
                format_func=lambda o: render.CANNOT_JUDGE_LABEL if o == CANNOT_JUDGE else str(o),
                captions=[*c.descriptors, "Not enough to go on: left out of averages, never a low score."],
                key=widget_key(submission_id, c.id),
                on_change=_changed,
                args=(submission_id, c.id),
                disabled=disabled,
            )
            if c.note:
                st.caption(c.note)
    st.text_area(
        "Comment to the panel (required when a score is 1 or 5)",
        value=_default_text(values, set_now, widget_key(submission_id, "comment")),
        key=widget_key(submission_id, "comment"),
        on_change=_changed,
        args=(submission_id, "comment"),
        disabled=disabled,
        height=140,
        max_chars=limits.REVIEW_COMMENT,
    )
    left, right = st.columns(2)
    for column, name, label, vocab in (
        (left, "recommendation", "Recommendation", config.recommendations),
        (right, "confidence", "Your confidence", config.confidence_levels),
    ):
        column.radio(
            label,
            vocab.ids,
            index=index(name, vocab.ids),
            format_func=vocab.label,
            horizontal=True,
            key=widget_key(submission_id, name),
            on_change=_changed,
            args=(submission_id, name),
            disabled=disabled,
        )
    for name in (*config.criterion_ids, "comment", "recommendation", "confidence"):
        _capture(submission_id, name)


# --- actions -------------------------------------------------------------------


def _pressed(action: str, submission_id: int) -> None:
    """on_click: remember which button, for which submission (the one on screen)."""
    clear_outcome()
    st.session_state[INTENT] = (action, submission_id, failed_runs())


def pressed() -> tuple[str, int] | None:
    """The button pressed and not acted on yet. It stays in the session until
    `actions` acts on it or the run goes elsewhere (`drop_press`): Streamlit
    cuts a run short when the browser asks for another (a component
    reporting, a key pressed while the page redraws), and the next run does
    not carry the click again, so a press read and forgotten at the top of a
    run that was cut before the save would be lost. A click whose run failed
    (the database down, even before the page ran) is dropped, never acted on
    in a later run."""
    intent = st.session_state.get(INTENT)
    if intent is None:
        return None
    if intent[2] != failed_runs():
        drop_press()
        return None
    return intent[0], intent[1]


def keep_press_only_on(url_path: str) -> None:
    """app.py, before running a page: a press made as the person went to
    another page (one click on the button, then the menu) is dropped there."""
    if url_path != PAGE_URL:
        drop_press()


def drop_press() -> None:
    """The press is acted on now, or this run does not show the form it was
    for (another page, the submitted view): it must never act later on its own."""
    st.session_state.pop(INTENT, None)


def actions(
    db: Database,
    viewer: Viewer,
    config: CallConfig,
    submission_id: int,
    entry: dict,
    *,
    closed: bool,
    intent: tuple[str, int] | None,
    assigned: Collection[int],
    then: tuple[str | None, Callable[[str], None]],
    refused: Callable[[], None] | None = None,
) -> None:
    """Save draft, Submit, Submit and next, and right under them the outcome
    (of this run's action, or the last one's, kept across the rerun).

    The buttons' keys are the same for every submission, so the button
    pressed stays in place (and keeps the keyboard's focus) when Submit and
    next opens another submission; each click carries the submission it was
    pressed for, and acts only on that one. `then` is (the next unfinished
    reference or None, a function that opens a reference). A click for a
    submission no longer `assigned` saves nothing, and says so here."""
    row = st.container(horizontal=True)
    for action, label, icon, kind in (
        (SAVE_DRAFT, "Save draft", ":material/save:", "secondary"),
        (SUBMIT, "Submit", ":material/send:", "secondary"),
        (SUBMIT_NEXT, "Submit and next", ":material/skip_next:", "primary"),
    ):
        row.button(
            label,
            icon=icon,
            type=kind,
            disabled=closed,
            key=f"my_reviews.{action}",
            on_click=_pressed,
            args=(action, submission_id),
        )
    with st.container(key=workspace.OUTCOME_KEY):
        show_flash()
        if refused is not None:  # a press already acted on (`early_save`), refused: why
            refused()
            workspace.bring_outcome_into_view()
            return
        if intent is None:
            return
        # Acted on from here. No Streamlit call comes between this and the
        # save's outcome kept in the session, so a cut run cannot lose it.
        drop_press()
        if intent[1] not in assigned:
            st.error(f"Not saved: {NOT_ASSIGNED}", icon=":material/block:")
            workspace.bring_outcome_into_view()
        if intent[1] != submission_id:
            return
        # Saved as any press for this submission; the data layer refuses (and logs) one no longer assigned.
        refused = early_save(
            db, viewer, config, submission_id, entry, intent=intent, assigned=(submission_id,), then=then
        )
        if refused is not None:
            refused()
        workspace.bring_outcome_into_view()  # not saved: the reason is shown here


def save(
    db: Database,
    viewer: Viewer,
    config: CallConfig,
    submission_id: int,
    entry: dict,
    *,
    submit: bool,
    expected: int,
    then: tuple[str | None, Callable[[str], None]] | None = None,
) -> Callable[[], None] | None:
    """Save or submit the form's values; reruns on success (opening the next
    unfinished submission when `then` is given) or when the review changed
    meanwhile. Otherwise returns what says why, for the caller to draw where it
    shows the outcome (under the buttons); a refusal is logged here, at once.
    Nothing is drawn here, so a press can be acted on before the form is drawn
    (`early_save`)."""
    draft = as_draft(entry["values"])
    try:
        with db.write() as session:
            save_review(
                session,
                submission_id=submission_id,
                reviewer_id=viewer.user_id,
                actor=viewer.username,
                draft=draft,
                submit=submit,
                expected_version=expected,
                config=config,
            )
    except AccessDenied as exc:
        record_refusal(
            db, viewer, attempted="save review", entity="submission", entity_id=submission_id, detail=str(exc)
        )
        return lambda: st.error(NOT_ASSIGNED, icon=":material/block:")
    except ReviewingClosed:
        return lambda: st.error(
            "Reviewing is closed: reviews can no longer change. Nothing was saved.", icon=":material/lock:"
        )
    except ReviewError as exc:
        problems = "Not saved: " + " ".join(exc.problems)
        return lambda: st.error(problems, icon=":material/error:")
    except StaleReview as exc:
        current = exc.current
        entry["stale"] = (
            None
            if current is None
            else {**current.as_values(), "version": current.version, "updated_at": current.updated_at}
        )
        entry["intent"] = "submit" if submit else "draft"
        flash(
            "error",
            "Not saved: this review was changed in another window or tab. Nothing was overwritten: "
            "compare the two above, then keep yours or take the saved one.",
        )
        st.rerun()
    forget(submission_id)
    flash("success", _saved_message(submit, then))
    st.rerun()


def early_save(
    db: Database,
    viewer: Viewer,
    config: CallConfig,
    submission_id: int,
    entry: dict,
    *,
    intent: tuple[str, int] | None,
    assigned: Collection[int],
    then: tuple[str | None, Callable[[str], None]],
) -> Callable[[], None] | None:
    """Act on a Save draft / Submit press before anything of the form is drawn
    (issue 21): a save that succeeds reruns the whole page at once, so its run
    of the form draws nothing the page's run draws again. Only a press for the
    submission on screen and assigned (anything else is said under the
    buttons, by `actions`, as before). Returns what `actions` must show under
    the buttons when the save was refused, else None (nothing pressed)."""
    if intent is None or intent[1] != submission_id or intent[1] not in assigned:
        return None
    drop_press()
    action = intent[0]
    try:
        return save(
            db,
            viewer,
            config,
            submission_id,
            entry,
            submit=action != SAVE_DRAFT,
            expected=entry["base_version"],
            then=then if action == SUBMIT_NEXT else None,
        )
    except (DatabaseUnavailable, DBAPIError) as exc:  # raised where the outcome goes, once the form holds the input
        failure = exc

        def again() -> None:
            raise failure

        return again


def _saved_message(submit: bool, then: tuple[str | None, Callable[[str], None]] | None) -> str:
    if not submit:
        return "Draft saved."
    if then is None:
        return "Review submitted."
    following, open_ = then
    if following is None:
        return "Review submitted. That was the last unfinished submission in your queue."
    open_(following)
    return f"Review submitted. Now showing {following}, the next unfinished."


def refuse_save(db: Database, viewer: Viewer, submission_id: int, detail: str) -> None:
    refuse(
        db,
        viewer,
        attempted="save review",
        entity="submission",
        entity_id=submission_id,
        detail=detail,
        message=NOT_ASSIGNED,
    )


def stale_panel(
    db: Database, viewer: Viewer, config: CallConfig, submission_id: int, entry: dict, *, closed: bool
) -> None:
    """Both versions, side by side, after a save found the review changed."""
    stored = entry["stale"]
    when = render.format_when(stored["updated_at"]) if stored else ""
    st.warning(
        "This review was changed in another window or tab since you opened it"
        + (f" (saved {when}, now {'submitted' if stored['status'] == 'submitted' else 'a draft'})." if stored else ".")
        + " Nothing was overwritten. Compare the two versions, then keep yours or take the saved one.",
        icon=":material/sync_problem:",
    )
    mine, theirs = st.columns(2)
    with mine.container(border=True):
        st.markdown("**Your version** (not saved)")
        render.review_values(entry["values"], config)
    with theirs.container(border=True):
        st.markdown("**The saved version**")
        if stored:
            render.review_values(stored, config)
        else:
            st.caption("The saved review no longer exists.")
    keep, take = st.columns(2)
    action = "submit" if entry["intent"] == "submit" else "save"
    if keep.button(f"Keep my version ({action} it)", key=widget_key(submission_id, "keep_mine"), disabled=closed):
        refused = save(
            db,
            viewer,
            config,
            submission_id,
            entry,
            submit=entry["intent"] == "submit",
            expected=stored["version"] if stored else 0,
        )
        if refused is not None:
            refused()
    if take.button("Use the saved version", key=widget_key(submission_id, "take_saved"), disabled=stored is None):
        fresh = _fresh(None)
        values = {k: stored[k] for k in ("scores", "comment", "recommendation", "confidence")}
        fresh.update(base_version=stored["version"], base=values, values={**values, "scores": dict(values["scores"])})
        _store()[submission_id] = fresh
        with db.write() as session:  # their input is given up: ui.autosave must not bring it back
            clear_autosave(session, submission_id=submission_id, reviewer_id=viewer.user_id)
        clear_outcome()  # the refused save's message is answered
        st.rerun()


def reopen(db: Database, viewer: Viewer, submission_id: int, version: int) -> None:
    try:
        with db.write() as session:
            reopen_review(
                session,
                submission_id=submission_id,
                reviewer_id=viewer.user_id,
                actor=viewer.username,
                expected_version=version,
            )
    except AccessDenied as exc:
        refuse_save(db, viewer, submission_id, str(exc))
        return
    except ReviewingClosed:
        st.error("Reviewing is closed: reviews can no longer change.")
        return
    except (ReviewError, StaleReview):
        flash("info", "This review changed in another window; here it is as saved now.")
    else:
        flash("success", "Your review is open again as a draft; submit it again when you are done.")
    forget(submission_id)
    st.rerun()


def conflict_panel(db: Database, viewer: Viewer, submission_id: int, *, closed: bool) -> None:
    with st.expander("Declare a conflict of interest", icon=":material/front_hand:"):
        st.caption(
            "If you know the contributors or have worked on this project, declare a conflict. "
            "Your review ends there: what you saved is not counted, the coordinator assigns "
            "someone else, and you will see nothing more of this submission."
        )
        reason = st.text_input(
            "Reason (optional; seen by the coordinator)",
            max_chars=limits.CONFLICT_REASON,
            key=kept(widget_key(submission_id, "coi")),
        )
        sure = st.checkbox(
            "I have a conflict of interest with this submission", key=kept(widget_key(submission_id, "coi_sure"))
        )
        if st.button("Declare the conflict", key=widget_key(submission_id, "coi_go"), disabled=closed or not sure):
            try:
                with db.write() as session:
                    declare_conflict(
                        session,
                        submission_id=submission_id,
                        reviewer_id=viewer.user_id,
                        actor=viewer.username,
                        source="reviewer",
                        reason=reason,
                    )
            except AccessDenied as exc:
                refuse_save(db, viewer, submission_id, str(exc))
                return
            except AssignmentError as exc:
                render.notice("error", "Not declared:", str(exc))
                return
            forget(submission_id)
            flash("info", "Conflict of interest declared. The coordinator will reassign this submission.")
            st.rerun()
