"""Assignments and conflicts of interest in the database, on both backends."""

import pytest
from sqlalchemy import func, select

from data_access import assignments as da
from data_access import audit
from data_access.call_state import set_reviewing_closed
from data_access.models import Assignment, AuditEntry
from data_access.overview import build_overview
from data_access.reviews import review_progress
from data_access.submissions import AccessDenied
from data_access.users import set_active
from tests.factories import assign, make_submission, make_user, submit_review


def _pairs(session):
    return {(s, r) for s, r in session.execute(select(Assignment.submission_id, Assignment.reviewer_id))}


def _audit_count(session, action):
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


@pytest.fixture
def call(db, call_config):
    """Twelve submissions (one from the Castle Trust), five reviewers (one of
    the Castle Trust, one sharing a contact's email domain, one part-time)."""
    with db.write() as s:
        subs = [make_submission(s, call_config, organisation=f"Org {i}") for i in range(10)]
        castle = make_submission(s, call_config, organisation="The Castle Trust")
        moor = make_submission(s, call_config, contact_email="x@moor.example")
        people = {
            "ann": make_user(s, organisation="Castle Trust"),
            "ben": make_user(s, email="ben@moor.example"),
            "cat": make_user(s, capacity=4),
            "dan": make_user(s),
            "eve": make_user(s),
        }
    return {"subs": [*subs, castle, moor], "castle": castle, "moor": moor, "people": people}


def test_automatic_run_covers_balances_and_respects_the_rules(db, call):
    p = call["people"]
    with db.write() as s:
        plan = da.run_auto_assignment(s, k=3, actor="admin")
    assert plan.shortfalls == ()
    with db.read() as s:
        pairs = _pairs(s)
        assert len(pairs) == 36
        assert (call["castle"], p["ann"].user_id) not in pairs
        assert (call["moor"], p["ben"].user_id) not in pairs
        loads = da.reviewer_loads(s)
        assert loads[p["cat"].user_id] == 4
        others = [loads[p[n].user_id] for n in ("ann", "ben", "dan", "eve")]
        assert max(others) - min(others) <= 1
        # one audit entry per assignment, with its values, and one for the run
        assert _audit_count(s, "assignment.add") == 36
        assert _audit_count(s, "assignment.auto_run") == 1
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="assignment.add"))
        assert set(entries["actor"]) == {"admin"}
        assert {(e["submission_id"], e["reviewer_id"]) for e in entries["new"]} == pairs
        assert {e["source"] for e in entries["new"]} == {"auto"}


def test_a_second_run_keeps_every_assignment_and_review(db, call, call_config):
    p = call["people"]
    with db.write() as s:
        da.run_auto_assignment(s, k=3, actor="admin")
    with db.write() as s:
        first = _pairs(s)
        sub, reviewer = sorted(first)[0]
        person = next(v for v in p.values() if v.user_id == reviewer)
        submit_review(s, call_config, sub, person)
        newcomers = [make_submission(s, call_config) for _ in range(4)]
    with db.write() as s:
        plan = da.run_auto_assignment(s, k=3, actor="admin")
    with db.read() as s:
        after = _pairs(s)
    assert first <= after
    assert {s_ for s_, _ in plan.new} == set(newcomers)
    with db.write() as s:
        assert da.run_auto_assignment(s, k=3, actor="admin").new == ()


