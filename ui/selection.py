"""Streamlit glue for the Selection page: the rules form and the saved line-ups view.

The form's values live in `st.session_state` under `selection.*` keys (UI
state only); `set_form` fills them from a rule set and applies it, for "back to
the call's defaults", "load a saved line-up's rules" and an accepted "Propose
line-up". The values it set are also the boxes' defaults (`value=`) in every
later run, so that a browser drawing the form afresh shows the rules in force,
never the boxes' minimums (see `rules_form`). Pins and exclusions
are typed as exact references (never a select-all of fuzzy matches);
"Propose line-up" checks them (`scoring.selection.read_picks`) and either
applies the whole form or refuses it with every reason, changing nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig
from data_access import lineups as lineups_da
from data_access.db import Database
from scoring.selection import FORMAT_LABELS, SelectionError, SelectionRules, read_picks
from scoring.selection.tables import pick_list, rules_summary, thin_picks
from ui.links import open_submission
from ui.paging import find_box, page_of
from ui.render import field, format_when, table_key

PREFIX = "selection."
APPLIED = PREFIX + "applied"  # the rules last applied (SelectionRules.to_dict), what the page proposes for
REFUSED = PREFIX + "refused"  # why the last "Propose line-up" was refused (nothing changed)
FORM = PREFIX + "form"  # the form's values for the rules applied (widget key -> value): the boxes' defaults
TELL = PREFIX + "tell"  # set_form ran: the next run that draws the form sets the boxes to FORM
NUMBERS = (
    ("slots", "Presenter slots", 1),
    ("max_in_person", "Most in person", 0),
    ("max_virtual", "Most virtual", 0),
    ("min_per_theme", "At least per theme", 0),
    ("min_survivor_involved", "At least survivor-led or -informed", 0),
    ("max_per_sector", "Most per sector (0: no limit)", 0),
    ("max_per_organisation", "Most per organisation (0: no limit)", 0),
    ("min_reviews", "At least submitted reviews each (0: no minimum)", 0),
)
CHECKS = (
    ("one_per_exploitation_type", "At least one per form of exploitation that an eligible submission covers"),
    ("no_discussion_flag", "No pick flagged for discussion"),
    ("only_shortlisted", "Only submissions the panel shortlisted (Rankings: the panel's decisions)"),
)
PICKS = (
    ("pinned", "Pin: always in the line-up (references, e.g. CFE-0008, CFE-0012)"),
    ("excluded", "Exclude: never in it (references)"),
)


def content_key(frame: pd.DataFrame) -> str:
    """A key for what `frame` holds, for caches that depend on it rather than on the data version (a save that
    changed nothing in it keeps the key). Frames that differ in any value, column, type or order have different
    keys (a digest of the pickle of a fresh copy: equal frames read twice give the same one, whether their scores
    came from a fit or from a cache's copy of it, whose blocks pickle differently)."""
    return hashlib.blake2b(pickle.dumps(frame.copy(), protocol=5), digest_size=20).hexdigest()


@st.cache_data(show_spinner=False, max_entries=8)
def _pick_list(content: str, rules_json: str, _candidates: pd.DataFrame) -> pd.DataFrame:
    """`pick_list` of the candidates whose content key is `content` (`_candidates`, not hashed again)."""
    return pick_list(_candidates, SelectionRules.from_dict(json.loads(rules_json)))


def _values(rules: SelectionRules, references: Mapping[int, str]) -> dict[str, object]:
    values: dict[str, object] = {PREFIX + name: int(getattr(rules, name) or 0) for name, _label, _min in NUMBERS}
    values |= {PREFIX + name: bool(getattr(rules, name)) for name, _label in CHECKS}
    for name, _label in PICKS:
        values[PREFIX + name] = ", ".join(references.get(int(i), str(i)) for i in getattr(rules, name))
    return values


def set_form(rules: SelectionRules, references: Mapping[int, str]) -> None:
    """Put a rule set into the form and apply it (an on_click callback, before the widgets exist)."""
    st.session_state[FORM] = _values(rules, references)
    st.session_state[TELL] = True
    st.session_state[APPLIED] = rules.to_dict()
    st.session_state[REFUSED] = []


def _typed_rules(config: CallConfig) -> SelectionRules:
    state = st.session_state
    values: dict[str, Any] = {name: int(state[PREFIX + name]) for name, _label, _min in NUMBERS}
    values |= {key: values[key] or None for key in ("max_per_sector", "max_per_organisation")}
    values |= {name: bool(state[PREFIX + name]) for name, _label in CHECKS}
    return SelectionRules(**values, themes=tuple(config.vocabulary("themes").ids))


def _propose(config: CallConfig, candidates: pd.DataFrame) -> None:
    """The "Propose line-up" callback: apply the whole form, or refuse it with every reason (nothing changes)."""
    state = st.session_state
    rules = _typed_rules(config)
    try:
        picks = read_picks(candidates, rules, pinned=state[PREFIX + "pinned"], excluded=state[PREFIX + "excluded"])
    except SelectionError as exc:
        state[REFUSED] = [str(exc)]
        return
    if not picks.ok:
        state[REFUSED] = list(picks.problems)
        return
    rules = dataclasses.replace(rules, pinned=picks.pinned, excluded=picks.excluded)
    refs = dict(zip(candidates["submission_id"].astype(int), candidates["reference"], strict=True))
    set_form(rules, refs)  # the references as stored: "cfe-8 ,CFE-0008" is not kept half-read


# A browser shows a box's value only when the element says to set it, or the
# box's default when it draws the box afresh. Streamlit says to set a value
# given through session state only in the run that gives it (or the next, if
# the box was not drawn yet), and a run cut short by a rerun request (the
# sign-in cookie's, say) never reaches the browser: its messages are dropped
# when the next run starts. The form's values were put into session state
# once, on the first visit, and the boxes' defaults were their minimums: a
# browser that drew the form afresh after that showed 1 slot and 0 for every
# other box, under the line-up for the call's defaults, and "Propose line-up"
# then applied what it showed. Leaving the page dropped the boxes' state too,
# and coming back showed the call's defaults above the rules still applied.
# So the boxes are drawn with the server's values as their defaults, in every
# run but the one that sets them through session state (Streamlit warns about
# both in one run); keyed boxes keep their identity when the default changes.
_NO_DEFAULT = "min"  # number_input's own default; a checkbox's is False and a text box's ""


def _shown(form: Mapping[str, object]) -> dict[str, Any]:
    """The boxes' defaults this run: what the server holds for each (the person's edits, else the rules
    applied), or, in the run after `set_form`, nothing: that run sets the boxes to the form's values."""
    state = st.session_state
    if state.get(TELL):  # dropped once the form is drawn: a run cut before that sets the boxes again
        state.update(form)
        return {
            key: False if isinstance(v, bool) else "" if isinstance(v, str) else _NO_DEFAULT for key, v in form.items()
        }
    return {key: state.get(key, value) for key, value in form.items()}


def rules_form(config: CallConfig, candidates: pd.DataFrame, content: str) -> SelectionRules:
    """The rules as a form, starting from the call's configured defaults; returns the rules applied.
    `content`: the candidates' `content_key`.

    Pins and exclusions are typed as exact references (Enter proposes); each is
    checked, and a refusal names every reason and changes nothing."""
    defaults = SelectionRules.from_config(config)
    st.session_state.setdefault(APPLIED, defaults.to_dict())
    shown = _shown(st.session_state.setdefault(FORM, _values(defaults, {})))
    with st.form("selection.rules", border=True):
        cols = st.columns(4)
        for i, (name, label, minimum) in enumerate(NUMBERS):
            key = PREFIX + name
            cols[i % 4].number_input(label, min_value=minimum, max_value=500, step=1, value=shown[key], key=key)
        for name, label in CHECKS:
            st.checkbox(label, value=shown[PREFIX + name], key=PREFIX + name)
        left, right = st.columns(2)
        for column, (name, label) in zip((left, right), PICKS, strict=True):
            key = PREFIX + name
            column.text_input(label, value=shown[key], max_chars=2000, key=key, placeholder="none")
        st.session_state.pop(TELL, None)
        st.form_submit_button(
            "Propose line-up",
            type="primary",
            icon=":material/auto_awesome:",
            on_click=_propose,
            args=(config, candidates),
        )
    refused = st.session_state.get(REFUSED)
    if refused:
        st.error("Nothing changed: the line-up below is still for the rules before. Why:", icon=":material/block:")
        st.text("\n".join(f"• {p}" for p in refused))  # typed text: never Markdown
    st.button("Back to the call's defaults", on_click=set_form, args=(defaults, {}), icon=":material/restart_alt:")
    rules = SelectionRules.from_dict(st.session_state[APPLIED])
    with st.expander("Submissions by reference: reviews, discussion flag, can it be pinned", icon=":material/list:"):
        listed = _pick_list(content, json.dumps(rules.to_dict(), sort_keys=True), candidates)
        found, search = find_box(listed, key="selection.pick_list.search")
        shown, _key = page_of(found, "selection.pick_list", search)  # one page of rows to the browser
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={"Score": st.column_config.NumberColumn(format="%.2f")},
        )
    return rules


