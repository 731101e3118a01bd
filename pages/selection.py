"""Selection (admin; the office views saved line-ups): a balanced presenter line-up.

The admin sets the rules (the call's defaults to start), pins and excludes;
`scoring.selection.select_presenters` proposes the best line-up that keeps every rule,
says why each pick is there, its best replacement and what each rule cost, or
which rules block every line-up. Saving re-checks on the server that the
person is an admin and that the line-up still keeps its rules. Contributor
text (titles, organisations) is shown in dataframe cells or with st.text.
"""

import json

import pandas as pd
import streamlit as st

from config import limits
from data_access import audit
from data_access import lineups as lineups_da
from data_access.submissions import AccessDenied
from scoring.selection import SelectionError, SelectionRules, SolverDidNotFinish, labels_from_config, select_presenters
from scoring.selection.tables import SURVIVOR_MEANING, picks_table, rule_costs_table
from ui import context, scores
from ui.guard import require_page
from ui.links import open_submission
from ui.render import notice, table_key
from ui.selection import content_key, rules_form, saved_line_ups, thin_picks_warning

viewer = require_page("selection")
config = context.call_config()
db = context.database()
labels = labels_from_config(config)
seen_versions = st.session_state.get("selection.seen_versions", {})


@st.cache_data(show_spinner="Scoring…", max_entries=4)
def candidates(
    url: str, tables_key: tuple[int, ...], scores_content: str, weights: tuple, threshold: float, _scores_key: tuple
) -> tuple[pd.DataFrame, str]:
    """Shared, viewer-independent (admin only): every submission with its calibrated score, and the
    frame's content key (`ui.selection.content_key`). Keyed by the versions of what it reads besides the scores
    (`lineups_da.CANDIDATE_TABLES`) and the scores' content (`ui.scores.content_key`, read under `_scores_key`,
    not hashed): a draft saved reads and builds nothing again."""
    db = context.database()
    calibrated = scores.current_scores(db, config, key=_scores_key)
    with db.read() as session:
        frame = lineups_da.candidate_frame(session, scores=calibrated)
    return frame, content_key(frame)


@st.cache_data(show_spinner="Finding the best balanced line-up…", max_entries=16)
def propose(content: str, rules_json: str, labels_json: str, _frame: pd.DataFrame):
    """The line-up with its explanations, keyed by what it depends on: the candidates' content (not the data
    version: a save that changed no score, review count, flag or submission finds it here), the rules and the
    words. `_frame` is the frame whose content key is `content` (not hashed again)."""
    rules = SelectionRules.from_dict(json.loads(rules_json))
    return select_presenters(_frame, rules, labels=json.loads(labels_json), explain=True)