def _admin_steps(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
    with db.read() as s:
        return [step.text for step in build_overview(s, viewer=admin, config=call_config).next_steps]


def test_a_declared_conflict_is_reassigned_by_the_next_run(db, call, call_config):
    with db.write() as s:
        da.run_auto_assignment(s, k=3, actor="admin")
        sub, reviewer = sorted(_pairs(s))[0]
    with db.write() as s:
        da.declare_conflict(s, submission_id=sub, reviewer_id=reviewer, actor="rev", source="reviewer", reason="Mine")
    with db.read() as s:
        overview = da.conflicts_overview(s)
        row = overview.iloc[0]
        assert (row["submission_id"], row["source"], row["reason"], row["reviewers_now"]) == (
            sub,
            "reviewer",
            "Mine",
            2,
        )
        assert bool(row["was_assigned"])
    assert "1 submission lost a reviewer to a declared conflict of interest: reassign them." in _admin_steps(
        db, call_config
    )
    with db.write() as s:
        plan = da.run_auto_assignment(s, k=3, actor="admin")
    assert len(plan.new) == 1 and plan.new[0][0] == sub and plan.new[0][1] != reviewer
    assert not [t for t in _admin_steps(db, call_config) if "conflict" in t]
    with db.read() as s:
        assert da.conflicts_overview(s).iloc[0]["reviewers_now"] == 3
        assert (sub, reviewer) in _pairs(s)  # the conflicted assignment stays on record


def test_conflicts_recorded_in_advance_are_avoided(db, call):
    p = call["people"]
    target = call["subs"][0]
    with db.write() as s:
        for name in ("ann", "ben"):
            da.declare_conflict(s, submission_id=target, reviewer_id=p[name].user_id, actor="admin", source="admin")
        plan = da.run_auto_assignment(s, k=3, actor="admin")
    assert {r for sub, r in plan.new if sub == target} == {p[n].user_id for n in ("cat", "dan", "eve")}


def test_deactivated_reviewers_get_nothing_new(db, call):
    p = call["people"]
    with db.write() as s:
        set_active(s, user_id=p["eve"].user_id, active=False, actor="admin")
        plan = da.run_auto_assignment(s, k=3, actor="admin")
    assert all(r != p["eve"].user_id for _, r in plan.new)


def test_an_impossible_call_reports_which_submission_and_why(db, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config, organisation="Castle Trust", reference="CFE-0900")
        make_user(s, organisation="Castle Trust", name="Ann Castle")
        make_user(s, name="Ben Free")
        plan = da.run_auto_assignment(s, k=2, actor="admin")
    assert len(plan.new) == 1
    (short,) = plan.shortfalls
    assert short.submission_id == sub
    assert short.reason == (
        "Has 1 of 2 reviewers; only 1 eligible reviewer: Ann Castle shares the contributor's organisation."
    )
    with db.read() as s:
        run = audit.list_entries(s, filters=audit.AuditFilter(action="assignment.auto_run")).iloc[0]
        assert run["new"]["short"] == ["CFE-0900"]


# --- by hand -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("ann", "shares the contributor's organisation"),
        ("office", "Only a reviewer"),
        ("gone", "is deactivated"),
        ("conflicted", "conflict of interest"),
        ("full", "at their capacity of 1"),
    ],
)
def test_manual_assignment_refuses_what_the_rules_forbid_and_changes_nothing(db, call, call_config, who, message):
    with db.write() as s:
        people = {
            "ann": call["people"]["ann"],
            "office": make_user(s, role="office"),
            "gone": make_user(s),
            "conflicted": make_user(s),
            "full": make_user(s, capacity=1),
        }
        set_active(s, user_id=people["gone"].user_id, active=False, actor="admin")
        da.declare_conflict(
            s, submission_id=call["castle"], reviewer_id=people["conflicted"].user_id, actor="admin", source="admin"
        )
        assign(s, call["subs"][0], people["full"])
    with db.read() as s:
        before = (_pairs(s), _audit_count(s, "assignment.add"))
    with pytest.raises(da.AssignmentError, match=message), db.write() as s:
        da.add_assignment(s, submission_id=call["castle"], reviewer_id=people[who].user_id, actor="admin")
    with db.read() as s:
        assert (_pairs(s), _audit_count(s, "assignment.add")) == before


def test_manual_add_and_remove_are_audited(db, call):
    dan = call["people"]["dan"]
    with db.write() as s:
        assignment_id = da.add_assignment(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="admin")
        assert da.add_assignment(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="admin") == (
            assignment_id
        )
    with db.write() as s:
        da.remove_assignment(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="admin")
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(entity="assignment"))
        assert list(entries["action"]) == ["assignment.remove", "assignment.add"]
        assert entries.iloc[0]["old"] == {
            "submission_id": call["castle"],
            "reviewer_id": dan.user_id,
            "source": "manual",
            "had_draft": False,
        }
        assert entries.iloc[1]["new"]["reviewer_id"] == dan.user_id


def test_an_assignment_with_a_submitted_review_cannot_be_removed(db, call, call_config):
    dan = call["people"]["dan"]
    with db.write() as s:
        assign(s, call["castle"], dan)
        submit_review(s, call_config, call["castle"], dan)
    with pytest.raises(da.AssignmentError, match="submitted a review"), db.write() as s:
        da.remove_assignment(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="admin")


def test_submission_panel_says_who_may_be_added_and_why_not(db, call):
    p = call["people"]
    with db.write() as s:
        assign(s, call["castle"], p["dan"])
        da.declare_conflict(
            s, submission_id=call["castle"], reviewer_id=p["eve"].user_id, actor="admin", source="admin"
        )
    with db.read() as s:
        panel = {m.reviewer_id: m for m in da.submission_panel(s, submission_id=call["castle"])}
    assert panel[p["dan"].user_id].assigned and panel[p["dan"].user_id].load == 1
    assert "organisation" in panel[p["ann"].user_id].excluded
    assert panel[p["eve"].user_id].conflict == "admin"
    assert "conflict" in panel[p["eve"].user_id].excluded
    assert panel[p["ben"].user_id].excluded is None


# --- conflicts -----------------------------------------------------------------


