"""Never lose a word: the review form's unsaved input, kept on the server as the reviewer works.

Two hooks, each one line in pages/my_reviews.py:

* `restore` when the form's state is fresh (`ui.review_form.form_state`): a
  reviewer who reloaded, closed the tab, signed out or came from another
  device finds the input they had not saved (`data_access.drafts`), with the
  version of the review it started from, so that saving it still meets the
  changed-in-another-window check. Input already in this browser session is
  newer, and wins.
* `keep` after the form's widgets: every change (a score, a choice, and the
  comment about `TYPING_IDLE_MS` after the typing stops) is autosaved, at
  most once per change, and a quiet line says when ("Draft saved
  automatically at 19:02").

A text area tells the server its value only on blur or Ctrl+Enter, so the
comment as it is typed is reported by a small `st.components.v2` component
(`_TYPED_JS`): script of ours, constant, that listens to that text area's
input events and, after a pause, sends its value to Python as component
state. The text travels as data (the JSON state), never as markup, and is
checked here like any widget value (a string, within the comment's limit)
before it reaches the form; the data layer checks it again. The component is
given only the text area's container class, which we make from our own key.

An autosave is refused like a save (not assigned, in conflict, reviewing
closed, values a draft may not hold, the review submitted meanwhile), and
none of that changes the review: the status line says why.
"""

from __future__ import annotations

import re

import streamlit as st

from access.visibility import Viewer
from config import CallConfig, limits
from data_access.db import Database, DatabaseUnavailable
from data_access.drafts import autosave_review, get_autosave
from data_access.reviews import ReviewError, ReviewingClosed, StaleReview
from data_access.submissions import AccessDenied
from formats import times
from ui.guard import refuse
from ui.review_form import NOT_ASSIGNED, as_draft, widget_key

TYPING_IDLE_MS = 1200
KEPT = "autosave"  # in a form state entry: what was last kept (values, when, refused or not)

_TYPED_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  const selector = "." + CSS.escape(String(data.container)) + " textarea";
  const wait = Number(data.wait_ms) || 1200;
  let timer = null;
  let last = null;
  const report = () => {
    timer = null;
    const area = document.querySelector(selector);
    if (!area || area.value === last) return;
    last = area.value;
    setStateValue("typed", { text: area.value, at: Date.now() });
  };
  const onInput = (event) => {
    if (!(event.target instanceof HTMLTextAreaElement) || !event.target.matches(selector)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(report, wait);
  };
  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      report();
    }
  };
  // Leaving the text area (it reports its own value then) or the page: report at once.
  const onLeave = (event) => {
    if (event.target instanceof HTMLTextAreaElement && event.target.matches(selector)) flush();
  };
  document.addEventListener("input", onInput, true);
  document.addEventListener("focusout", onLeave, true);
  window.addEventListener("pagehide", flush);
  return () => {
    document.removeEventListener("input", onInput, true);
    document.removeEventListener("focusout", onLeave, true);
    window.removeEventListener("pagehide", flush);
    if (timer) clearTimeout(timer);
  };
}
"""

_typed_component = st.components.v2.component("evidence_review.typed_comment", js=_TYPED_JS)


def _copy(values: dict) -> dict:
    return {**values, "scores": dict(values["scores"])}


def container_class(key: str) -> str:
    """The class Streamlit gives the element of a widget with this key (`st-key-` and the key, made safe)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def restore(db: Database, viewer: Viewer, submission_id: int, entry: dict) -> None:
    """Once per form state: bring back the input autosaved on the server, unless
    this session holds input of its own (newer) or an unresolved refused save."""
    if KEPT in entry:
        return
    entry[KEPT] = {"values": _copy(entry["values"]), "at": None, "problem": None, "restored": False}
    if entry["values"] != entry["base"] or entry["stale"] is not None:
        return
    with db.read() as session:
        kept = get_autosave(session, submission_id=submission_id, reviewer_id=viewer.user_id)
    if kept is None or (kept.as_values() == entry["base"] and kept.base_version == entry["base_version"]):
        return
    entry.update(values=kept.as_values(), base_version=kept.base_version, seed=True)
    entry[KEPT] = {"values": kept.as_values(), "at": kept.saved_at, "problem": None, "restored": True}