st.title("Selection", anchor=False)
if viewer.is_admin:
    with db.read() as session:
        tables_key = audit.tables_version(session, *lineups_da.CANDIDATE_TABLES)
        scores_key = scores.key_in(session, db.url)
    weights = tuple(config.weights.items())
    frame, content = scores.fresh(
        db,
        lambda key: candidates(
            db.url, tables_key, scores.content_key(db, key), weights, config.disagreement_threshold, key
        ),
        scores_key,
    )
    rules = rules_form(config, frame, content)
    st.caption(
        f"{SURVIVOR_MEANING} Anonymous submissions, those not available to present and those not yet scored are "
        "never selected. The score is the calibrated score (see Rankings)."
    )
    result = None
    try:
        rules_json = json.dumps(rules.to_dict(), sort_keys=True)
        result = propose(content, rules_json, json.dumps(labels, sort_keys=True), frame)
    except (SelectionError, SolverDidNotFinish) as exc:
        st.error(str(exc), icon=":material/error:")

    if result is not None and not result.feasible:
        st.error("No line-up keeps every rule. What blocks it:", icon=":material/block:")
        st.text("\n".join(f"• {b.message}" for b in result.blockers))
        st.caption("Loosen one of the rules named above (or unpin or include a submission) and propose again.")
    elif result is not None:
        cols = st.columns(3)
        cols[0].metric("Total calibrated score", f"{result.objective:.2f}")
        cols[1].metric(f"Plain top {rules.slots} by score", f"{result.top_n_objective:.2f}")
        cols[2].metric("Given up for balance", f"{result.given_up_vs_top_n:.2f}")
        st.header("Proposed line-up", anchor=False)
        number = st.column_config.NumberColumn
        picks = picks_table(result, frame)
        picked = st.dataframe(
            picks,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key=table_key("selection.picks", list(picks["Reference"])),
            column_config={
                "Score": number(format="%.2f"),
                "Score change if replaced": number(format="%+.2f"),
                "Reviews": number(help="Submitted reviews"),
                "Flagged for discussion": st.column_config.CheckboxColumn(help="The reviewers disagree"),
                "Title": st.column_config.TextColumn(width="medium"),
                "Why it is there": st.column_config.TextColumn(width="large"),
            },
        )
        if picked.selection.rows:
            open_submission(picks.iloc[picked.selection.rows[0]]["Reference"])
        thin_picks_warning(picks, rules)
        st.caption(
            "Select a row to open its submission. "
            "Best replacement: the submission that would come in if this pick were excluded, with every rule kept "
            "(sometimes another pick makes way too); the change is to the total score."
        )
        with st.expander("Why each pick is there, in full", icon=":material/notes:"):
            for _, row in picks.iterrows():
                # Contributor text: shown with st.text, never as Markdown.
                change = row["Score change if replaced"]
                st.text(
                    f"{row['Reference']}: {row['Title']} ({row['Format'].lower()}, score {row['Score']:.2f}"
                    f"{', pinned' if row['Pinned'] else ''}, {row['Reviews']} reviews"
                    f"{', flagged for discussion' if row['Flagged for discussion'] else ''})\n"
                    f"  Why: {row['Why it is there']}\n"
                    f"  Best replacement: {row['Best replacement (every rule kept)'] or 'none'}"
                    + ("" if pd.isna(change) else f" ({change:+.2f} to the total)")
                )
        st.header("What each rule cost", anchor=False)
        st.dataframe(rule_costs_table(result), hide_index=True, width="stretch")
        st.caption(
            "Given up for this rule: how much higher the total would be without it (the other rules kept). "
            f"Alone: how far the best line-up with only this rule falls below the plain top {rules.slots}."
        )

        with st.form("selection.save", border=True):
            st.header("Save this line-up", anchor=False)
            name = st.text_input("Name", max_chars=limits.LINE_UP_NAME, placeholder="e.g. Conference line-up")
            notes = st.text_area("Notes (optional)", height=80, max_chars=limits.LINE_UP_NOTES)
            replace = st.checkbox(
                "Replace the saved line-up with this name (a new version; the old one stays in the history)"
            )
            if st.form_submit_button("Save line-up", icon=":material/save:"):
                expected = seen_versions.get(lineups_da.clean_name(name)) if replace else None
                try:
                    with db.write() as session:
                        saved = lineups_da.save_line_up(
                            session,
                            viewer=viewer,
                            name=name,
                            result=result,
                            scores=lineups_da.current_scores(session, config=config),
                            notes=notes,
                            expected_version=expected,
                            labels=labels,
                        )
                except AccessDenied:
                    with db.write() as session:
                        audit.record_denied(session, actor=viewer.username, attempted="save line-up", entity="line_up")
                    st.error("Only an admin can save line-ups.", icon=":material/block:")
                except lineups_da.StaleLineUp as exc:
                    st.error(
                        f"That line-up was changed by someone else since this page was opened (it is now at "
                        f"version {exc.current_version}). Nothing was saved; look at it below first.",
                        icon=":material/sync_problem:",
                    )
                except lineups_da.LineUpError as exc:  # it may quote the line-up's name: as text
                    problems = "".join(f"\n• {p}" for p in exc.problems)
                    notice("error", "Nothing was saved:", f"{exc}{problems}", icon=":material/error:")
                else:
                    st.success(f"Saved as version {saved.version}.", icon=":material/check_circle:")
    if result is not None:
        for note in result.notes:
            st.caption(note)

st.session_state["selection.seen_versions"] = saved_line_ups(db, viewer)