def test_a_reviewer_declares_a_conflict_only_on_their_own_assignment(db, call):
    with pytest.raises(AccessDenied), db.write() as s:
        da.declare_conflict(
            s, submission_id=call["castle"], reviewer_id=call["people"]["dan"].user_id, actor="dan", source="reviewer"
        )


def test_a_conflict_ends_a_draft_but_not_a_submitted_review(db, call, call_config):
    from data_access.reviews import ReviewDraft, save_review

    dan, eve = call["people"]["dan"], call["people"]["eve"]
    with db.write() as s:
        for person in (dan, eve):
            assign(s, call["castle"], person)
        save_review(
            s,
            submission_id=call["castle"],
            reviewer_id=dan.user_id,
            actor="dan",
            draft=ReviewDraft(scores={"promise": 2}),
            submit=False,
            expected_version=None,
            config=call_config,
        )
        submit_review(s, call_config, call["castle"], eve)
    with db.write() as s:
        da.declare_conflict(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="dan", source="reviewer")
    with pytest.raises(da.AssignmentError, match="must be reopened"), db.write() as s:
        da.declare_conflict(s, submission_id=call["castle"], reviewer_id=eve.user_id, actor="eve", source="reviewer")
    with db.read() as s:
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="conflict.declare")).iloc[0]
        assert entry["new"]["had_draft"] is True and entry["actor"] == "dan"
        progress = review_progress(s).set_index("reviewer_id")
        assert progress.loc[dan.user_id, ["assigned", "conflicts", "drafts", "not_started"]].tolist() == [1, 1, 0, 0]


def test_a_conflict_the_admin_records_sets_a_submitted_review_aside_even_when_closed(db, call, call_config):
    from data_access.reviews import get_own_review, scores_frame

    eve, dan = call["people"]["eve"], call["people"]["dan"]
    with db.write() as s:
        for person in (eve, dan):
            assign(s, call["castle"], person)
            submit_review(s, call_config, call["castle"], person)
        set_reviewing_closed(s, closed=True, actor="admin")
    with db.read() as s:
        counted_before = set(scores_frame(s)["reviewer_id"])
        version_before = get_own_review(s, submission_id=call["castle"], reviewer_id=eve.user_id).version
    assert {eve.user_id, dan.user_id} <= counted_before
    with db.write() as s:
        da.declare_conflict(
            s, submission_id=call["castle"], reviewer_id=eve.user_id, actor="admin", source="admin", reason="Sister"
        )
    with db.read() as s:
        review = get_own_review(s, submission_id=call["castle"], reviewer_id=eve.user_id)
        assert review.status == "draft" and review.version == version_before + 1  # kept, not deleted
        counted = set(scores_frame(s)["reviewer_id"])
        assert eve.user_id not in counted and dan.user_id in counted  # her scores stop counting, his do not
        aside = audit.list_entries(s, filters=audit.AuditFilter(action="review.set_aside")).iloc[0]
        assert aside["actor"] == "admin" and aside["old"] == {"status": "submitted"}
        assert aside["new"] == {"status": "draft"} and "conflict" in aside["detail"]
        declared = audit.list_entries(s, filters=audit.AuditFilter(action="conflict.declare")).iloc[0]
        assert declared["new"]["set_aside_submitted_review"] is True


def test_reviewers_cannot_declare_conflicts_once_reviewing_is_closed(db, call):
    dan = call["people"]["dan"]
    with db.write() as s:
        assign(s, call["castle"], dan)
        set_reviewing_closed(s, closed=True, actor="admin")
    with pytest.raises(da.AssignmentError, match="closed"), db.write() as s:
        da.declare_conflict(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="dan", source="reviewer")


def test_only_conflicts_the_admin_recorded_can_be_withdrawn(db, call):
    dan, eve = call["people"]["dan"], call["people"]["eve"]
    with db.write() as s:
        assign(s, call["castle"], dan)
        da.declare_conflict(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="dan", source="reviewer")
        da.declare_conflict(
            s, submission_id=call["castle"], reviewer_id=eve.user_id, actor="admin", source="admin", reason=" Family "
        )
    with pytest.raises(da.AssignmentError, match="declared this conflict themselves"), db.write() as s:
        da.withdraw_conflict(s, submission_id=call["castle"], reviewer_id=dan.user_id, actor="admin")
    with db.write() as s:
        da.withdraw_conflict(s, submission_id=call["castle"], reviewer_id=eve.user_id, actor="admin")
    with db.read() as s:
        assert list(da.conflicts_overview(s)["reviewer_id"]) == [dan.user_id]
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="conflict.withdraw")).iloc[0]
        assert entry["old"] == {
            "submission_id": call["castle"],
            "reviewer_id": eve.user_id,
            "source": "admin",
            "reason": "Family",
        }