def _reported() -> None:
    """on_typed_change: the rerun itself applies the value (`_typed`), after the widgets."""


def _typed(submission_id: int) -> str | None:
    """Mount the reporter; the comment as typed when it reported since the last run, else None."""
    key = widget_key(submission_id, "typed")
    seen_key = widget_key(submission_id, "typed_seen")
    result = _typed_component(
        key=key,
        data={"container": container_class(widget_key(submission_id, "comment")), "wait_ms": TYPING_IDLE_MS},
        on_typed_change=_reported,
    )
    report = result.get("typed")
    if not isinstance(report, dict) or report == st.session_state.get(seen_key):
        return None
    st.session_state[seen_key] = report
    text = report.get("text")
    if not isinstance(text, str) or len(text) > limits.REVIEW_COMMENT:
        return None  # not something the text area can hold: ignored
    return text


def _take_typed(submission_id: int, entry: dict, kept: dict) -> None:
    """The comment as typed is newer than the text area's value until the text
    area itself reports again (on blur, when the reporter reports too); the
    form's widgets copy their values on every run, so it is applied again."""
    area = st.session_state.get(widget_key(submission_id, "comment"))
    if (text := _typed(submission_id)) is not None:
        kept["typed"] = (text, area)
    if kept.get("typed") is None:
        return
    text, area_then = kept["typed"]
    if area != area_then:
        kept["typed"] = None  # the text area reported since: its value is the newest
        return
    entry["values"]["comment"] = text


def keep(db: Database, viewer: Viewer, config: CallConfig, submission_id: int, entry: dict, *, closed: bool) -> None:
    """After the form's widgets: take the comment as typed, autosave a change, say when."""
    kept = entry.setdefault(KEPT, {"values": _copy(entry["base"]), "at": None, "problem": None, "restored": False})
    _take_typed(submission_id, entry, kept)
    if not closed and entry["values"] != kept["values"]:
        kept.update(values=_copy(entry["values"]), restored=False)
        _autosave(db, viewer, config, submission_id, entry, kept)
    _status(kept)


def _autosave(db: Database, viewer: Viewer, config: CallConfig, submission_id: int, entry: dict, kept: dict) -> None:
    draft = as_draft(entry["values"])
    try:
        with db.write() as session:
            kept["at"] = autosave_review(
                session,
                submission_id=submission_id,
                reviewer_id=viewer.user_id,
                actor=viewer.username,
                draft=draft,
                base_version=entry["base_version"],
                config=config,
            )
        kept["problem"] = None
    except AccessDenied as exc:
        refuse(
            db,
            viewer,
            attempted="autosave review",
            entity="submission",
            entity_id=submission_id,
            detail=str(exc),
            message=NOT_ASSIGNED,
        )
        kept["problem"] = "Not saved automatically: this submission is not assigned to you."
    except ReviewingClosed:
        kept["problem"] = "Not saved automatically: reviewing is closed."
    except StaleReview:
        kept["problem"] = (
            "Not saved automatically: this review was submitted in another window or tab. "
            "Save draft to compare the two."
        )
    except ReviewError:  # our words only: the refused value is the person's
        kept["problem"] = (
            "Not saved automatically: something here is not what a draft may hold "
            f"(a comment is at most {limits.REVIEW_COMMENT:,} characters). Save draft to see what."
        )
    except DatabaseUnavailable:
        kept["values"] = None  # try again at the next change
        kept["problem"] = "Not saved automatically just now (the database did not answer); your input is still here."


def _status(kept: dict) -> None:
    """One line, always in one keyed container: the number of elements before
    the form's buttons must not change from one run to the next, or the browser
    redraws the buttons and the keyboard focus on them is lost."""
    with st.container(key="my_reviews.autosave_status"):
        _status_line(kept)


def _status_line(kept: dict) -> None:
    if kept["problem"]:
        st.caption(":material/cloud_off: " + kept["problem"])
    elif kept["at"] is not None:
        when = times.clock(kept["at"])
        st.caption(
            f":material/cloud_done: Your unsaved input from {when} is back. Save draft or submit to keep it in your review."
            if kept["restored"]
            else f":material/cloud_done: Draft saved automatically at {when}."
        )
