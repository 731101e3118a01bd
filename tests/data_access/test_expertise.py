"""Expertise and bids in the database, on both backends: stored, audited as a
fact, private to their reviewer, a conflict bid is a declared conflict, and
the automatic assignment follows them."""

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from data_access import assignments as da
from data_access import expertise as ex
from data_access.bid_models import ReviewerExpertise, SubmissionBid
from data_access.errors import AccessDenied
from data_access.models import AuditEntry, ConflictOfInterest
from data_access.users import set_active
from tests.factories import assign, make_submission, make_user


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        subs = [make_submission(s, call_config, organisation=f"Org {i}") for i in range(6)]
        anonymous = make_submission(s, call_config, organisation="Hidden Refuge", anonymous=True)
        castle = make_submission(s, call_config, organisation="The Castle Trust")
        people = {
            "ann": make_user(s, organisation="Castle Trust"),
            "ben": make_user(s),
            "cat": make_user(s),
            "admin": make_user(s, role="admin"),
            "office": make_user(s, role="office"),
        }
    return {"subs": subs, "anonymous": anonymous, "castle": castle, "people": people}


def _audit(session, action):
    """(new, old, detail) of each entry of `action`."""
    stmt = select(AuditEntry.new, AuditEntry.old, AuditEntry.detail).where(AuditEntry.action == action)
    return [tuple(row) for row in session.execute(stmt)]


def test_bids_are_stored_read_back_by_their_reviewer_only_and_audited_as_a_fact(db, call, call_config):
    ann, ben = call["people"]["ann"], call["people"]["ben"]
    s1, s2 = call["subs"][:2]
    with db.write() as s:
        counts = ex.set_bids(s, ann, {s1: (None, "eager"), s2: (None, "rather_not")})
    assert counts["eager"] == counts["rather_not"] == 1
    with db.read() as s:
        mine = {r.submission_id: r.bid for r in ex.bid_list(s, ann, call_config)}
        theirs = {r.submission_id: r.bid for r in ex.bid_list(s, ben, call_config)}
        entries = _audit(s, "bid.update")
    assert mine[s1] == "eager" and mine[s2] == "rather_not"
    assert set(theirs.values()) == {None}  # another reviewer never sees them
    assert len(entries) == 1
    # the fact and a count: not which submissions, not the levels
    assert entries[0] == ({"changed": 2}, None, "2 bids changed")
    # changed and cleared
    with db.write() as s:
        ex.set_bids(s, ann, {s1: ("eager", "willing"), s2: ("rather_not", None)})
    with db.read() as s:
        rows = s.execute(select(SubmissionBid.submission_id, SubmissionBid.level, SubmissionBid.version)).all()
    assert rows == [(s1, "willing", 2)]


def test_a_stale_or_bad_bid_changes_nothing(db, call):
    ann = call["people"]["ann"]
    s1, s2 = call["subs"][:2]
    with db.write() as s:
        ex.set_bids(s, ann, {s1: (None, "eager")})
    bad = [
        ({s2: (None, "willing"), s1: (None, "willing")}, "changed elsewhere"),  # s1 was eager when saved
        ({s2: (None, "keen")}, "not a bid"),
        ({call["castle"]: (None, "eager")}, "cannot be assigned to you"),  # ann shares its organisation
        ({10**6: (None, "eager")}, "cannot be assigned to you"),
    ]
    for changes, words in bad:
        with pytest.raises(ex.BidError, match=words), db.write() as s:
            ex.set_bids(s, ann, changes)
    with db.read() as s:
        assert s.execute(select(SubmissionBid.submission_id, SubmissionBid.level)).all() == [(s1, "eager")]
        assert len(_audit(s, "bid.update")) == 1


def test_a_conflict_bid_is_a_declared_conflict_and_ends_an_assignment_as_declaring_one_does(db, call, call_config):
    ben, cat = call["people"]["ben"], call["people"]["cat"]
    target = call["subs"][0]
    with db.write() as s:
        assign(s, target, ben)
        assign(s, target, cat)
    with db.write() as s:
        ex.set_bids(s, ben, {target: (None, "conflict")})
        da.declare_conflict(s, submission_id=target, reviewer_id=cat.user_id, actor=cat.username, source="reviewer")
    with db.read() as s:
        rows = s.execute(select(ConflictOfInterest.reviewer_id, ConflictOfInterest.source)).all()
        assert sorted(rows) == sorted([(ben.user_id, "reviewer"), (cat.user_id, "reviewer")])
        loads = da.reviewer_loads(s)
        assert loads.get(ben.user_id, 0) == loads.get(cat.user_id, 0) == 0  # neither assignment stands
        overview = da.conflicts_overview(s)
        assert set(overview["was_assigned"]) == {True}
        assert len(_audit(s, "conflict.declare")) == 2
        assert {r.submission_id: r.bid for r in ex.bid_list(s, ben, call_config)}[target] == "conflict"
        # the next run never gives it back
        plan = da.plan_assignments(s, k=3, fit=ex.fit_input(s, call_config))
    assert (target, ben.user_id) not in plan.new
    # a conflict stands: it cannot be bid away
    with pytest.raises(ex.BidError, match="conflict of interest"), db.write() as s:
        ex.set_bids(s, ben, {target: ("conflict", "eager")})
    # an unassigned submission takes a conflict bid too
    other = call["subs"][1]
    with db.write() as s:
        ex.set_bids(s, ben, {other: (None, "conflict")})
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConflictOfInterest)) == 3