def thin_picks_warning(picks: pd.DataFrame, rules: SelectionRules) -> None:
    """Say so when the line-up holds picks with few reviews or flagged for discussion (rules off)."""
    lines = thin_picks(picks, max(2, rules.min_reviews))
    if lines:
        st.warning("Look at these picks before inviting:", icon=":material/rate_review:")
        st.text("\n".join(f"• {line}" for line in lines))


def saved_line_ups(db: Database, viewer: Viewer) -> dict[str, int]:
    """The saved line-ups (read-only), with members, rules and history. Returns name -> version shown."""
    st.header("Saved line-ups", anchor=False)
    with db.read() as session:
        summaries = lineups_da.list_line_ups(session)
    if not summaries:
        st.caption("No line-up has been saved yet.")
        return {}
    by_id = {s.id: s for s in summaries}
    chosen = st.selectbox(
        "Line-up", list(by_id), format_func=lambda i: f"{by_id[i].name} (version {by_id[i].version})", key="saved.id"
    )
    with db.read() as session:
        record = lineups_da.get_line_up(session, line_up_id=chosen)
        history = lineups_da.line_up_history(session, line_up_id=chosen)
        rules = lineups_da.rules_of(record)
        refs = lineups_da.references(session, [*rules.pinned, *rules.excluded])
    st.caption(
        f"Version {record.version}, saved by {record.created_by}, last changed {format_when(record.updated_at)}; "
        f"total calibrated score {record.objective or 0:.2f} when saved."
    )
    warnings = lineups_da.member_warnings(record)
    if warnings:
        st.warning("Changed since this line-up was saved:", icon=":material/warning:")
        st.text("\n".join(warnings))
    members = st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": m.position,
                    "Reference": m.reference,
                    "Title": m.title,
                    "Organisation": m.organisation,
                    "Format": FORMAT_LABELS.get(m.format, m.format),
                    "Pinned": m.pinned,
                }
                for m in record.members
            ]
        ),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=table_key("saved.members", chosen, record.version),
    )
    if members.selection.rows:
        open_submission(record.members[members.selection.rows[0]].reference)
    else:
        st.caption("Select a row to open its submission.")
    if record.notes:
        field("Notes", record.notes)
    left, right = st.columns([2, 3])
    left.dataframe(rules_summary(rules, refs), hide_index=True, width="stretch")
    right.dataframe(
        history.assign(version=history["new"].map(lambda v: (v or {}).get("version")))[
            ["at", "actor", "action", "version"]
        ].rename(columns={"at": "When", "actor": "Who", "action": "What", "version": "Version"}),
        hide_index=True,
        width="stretch",
    )
    if viewer.is_admin:
        st.button(
            "Load these rules and pins into the form",
            on_click=set_form,
            args=(rules, refs),
            icon=":material/upload:",
        )
    return {s.name: s.version for s in summaries}
