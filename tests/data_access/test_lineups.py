"""Saved line-ups: admin-only saves checked against today's data, versions
with optimistic locking, and the audit log as the line-up's history."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from config import limits
from data_access import audit
from data_access import lineups as lineups_da
from data_access.models import LineUp, Submission
from data_access.submissions import AccessDenied
from data_access.users import set_active
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.factories import make_submission, make_user, scores_frame_for
from tests.support.dbdump import table_contents


@pytest.fixture
def call(db, call_config):
    """Eight scored submissions that can present, across both themes and all forms, plus an anonymous one."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        ids = eight_presentable(s, call_config)
        anonymous = make_submission(s, call_config, anonymous=True, presentation_preference="either")
    scores = scores_frame_for(call_config, {sid: 4.5 - 0.1 * n for n, sid in enumerate(ids)} | {anonymous: 5.0})
    return {"admin": admin, "office": office, "ids": ids, "anonymous": anonymous, "scores": scores}


def eight_presentable(session, call_config, **each) -> list[int]:
    """Eight submissions that can present, across both themes, the four sectors and the forms of
    exploitation, the last survivor-led; `each(i)` values added to the i-th (e.g. a contact address)."""
    forms = call_config.vocabulary("exploitation_types").ids
    return [
        make_submission(
            session,
            call_config,
            title=f"Evidence {i}",
            themes=["sources_of_harm"] if i % 2 else ["support_responses"],
            focus_areas=["perpetrators"] if i % 2 else ["advocacy"],
            exploitation_types=[forms[i % len(forms)]],
            sector=["police", "ngo", "education", "health"][i % 4],
            evidence_source="survivor_led" if i == 7 else "practitioner",
            presentation_preference="either",
            organisation=f"Organisation {i}",
            **{field: value(i) for field, value in each.items()},
        )
        for i in range(8)
    ]


def propose(db, call_config, scores, **changes):
    with db.read() as s:
        candidates = lineups_da.candidate_frame(s, scores=scores)
    rules = SelectionRules.from_config(call_config, **changes)
    return select_presenters(candidates, rules, labels=labels_from_config(call_config), explain=False)


def test_candidates_carry_the_calibrated_score_and_nan_when_unscored(db, call_config, call):
    with db.write() as s:
        unscored = make_submission(s, call_config)
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=call["scores"]).set_index("submission_id")
    assert frame.loc[call["ids"][0], "score"] == pytest.approx(4.5)
    assert frame.loc[call["anonymous"], "anonymous"]
    assert frame["score"].isna().loc[unscored]
    assert set(lineups_da.CANDIDATE_COLUMNS) - {"submission_id"} <= set(frame.columns)


def test_admin_saves_a_line_up_with_members_formats_pins_and_an_audit_entry(db, call_config, call):
    result = propose(db, call_config, call["scores"], pinned=(call["ids"][5],))
    assert result.feasible and call["anonymous"] not in result.members
    with db.write() as s:
        saved = lineups_da.save_line_up(
            s, viewer=call["admin"], name="  Conference   plan ", result=result, scores=call["scores"], notes="First"
        )
    assert saved.name == "Conference plan" and saved.version == 1
    assert [(m.submission_id, m.format) for m in saved.members] == list(result.members.items())
    assert [m.position for m in saved.members] == list(range(1, len(result.picks) + 1))
    assert {m.submission_id for m in saved.members if m.pinned} == {call["ids"][5]}
    assert saved.rules == result.rules.to_dict()
    assert saved.objective == pytest.approx(result.objective)
    with db.read() as s:
        history = lineups_da.line_up_history(s, line_up_id=saved.id)
        assert [e.name for e in lineups_da.list_line_ups(s)] == ["Conference plan"]
    assert history["action"].tolist() == ["line_up.save"]
    entry = history.iloc[0]
    assert entry["actor"] == call["admin"].username
    assert [m["reference"] for m in entry["new"]["members"]] == [m.reference for m in saved.members]
    assert "Organisation" not in str(entry["new"])  # the history names references, not people


def test_saving_over_a_name_needs_its_version_and_keeps_the_history(db, call_config, call):
    first = propose(db, call_config, call["scores"])
    with db.write() as s:
        saved = lineups_da.save_line_up(s, viewer=call["admin"], name="Plan", result=first, scores=call["scores"])
    second = propose(db, call_config, call["scores"], excluded=(first.picks[0].submission_id,))
    with pytest.raises(lineups_da.LineUpError, match="already exists"), db.write() as s:
        lineups_da.save_line_up(s, viewer=call["admin"], name="Plan", result=second, scores=call["scores"])
    with db.write() as s:
        replaced = lineups_da.save_line_up(
            s, viewer=call["admin"], name="Plan", result=second, scores=call["scores"], expected_version=1
        )
    assert replaced.id == saved.id and replaced.version == 2
    assert first.picks[0].submission_id not in {m.submission_id for m in replaced.members}
    # A second tab still holding version 1 is told, and changes nothing.
    with pytest.raises(lineups_da.StaleLineUp) as stale, db.write() as s:
        lineups_da.save_line_up(
            s, viewer=call["admin"], name="Plan", result=first, scores=call["scores"], expected_version=1
        )
    assert stale.value.current_version == 2
    with db.read() as s:
        current = lineups_da.get_line_up(s, line_up_id=saved.id)
        history = lineups_da.line_up_history(s, line_up_id=saved.id)
    assert [m.submission_id for m in current.members] == list(second.members)
    assert history["action"].tolist() == ["line_up.replace", "line_up.save"]
    newest = history.iloc[0]
    assert newest["old"]["version"] == 1 and newest["new"]["version"] == 2
    assert newest["old"]["members"] != newest["new"]["members"]


