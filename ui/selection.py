"""Streamlit glue for the Selection page: the rules form and the saved line-ups view.

The form's values live in `st.session_state` under `selection.*` keys (UI
state only); `set_form` fills them from a rule set, for "back to the call's
defaults" and "load a saved line-up's rules".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig
from data_access import lineups as lineups_da
from data_access.db import Database
from scoring.selection import FORMAT_LABELS, SelectionRules
from scoring.selection.tables import rules_summary
from ui.links import open_submission
from ui.render import field, format_when, table_key

PREFIX = "selection."
NUMBERS = (
    ("slots", "Presenter slots", 1),
    ("max_in_person", "Most in person", 0),
    ("max_virtual", "Most virtual", 0),
    ("min_per_theme", "At least per theme", 0),
    ("min_survivor_involved", "At least survivor-led or -informed", 0),
    ("max_per_sector", "Most per sector (0: no limit)", 0),
    ("max_per_organisation", "Most per organisation (0: no limit)", 0),
)
PICKS = ("pinned", "excluded")


def _values(rules: SelectionRules) -> dict[str, object]:
    values: dict[str, object] = {PREFIX + name: int(getattr(rules, name) or 0) for name, _label, _min in NUMBERS}
    values[PREFIX + "one_per_exploitation_type"] = bool(rules.one_per_exploitation_type)
    for name in PICKS:
        values[PREFIX + name] = [int(i) for i in getattr(rules, name)]
    return values


def set_form(rules: SelectionRules) -> None:
    """Put a rule set into the form (use as an on_click callback, before the widgets exist)."""
    st.session_state.update(_values(rules))


def form_picks() -> list[int]:
    """The pinned and excluded submissions currently in the form."""
    return [i for name in PICKS for i in st.session_state.get(PREFIX + name, [])]


def rules_form(config: CallConfig, choices: dict[int, str]) -> SelectionRules:
    """The rules as a form, starting from the call's configured defaults."""
    defaults = SelectionRules.from_config(config)
    for key, value in _values(defaults).items():
        st.session_state.setdefault(key, value)
    with st.form("selection.rules", border=True):
        cols = st.columns(4)
        for i, (name, label, minimum) in enumerate(NUMBERS):
            cols[i % 4].number_input(label, min_value=minimum, max_value=500, step=1, key=PREFIX + name)
        cols[3].checkbox(
            "At least one per form of exploitation that an eligible submission covers",
            key=PREFIX + "one_per_exploitation_type",
        )
        left, right = st.columns(2)
        left.multiselect("Pin: always in the line-up", list(choices), format_func=choices.get, key=PREFIX + "pinned")
        right.multiselect("Exclude: never in it", list(choices), format_func=choices.get, key=PREFIX + "excluded")
        st.form_submit_button("Propose line-up", type="primary", icon=":material/auto_awesome:")
    st.button("Back to the call's defaults", on_click=set_form, args=(defaults,), icon=":material/restart_alt:")
    state = st.session_state
    numbers = {name: int(state[PREFIX + name]) for name, _label, _min in NUMBERS}
    return SelectionRules(
        **numbers | {key: numbers[key] or None for key in ("max_per_sector", "max_per_organisation")},
        one_per_exploitation_type=bool(state[PREFIX + "one_per_exploitation_type"]),
        themes=tuple(config.vocabulary("themes").ids),
        pinned=tuple(sorted(int(i) for i in state[PREFIX + "pinned"])),
        excluded=tuple(sorted(int(i) for i in state[PREFIX + "excluded"])),
    )


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
            args=(rules,),
            icon=":material/upload:",
        )
    return {s.name: s.version for s in summaries}