@pytest.mark.parametrize("who", ["admin", "office", "deactivated", "other reviewer in conflict"])
def test_only_an_active_reviewer_bids_and_only_on_their_own_behalf(db, call, call_config, who):
    people, target = call["people"], call["subs"][0]
    viewer = people["cat"] if who == "deactivated" else people.get(who, people["ben"])
    if who == "deactivated":
        with db.write() as s:
            set_active(s, user_id=viewer.user_id, active=False, actor=people["admin"].username)
    if who == "other reviewer in conflict":
        with db.write() as s:
            ex.set_bids(s, viewer, {target: (None, "conflict")})
        with pytest.raises(ex.BidError, match="conflict of interest"), db.write() as s:
            ex.set_bids(s, viewer, {target: ("conflict", None)})
        return
    calls = [
        lambda s: ex.bid_list(s, viewer, call_config),
        lambda s: ex.set_bids(s, viewer, {target: (None, "eager")}),
        lambda s: ex.my_expertise(s, viewer),
        lambda s: ex.set_expertise(s, viewer, call_config, keys=["advocacy"], seen=[]),
    ]
    for fn in calls:
        with pytest.raises(AccessDenied), db.write() as s:
            fn(s)
    with db.read() as s:
        assert not s.scalar(select(func.count()).select_from(SubmissionBid))
        assert not s.scalar(select(func.count()).select_from(ReviewerExpertise))


@pytest.mark.parametrize("who", ["ben", "office", "deactivated admin"])
def test_only_the_admin_sees_fit_and_only_as_counts(db, call, call_config, who):
    people = call["people"]
    with db.write() as s:
        ex.set_bids(s, people["ben"], {call["subs"][0]: (None, "eager"), call["subs"][1]: (None, "rather_not")})
        assign(s, call["subs"][0], people["ben"])
    viewer = people["admin"] if who == "deactivated admin" else people[who]
    if who == "deactivated admin":
        with db.write() as s:
            other = make_user(s, role="admin")
            set_active(s, user_id=viewer.user_id, active=False, actor=other.username)
    with pytest.raises(AccessDenied), db.read() as s:
        ex.reviewer_fit(s, viewer, call_config)
    with db.read() as s:
        fit = ex.reviewer_fit(s, people["admin"] if who != "deactivated admin" else other, call_config)
    ben = fit[people["ben"].user_id]
    assert (ben.eager, ben.willing, ben.no_bid, ben.rather_not) == (1, 0, 0, 0)
    assert not hasattr(ben, "submissions")  # figures only


def test_the_bid_list_shows_what_a_reviewer_may_see_before_assignment(db, call, call_config):
    ann = call["people"]["ann"]
    with db.read() as s:
        rows = {r.submission_id: r for r in ex.bid_list(s, ann, call_config)}
        blind = {r.submission_id: r for r in ex.bid_list(s, ann, dataclasses.replace(call_config, blind_review=True))}
    assert call["castle"] not in rows  # her own organisation's: never hers to review, not listed
    assert rows[call["anonymous"]].organisation == "(anonymous)"
    assert "Hidden Refuge" not in repr(list(rows.values()))
    assert rows[call["subs"][0]].organisation == "Org 0"
    assert {r.organisation for r in blind.values()} <= {"(anonymous)", "(hidden)"}
    assert all(r.themes and r.focus_areas and len(r.summary) <= ex.SUMMARY_CHARS for r in rows.values())


def test_expertise_is_checked_stored_and_audited(db, call, call_config):
    ben = call["people"]["ben"]
    with pytest.raises(ex.BidError, match="Not a theme or focus area"), db.write() as s:
        ex.set_expertise(s, ben, call_config, keys=["advocacy", "astrology"], seen=[])
    with db.write() as s:
        ex.set_expertise(s, ben, call_config, keys=["advocacy", "sources_of_harm"], seen=[])
    with pytest.raises(ex.BidError, match="changed elsewhere"), db.write() as s:
        ex.set_expertise(s, ben, call_config, keys=["guardianship"], seen=[])
    with db.read() as s:
        assert ex.my_expertise(s, ben) == {"advocacy", "sources_of_harm"}
        entries = _audit(s, "expertise.update")
    assert len(entries) == 1 and "advocacy" not in json.dumps(list(entries[0]))


def test_the_automatic_run_follows_bids_and_expertise(db, call, call_config):
    people = call["people"]
    ben, cat = people["ben"], people["cat"]
    subs = call["subs"]
    with db.write() as s:
        ex.set_bids(s, ben, {subs[0]: (None, "eager"), subs[1]: (None, "rather_not")})
        ex.set_bids(s, cat, {subs[1]: (None, "willing")})
    with db.write() as s:
        plan = da.run_auto_assignment(s, k=1, actor="admin", fit=ex.fit_input(s, call_config))
        blind = da.plan_assignments(s, k=1)  # nothing left to add
    assert not blind.new
    assert (subs[0], ben.user_id) in plan.new and (subs[1], cat.user_id) in plan.new
    assert (subs[1], ben.user_id) not in plan.new
    with db.read() as s:
        fit = ex.reviewer_fit(s, people["admin"], call_config)
    assert fit[ben.user_id].eager == 1 and fit[ben.user_id].rather_not == 0
