"""The line-up's state after replies: counts, and each rule checked on the confirmed presenters with the
selection package's own checks (now, and if the awaiting accept)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.replies import (
    ACCEPTED_IN_PERSON,
    ACCEPTED_VIRTUAL,
    AT_RISK,
    AWAITING,
    BROKEN,
    DECLINED,
    KEPT,
    NO_REPLY_BY_DEADLINE,
    REPLY_STATES,
    WAITING,
    Invitation,
    ReplyCounts,
    balance_report,
    confirmed_members,
    reply_counts,
    reply_label,
    reply_state,
)
from scoring.selection import SelectionRules, rule_violations

NOW = dt.datetime(2021, 10, 1, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=7)
EARLIER = NOW - dt.timedelta(days=1)
LABELS = {"themes": {"t1": "Victim identification", "t2": "Prevention"}}


def cand(sid, *, pref="either", themes=("t1",), sector="s1", source="practitioner", anonymous=False, score=3.0):
    return {
        "submission_id": sid,
        "reference": f"CFE-{sid:04d}",
        "score": score,
        "anonymous": anonymous,
        "presentation_preference": pref,
        "themes": list(themes),
        "exploitation_types": ["f1"],
        "sector": sector,
        "evidence_source": source,
        "organisation": f"Organisation {sid}",
    }


CANDIDATES = pd.DataFrame(
    [
        cand(1, themes=("t1",)),
        cand(2, themes=("t2",)),
        cand(3, themes=("t1", "t2"), source="survivor_led"),
        cand(4, themes=("t2",)),
        cand(5, themes=("t1",), anonymous=True),
    ]
)
RULES = SelectionRules(
    slots=3, max_in_person=2, max_virtual=2, min_per_theme=1, min_survivor_involved=1, themes=("t1", "t2")
)


def inv(sid, status=AWAITING, fmt="in_person", deadline=LATER):
    return Invitation(
        submission_id=sid, reference=f"CFE-{sid:04d}", format_offered=fmt, status=status, deadline=deadline
    )


def by_family(report):
    return {r.family: r for r in report.rules}


def test_counts_add_up_and_a_passed_deadline_is_no_reply():
    invitations = [
        inv(1, ACCEPTED_IN_PERSON),
        inv(2, ACCEPTED_VIRTUAL, "virtual"),
        inv(3, DECLINED),
        inv(4, AWAITING),
        inv(5, AWAITING, deadline=EARLIER),
        inv(6, AWAITING, deadline=None),
        inv(7, ACCEPTED_IN_PERSON, "virtual", deadline=EARLIER),  # replied before the deadline: still accepted
    ]
    counts = reply_counts(invitations, NOW)
    assert counts == ReplyCounts(
        invited=7, accepted_in_person=2, accepted_virtual=1, declined=1, awaiting=2, no_reply_by_deadline=1
    )
    assert counts.sentence() == (
        "7 invited: 3 accepted (2 in person, 1 virtual), 1 declined, 2 awaiting, 1 no reply by the deadline."
    )
    assert [reply_label(i, NOW) for i in invitations[3:6]] == [
        "Awaiting reply",
        "No reply by the deadline",
        "Awaiting reply",
    ]
    assert confirmed_members(invitations) == {1: "in_person", 2: "virtual", 7: "in_person"}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(REPLY_STATES), st.sampled_from([None, EARLIER, LATER])), max_size=12))
def test_counts_partition_the_invited(replies):
    invitations = [inv(i, s, deadline=d) for i, (s, d) in enumerate(replies, start=1)]
    c = reply_counts(invitations, NOW)
    assert c.invited == len(replies)
    assert c.accepted_in_person + c.accepted_virtual + c.declined + c.awaiting + c.no_reply_by_deadline == c.invited
    assert c.no_reply_by_deadline == sum(1 for s, d in replies if s == AWAITING and d == EARLIER)


def test_everyone_accepted_keeps_every_rule():
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(2, ACCEPTED_VIRTUAL, "virtual"), inv(3, ACCEPTED_IN_PERSON)]
    report = balance_report(CANDIDATES, RULES, invitations, now=NOW, labels=LABELS)
    assert report.keeps_every_rule
    assert [(r.family, r.status) for r in report.rules] == [
        ("slots", KEPT),
        ("in_person", KEPT),
        ("virtual", KEPT),
        ("theme", KEPT),
        ("survivor", KEPT),
    ]  # only the rules these settings switch on
    assert report.rules[0].rule == "exactly 3 presenters"


def test_a_decline_breaks_what_only_the_decliner_kept():
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(2, ACCEPTED_VIRTUAL, "virtual"), inv(3, DECLINED)]
    report = balance_report(CANDIDATES, RULES, invitations, now=NOW, labels=LABELS)
    rules = by_family(report)
    assert not report.keeps_every_rule
    assert rules["slots"].status == BROKEN
    assert rules["slots"].now == ("The line-up has 2 presenters, not 3.",)
    assert rules["survivor"].status == BROKEN
    assert rules["survivor"].if_awaiting_accept == ("Only 0 survivor-led or survivor-informed, fewer than 1.",)
    assert rules["theme"].status == KEPT
    assert report.counts.declined == 1


def test_awaiting_replies_are_waiting_and_a_passed_deadline_is_not_counted_on():
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(2, ACCEPTED_VIRTUAL, "virtual"), inv(3, AWAITING)]
    rules = by_family(balance_report(CANDIDATES, RULES, invitations, now=NOW, labels=LABELS))
    assert rules["slots"].status == WAITING
    assert rules["slots"].status_label == "kept if the awaiting presenters accept"
    assert rules["survivor"].status == WAITING and rules["survivor"].if_awaiting_accept == ()
    late = [*invitations[:2], inv(3, AWAITING, deadline=EARLIER)]
    rules = by_family(balance_report(CANDIDATES, RULES, late, now=NOW, labels=LABELS))
    assert rules["slots"].status == BROKEN and rules["survivor"].status == BROKEN


def test_a_format_changed_on_acceptance_puts_a_cap_at_risk():
    # 1 was offered a virtual place but accepted in person; 3 is still offered in person; the cap is 1.
    rules = dataclasses.replace(RULES, max_in_person=1)
    invitations = [inv(1, ACCEPTED_IN_PERSON, "virtual"), inv(2, ACCEPTED_VIRTUAL, "virtual"), inv(3, AWAITING)]
    report = by_family(balance_report(CANDIDATES, rules, invitations, now=NOW, labels=LABELS))
    assert report["in_person"].status == AT_RISK
    assert report["in_person"].now == ()
    assert report["in_person"].if_awaiting_accept == ("2 in person, more than 1.",)


def test_the_words_are_exactly_the_selection_checks():
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(4, ACCEPTED_VIRTUAL, "virtual"), inv(3, DECLINED), inv(2, DECLINED)]
    report = balance_report(CANDIDATES, RULES, invitations, now=NOW, labels=LABELS)
    said = [w for r in report.rules for w in r.now]
    assert said == rule_violations(CANDIDATES, RULES, report.confirmed, labels=LABELS)
    assert "Only 0 on the theme" not in " ".join(said)  # 1 covers t1, 4 covers t2


def test_a_confirmed_presenter_who_became_anonymous_is_named():
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(5, ACCEPTED_IN_PERSON), inv(3, ACCEPTED_VIRTUAL, "virtual")]
    report = balance_report(CANDIDATES, RULES, invitations, now=NOW, labels=LABELS)
    assert report.member_problems == ("CFE-0005 cannot be selected now: anonymous.",)
    assert not report.keeps_every_rule


@pytest.mark.parametrize(
    ("invitations", "now", "message"),
    [
        ([inv(1, "maybe")], NOW, "CFE-0001 has an unknown reply 'maybe'."),
        ([inv(1), inv(1)], NOW, "CFE-0001 has two invitations."),
        ([inv(1, fmt="hybrid")], NOW, "CFE-0001 was offered an unknown format 'hybrid'."),
        ([inv(1, deadline=dt.datetime(2021, 10, 2))], NOW, "CFE-0001's deadline needs its time zone."),
        ([inv(1)], dt.datetime(2021, 10, 1), "The time now needs its time zone."),
    ],
)
def test_bad_input_is_refused_in_words(invitations, now, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        balance_report(CANDIDATES, RULES, invitations, now=now)


def test_the_deadline_is_passed_from_its_very_moment_as_the_programme_page_says():
    """The deadline is when the reply-by day is over: at that moment the Programme page
    (`invitations.invitation_state`) says "No reply by the deadline", and so must this count."""
    from data_access.invitations import deadline_end, invitation_state

    reply_by = dt.date(2021, 10, 1)
    end = deadline_end(reply_by)
    for moment, expected in ((end - dt.timedelta(microseconds=1), AWAITING), (end, NO_REPLY_BY_DEADLINE)):
        state = reply_state(inv(1, AWAITING, deadline=end), moment)
        assert state == expected
        assert (invitation_state("pending", None, reply_by, moment) == "no_reply") == (expected == NO_REPLY_BY_DEADLINE)


def test_pins_and_exclusions_are_not_balance_rules_after_replies():
    """A pinned presenter still awaiting a reply (or who declined) is said by the replies; the balance
    lists the call's rules only, never "pinned but not in the line-up" (seen after a replacement)."""
    rules = dataclasses.replace(RULES, pinned=(3,), excluded=(5,))
    invitations = [inv(1, ACCEPTED_IN_PERSON), inv(2, ACCEPTED_VIRTUAL, "virtual"), inv(3, AWAITING)]
    report = balance_report(CANDIDATES, rules, invitations, now=NOW, labels=LABELS)
    assert [r.family for r in report.rules] == ["slots", "in_person", "virtual", "theme", "survivor"]
    said = " ".join(w for r in report.rules for w in (*r.now, *r.if_awaiting_accept))
    assert "pinned" not in said