@pytest.mark.parametrize("who", ["office", "reviewer", "deactivated admin"])
def test_only_an_active_admin_may_save(db, call_config, call, who):
    result = propose(db, call_config, call["scores"])
    with db.write() as s:
        if who == "deactivated admin":
            viewer = make_user(s, role="admin")
            set_active(s, user_id=viewer.user_id, active=False, actor="test")
        else:
            viewer = call["office"] if who == "office" else make_user(s, role="reviewer")
    with pytest.raises(AccessDenied), db.write() as s:
        lineups_da.save_line_up(s, viewer=viewer, name="Mine", result=result, scores=call["scores"])
    with db.read() as s:
        assert s.scalar(select(LineUp.id)) is None


def test_a_line_up_that_no_longer_keeps_its_rules_is_refused(db, call_config, call):
    result = propose(db, call_config, call["scores"])
    member = result.picks[0].submission_id
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == member).values(anonymous=True))
    with pytest.raises(lineups_da.LineUpError) as refused, db.write() as s:
        lineups_da.save_line_up(s, viewer=call["admin"], name="Stale", result=result, scores=call["scores"])
    assert any("anonymous" in p for p in refused.value.problems)
    with db.read() as s:
        assert lineups_da.list_line_ups(s) == []


@pytest.mark.parametrize(("name", "words"), [("   ", "Give the line-up a name"), ("x" * 201, "at most 200")])
def test_bad_names_are_refused(db, call_config, call, name, words):
    result = propose(db, call_config, call["scores"])
    with pytest.raises(lineups_da.LineUpError, match=words), db.write() as s:
        lineups_da.save_line_up(s, viewer=call["admin"], name=name, result=result, scores=call["scores"])


def test_an_infeasible_proposal_cannot_be_saved(db, call_config, call):
    result = propose(db, call_config, call["scores"], slots=9, max_in_person=9)
    assert not result.feasible
    with pytest.raises(lineups_da.LineUpError, match="keeps every rule"), db.write() as s:
        lineups_da.save_line_up(s, viewer=call["admin"], name="No", result=result, scores=call["scores"])
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(entity="line_up")).empty


def test_warnings_when_a_saved_member_changed(db, call_config, call):
    result = propose(db, call_config, call["scores"])
    with db.write() as s:
        saved = lineups_da.save_line_up(s, viewer=call["admin"], name="Plan", result=result, scores=call["scores"])
    first, second = saved.members[0], saved.members[1]
    other = "virtual" if second.format == "in_person" else "in_person"
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == first.submission_id).values(anonymous=True))
        s.execute(update(Submission).where(Submission.id == second.submission_id).values(presentation_preference=other))
        s.execute(
            update(Submission)
            .where(Submission.id == saved.members[2].submission_id)
            .values(presentation_preference="not_available")
        )
    with db.read() as s:
        warnings = lineups_da.member_warnings(lineups_da.get_line_up(s, line_up_id=saved.id))
    assert len(warnings) == 3
    assert any(first.reference in w and "anonymous" in w for w in warnings)
    assert any(second.reference in w and "only " + other.replace("_", " ") in w for w in warnings)
    assert any(saved.members[2].reference in w and "not available" in w for w in warnings)


def test_a_line_up_name_or_notes_over_their_limit_are_refused_and_nothing_changes(db, call_config, call):
    result = propose(db, call_config, call["scores"])
    assert result.feasible
    before = table_contents(db)
    for name, notes, words in (
        ("x" * (limits.LINE_UP_NAME + 1), "", f"at most {limits.LINE_UP_NAME} characters"),
        (
            "Plan",
            "x" * (limits.LINE_UP_NOTES + 1),
            f"The notes has {limits.LINE_UP_NOTES + 1:,} characters; the most allowed is {limits.LINE_UP_NOTES:,}",
        ),
    ):
        with pytest.raises(lineups_da.LineUpError, match=words):
            with db.write() as s:
                lineups_da.save_line_up(
                    s, viewer=call["admin"], name=name, result=result, scores=call["scores"], notes=notes
                )
        assert table_contents(db) == before
    with db.write() as s:
        saved = lineups_da.save_line_up(
            s, viewer=call["admin"], name="Plan", result=result, scores=call["scores"], notes="x" * limits.LINE_UP_NOTES
        )
    assert saved.notes == "x" * limits.LINE_UP_NOTES
