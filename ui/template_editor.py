"""The Messages page's Templates tab (admin): each message's wording, its variables, a preview
with real data, and saving.

A purpose's wording is edited in a form under keys named after the version
the admin opened (kept in session state), so that someone else's save
neither replaces what is being typed nor is overwritten by it: saving
passes that version (`data_access.templates.save_template`'s
`expected_version`), and a save in between is refused in words
(`StaleTemplate`) with the admin's wording left in the form and a button to
load the current one.

"Preview with real data" renders the unsaved wording as a real recipient
would get it (`templates.preview`: the first active reviewer and their
assignments, or the first submission's contributor). Saving validates
(`TemplateRefused`: every problem, nothing saved) and renders the wording
with the same real data in the same unit of work: a template that cannot be
rendered is refused with the reason and nothing is saved either. The
rendered subject and text are shown with `st.text`, the HTML as its source
(`st.code`): nothing in a template runs on this page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config import CallConfig
from config.settings import Settings
from data_access import templates as templates_da
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.templates import StaleTemplate, TemplateError, TemplateRecord, TemplateRefused
from messages.sandbox import Problem
from messages.spec import TemplateSpec
from messages.templates import TEMPLATES
from ui.outbox_views import refused
from ui.render import field, flash, format_when, show_flash

FLASH = "templates.flash"
OPENED = "templates.opened."  # + purpose: the TemplateRecord the admin opened and is editing
STALE = "templates.stale."  # + purpose: set when a save was refused because someone saved in between


def templates_tab(db: Database, viewer: Viewer, settings: Settings, config: CallConfig) -> None:
    show_flash(FLASH)
    purpose = st.selectbox(
        "Message", list(TEMPLATES), format_func=lambda p: TEMPLATES[p].title, key="templates.purpose"
    )
    spec = TEMPLATES[purpose]
    with db.read() as session:
        current = templates_da.get_template(session, purpose)
    opened: TemplateRecord = st.session_state.setdefault(OPENED + purpose, current)
    st.caption(f"Sent to a {spec.recipient}. {spec.when}")
    st.caption(_status(current))
    if opened.version != current.version or st.session_state.get(STALE + purpose):
        _changed_meanwhile(purpose, current)  # and a save refused because of it
    _variables(spec)
    prefix = f"templates.{purpose}.{opened.version}."
    with st.form(prefix + "form", enter_to_submit=False):
        subject = st.text_input("Subject (one line)", value=opened.subject, key=prefix + "subject")
        text = st.text_area("Text", value=opened.text, height=320, key=prefix + "text")
        html = st.text_area(
            "HTML (optional; leave empty to send text only)", value=opened.html or "", height=240, key=prefix + "html"
        )
        cols = st.columns(2)
        previewing = cols[0].form_submit_button("Preview with real data", icon=":material/visibility:")
        saving = cols[1].form_submit_button("Save", type="primary", icon=":material/save:")
    wording = (subject or "", text or "", html or None)
    if saving:
        _save(db, viewer, settings, config, purpose, opened, wording)
    elif previewing:
        _preview(db, viewer, settings, config, purpose, wording)
    if not current.is_default and st.button("Back to the default wording", key=f"templates.reset.{purpose}"):
        _reset(db, viewer, purpose, opened)


def _status(current: TemplateRecord) -> str:
    if current.is_default:
        return "In use: the default wording."
    return f"In use: version {current.version}, saved by {current.updated_by} on {format_when(current.updated_at)}."


def _changed_meanwhile(purpose: str, current: TemplateRecord) -> None:
    st.warning(
        f"{current.updated_by or 'Someone'} saved this message's wording since you opened it (now "
        f"{'the default' if current.is_default else f'version {current.version}'}), so yours was not saved over "
        "it. Your wording is still in the form: copy what you need, then load the current wording to edit that.",
        icon=":material/sync_problem:",
    )
    if st.button("Load the current wording", key=f"templates.load.{purpose}"):
        st.session_state[OPENED + purpose] = current
        st.session_state.pop(STALE + purpose, None)
        st.rerun()


def _variables(spec: TemplateSpec) -> None:
    rows = []
    for variable in spec.variables:
        example = "(a list)" if variable.fields else str(variable.example)
        rows.append({"Variable": "{{ " + variable.name + " }}", "What it is": variable.description, "Example": example})
        for item in variable.fields:
            loop = f"in {{% for item in {variable.name} %}}"
            rows.append(
                {
                    "Variable": f"{{{{ item.{item.name} }}}}",
                    "What it is": f"{loop}: {item.description}",
                    "Example": str(item.example),
                }
            )
    with st.expander(f"The variables this message may use ({len(spec.variables)})", expanded=True):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(
            "Nothing else may be used: a template that reads any other value is refused when it is saved. "
            "Allowed: {{ variable }}, {% if %}…{% endif %}, one {% for %} over a list, and the filters "
            "upper, lower, title, capitalize, trim, length and default (docs/messages.md)."
        )


def _problems(heading: str, problems: Sequence[Problem], reason: str) -> None:
    st.error(heading, icon=":material/block:")
    st.text("\n".join(str(p) for p in problems) if problems else reason)


def _preview(
    db: Database, viewer: Viewer, settings: Settings, config: CallConfig, purpose: str, wording: tuple
) -> None:
    try:
        with db.read() as session:
            shown = templates_da.preview(
                session, purpose, *wording, viewer=viewer, config=config, base_url=settings.public_url or None
            )
    except TemplateError as exc:
        _problems("This wording cannot be rendered; nothing was saved.", exc.problems, str(exc))
        return
    except AccessDenied as exc:
        refused(db, viewer, f"preview message template {purpose}", str(exc), to="preview message templates")
        return
    show_preview(shown)


def show_preview(shown: templates_da.Preview) -> None:
    """A rendered preview: whose data it shows, then the message as text (HTML as its source)."""
    st.header("Preview", anchor=False)
    real = ", ".join(shown.real) or "none"
    st.caption(f"As this recipient would receive it (from real data: {real}; the rest are examples):")
    st.text(shown.about)
    field("Subject", shown.rendered.subject)
    field("Text", shown.rendered.text)
    if shown.rendered.html:
        st.caption("HTML (its source, as text: nothing in it runs here)")
        st.code(shown.rendered.html, language="html", wrap_lines=True)


def _save(
    db: Database,
    viewer: Viewer,
    settings: Settings,
    config: CallConfig,
    purpose: str,
    opened: TemplateRecord,
    wording: tuple,
) -> None:
    def change(session: Session) -> TemplateRecord:
        saved = templates_da.save_template(session, purpose, *wording, viewer, opened.version)
        # Rendered with real data in the same unit: a wording that cannot be rendered is not kept.
        templates_da.preview(
            session, purpose, *wording, viewer=viewer, config=config, base_url=settings.public_url or None
        )
        return saved

    saved = _attempt(db, viewer, purpose, "save", change)
    if saved is not None:
        _opened(purpose, saved, f"Saved: “{TEMPLATES[purpose].title}” is now version {saved.version}.")


def _reset(db: Database, viewer: Viewer, purpose: str, opened: TemplateRecord) -> None:
    default = _attempt(
        db,
        viewer,
        purpose,
        "reset",
        lambda session: templates_da.reset_template(session, purpose, viewer, opened.version),
    )
    if default is not None:
        _opened(purpose, default, f"“{TEMPLATES[purpose].title}” is back to its default wording.")


def _attempt(
    db: Database, viewer: Viewer, purpose: str, action: str, change: Callable[[Session], TemplateRecord]
) -> TemplateRecord | None:
    """`change` in one unit of work; None (and the reasons said, or a rerun that says them) if refused."""
    try:
        with db.write() as session:
            return change(session)
    except TemplateRefused as exc:
        _problems("Not saved: this wording has problems.", exc.problems, str(exc))
    except TemplateError as exc:
        _problems("Not saved: this wording cannot be rendered with real data.", exc.problems, str(exc))
    except StaleTemplate:
        st.session_state[STALE + purpose] = True  # said in words by `_changed_meanwhile`, on the rerun
        st.rerun()
    except AccessDenied as exc:
        refused(db, viewer, f"{action} message template {purpose}", str(exc), to="edit message templates")
    return None


def _opened(purpose: str, record: TemplateRecord, done: str) -> None:
    """The form edits `record` from now on (new keys, its wording); `done` said on the rerun."""
    st.session_state[OPENED + purpose] = record
    flash(FLASH, "success", done)
    st.rerun()
