"""What the Selection page recomputes after a save (issue 21).

Every save moves the data version, and the page used to solve the line-up
again, with every explanation, on its next visit. The line-up and the pick
list now depend on what they are computed from: the candidates' content (each
submission with its calibrated score, reviews, flag and shortlisting), the
rules and the words. A save that changes none of that (a draft, an
assignment) finds them computed; a save that changes a score computes them
again, for the new scores."""

from __future__ import annotations

import pytest
import streamlit as st

import scoring.selection
from config import load_call_config
from data_access import audit
from data_access import lineups as lineups_da
from data_access.reviews import ReviewDraft, save_review
from tests.factories import assign, make_user, submit_review
from tests.pages.test_selection_page import SELECTION, call, line_up_table  # noqa: F401 (call: a fixture)
from tests.support.apptest import rerun, run_app
from ui import selection as selection_ui


@pytest.fixture
def reviewed(request):
    """The Selection page's call (tests.pages.test_selection_page.call): twelve eligible, two never picked."""
    return request.getfixturevalue("call")


def counted(monkeypatch, owner, name: str) -> list[int]:
    """Count the calls of `owner.name` (still calling it)."""
    original = getattr(owner, name)
    calls: list[int] = []

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def pick_list_shown(at):
    return next(df.value for df in at.dataframe if "Can be pinned" in df.value.columns).set_index("Reference")


def version(db) -> int:
    with db.read() as s:
        return audit.data_version(s)


def test_a_save_that_changes_no_candidate_reuses_the_line_up_and_a_changed_score_recomputes_it(
    db, db_url, reviewed, call_config, monkeypatch
):
    st.cache_data.clear()
    solved = counted(monkeypatch, scoring.selection, "select_presenters")
    listed = counted(monkeypatch, selection_ui, "pick_list")
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    assert not at.exception, at.exception
    line_up = line_up_table(at)
    assert (len(solved), len(listed)) == (1, 1)
    assert pick_list_shown(at).loc["CFE-0005", "Score"] == pytest.approx(1.0, abs=0.5)

    # Another user's saves that change nothing the line-up is made of: the data version moves, nothing is solved.
    before = version(db)
    with db.write() as s:
        newcomer = make_user(s, name="Nora Newcomer")
        assign(s, reviewed["ids"][4], newcomer)
    with db.write() as s:
        save_review(
            s,
            submission_id=reviewed["ids"][4],
            reviewer_id=newcomer.user_id,
            actor=newcomer.username,
            draft=ReviewDraft(scores=dict.fromkeys(call_config.criterion_ids, 5), comment="Half done."),
            submit=False,
            expected_version=None,
            config=call_config,
        )
    assert version(db) > before
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert (len(solved), len(listed)) == (1, 1)
    assert line_up_table(at).equals(line_up)

    # A submitted review changes CFE-0005's score: the line-up and the list are computed again, for it.
    with db.write() as s:
        other = make_user(s, name="Olu Other")
        assign(s, reviewed["ids"][4], other)
        submit_review(s, call_config, reviewed["ids"][4], other, scores=dict.fromkeys(call_config.criterion_ids, 5))
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert (len(solved), len(listed)) == (2, 2)
    shown = pick_list_shown(at)
    assert shown.loc["CFE-0005", "Score"] > 1.5 and shown.loc["CFE-0005", "Reviews"] == 3

    # A repeat visit, or another admin with the same rules: nothing computed again.
    run_app(db_url, reviewed["admin"], page=SELECTION)
    assert (len(solved), len(listed)) == (2, 2)


def test_the_candidates_content_key_changes_with_any_value_and_not_with_a_second_read(db, reviewed):
    config = load_call_config()
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=config)
        first = lineups_da.candidate_frame(s, scores=scores)
        again = lineups_da.candidate_frame(s, scores=scores)
    key = selection_ui.content_key(first)
    assert selection_ui.content_key(again) == key  # read twice: the same content, the same key
    changed = first.copy()
    changed.loc[0, "score"] = changed.loc[0, "score"] + 0.001
    assert selection_ui.content_key(changed) != key
    themes = first.copy()
    themes.at[1, "themes"] = [*themes.at[1, "themes"], "another"]
    assert selection_ui.content_key(themes) != key
    flagged = first.copy()
    flagged.loc[2, "flagged"] = not flagged.loc[2, "flagged"]
    assert selection_ui.content_key(flagged) != key
    assert selection_ui.content_key(first[list(reversed(first.columns))]) != key


def test_candidates_read_only_what_the_rules_use_and_all_of_it(db, reviewed):
    from data_access.submissions import load_submission_frame

    config = load_call_config()
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=lineups_da.current_scores(s, config=config))
        full = load_submission_frame(s).set_index("id")
    assert list(frame.columns) == lineups_da.CANDIDATE_COLUMNS
    by_id = frame.set_index("submission_id")
    for column in ("reference", "title", "organisation", "anonymous", "presentation_preference", "sector"):
        assert by_id[column].tolist() == full.loc[by_id.index, column].tolist(), column
    for column in ("evidence_source", "themes", "focus_areas", "exploitation_types"):
        assert by_id[column].tolist() == full.loc[by_id.index, column].tolist(), column


def test_the_candidates_content_key_is_the_same_for_scores_from_a_caches_copy(db, reviewed):
    """`st.cache_data` gives back a copy (a pickle's) of a cached calibration: equal candidates, the same key."""
    import pickle

    config = load_call_config()
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=config)
        first = lineups_da.candidate_frame(s, scores=scores)
        copied = lineups_da.candidate_frame(s, scores=pickle.loads(pickle.dumps(scores)))  # noqa: S301 (our own bytes)
    assert copied.equals(first)
    assert selection_ui.content_key(copied) == selection_ui.content_key(first)
