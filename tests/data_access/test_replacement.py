"""Replacements after declines (data_access.replacement): the proposal is the best line-up with
the accepted kept in their format, those awaiting kept in the format offered, and the declined out
(proven against brute force on small cases); confirming saves a new version, signs it off, audits
the rule costs and invites the newcomers, in one transaction; stale, unproposed, doubled and
unauthorised confirmations change nothing. Both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import threading

import pytest
from sqlalchemy import delete, select, update

from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access import replacement, signoff
from data_access.models import LineUp, LineUpMember, OutboxMessage, PresenterInvitation, Submission, utcnow
from data_access.submissions import AccessDenied
from data_access.users import set_active
from scoring.selection import ABLE_TO_DO, SCORE_UNIT, labels_from_config, prepare_candidates
from scoring.selection.checks import line_up_checker
from tests.data_access.test_invitations import (  # noqa: F401 (call, invited, saved: fixtures)
    REPLY_BY,
    actions,
    call,
    invited,
    mint,
    saved,
    sign_off_and_invite,
)
from tests.data_access.test_lineups import propose
from tests.data_access.test_tokens import settings_for
from tests.factories import make_submission, make_user, scores_frame_for
from tests.support.dbdump import table_contents


def answer(db, admin, line_up_id, reference, choice):
    """The admin records `choice` for `reference`'s invitation."""
    with db.write() as s:
        [row] = [r for r in inv.list_invitations(s, line_up_id=line_up_id) if r.reference == reference]
        inv.record_reply(s, viewer=admin, invitation_id=row.id, choice=choice, expected_version=row.version)


def proposed(db, call_config, viewer, line_up_id, scores) -> replacement.Replacement:
    with db.read() as s:
        return replacement.propose_replacement(
            s, viewer=viewer, line_up_id=line_up_id, config=call_config, scores=scores
        )


def confirm(db, call_config, viewer, shown: replacement.Replacement, scores, *, entering=None, reply_by=REPLY_BY):
    with db.write() as s:
        return replacement.confirm_replacement(
            s,
            viewer=viewer,
            line_up_id=shown.line_up_id,
            expected_version=shown.version,
            expected_invitations=shown.expected_invitations,
            entering=[e.submission_id for e in shown.entering] if entering is None else entering,
            reply_by=reply_by,
            settings=settings_for(),
            config=call_config,
            scores=scores,
        )


# --- the proposal -------------------------------------------------------------------


def test_nothing_is_proposed_when_nobody_declined(db, call_config, request):
    setup, line_up = request.getfixturevalue("call"), request.getfixturevalue("saved")
    request.getfixturevalue("invited")
    answer(db, setup["admin"], line_up.id, line_up.members[0].reference, "in_person")
    shown = proposed(db, call_config, setup["office"], line_up.id, setup["scores"])
    assert shown.proposal is None and not shown.can_confirm and shown.declined == ()
    assert shown.message == replacement.NOBODY_DECLINED
    before = table_contents(db)
    with pytest.raises(replacement.ReplacementError, match=r"Nobody .* has declined"):
        confirm(db, call_config, setup["admin"], shown, setup["scores"])
    assert table_contents(db) == before


def brute_force(db, call_config, line_up_id, scores) -> float:
    """The best total over every line-up of the remaining candidates that keeps every rule, found by
    trying each set of newcomers and each of their formats (kept presenters in their format)."""
    with db.read() as s:
        frame = lineups_da.candidate_frame(s, scores=scores)
        record = lineups_da.get_line_up(s, line_up_id=line_up_id)
        rows = {r.submission_id: r for r in inv.list_invitations(s, line_up_id=line_up_id)}
    kept = {}
    for m in record.members:
        row = rows[m.submission_id]
        if row.status == "accepted":
            kept[m.submission_id] = row.reply_format
        elif row.status == "pending":
            kept[m.submission_id] = row.format_offered
    declined = {m.submission_id for m in record.members} - set(kept)
    rules = lineups_da.rules_of(record)
    rules = dataclasses.replace(
        rules, pinned=tuple(sorted(kept)), excluded=tuple(sorted(set(rules.excluded) | declined))
    )
    frame["presentation_preference"] = [
        kept.get(int(sid), pref)
        for sid, pref in zip(frame["submission_id"], frame["presentation_preference"], strict=True)
    ]
    prepared = prepare_candidates(frame).set_index("submission_id")
    pool = [
        int(sid)
        for sid, row in prepared.iterrows()
        if not row["why_not"] and int(sid) not in kept and int(sid) not in rules.excluded
    ]
    breaks = line_up_checker(frame, rules, labels=labels_from_config(call_config))  # rule_violations, prepared once
    best = float("-inf")
    for newcomers in itertools.combinations(pool, rules.slots - len(kept)):
        options = [ABLE_TO_DO[prepared.loc[sid, "presentation_preference"]] for sid in newcomers]
        for formats in itertools.product(*options):
            members = kept | dict(zip(newcomers, formats, strict=True))
            if not breaks(members):
                total = sum(round(prepared.loc[sid, "score"] / SCORE_UNIT) for sid in members) * SCORE_UNIT
                best = max(best, total)
    return best


@pytest.fixture(params=[1, 2, 4, 5, 6, 7])
def small(request, db, call_config):
    """Ten random submissions, a line-up of four with caps of two in person and three virtual, signed
    off and invited; one or two presenters declined, one accepted, the others awaiting."""
    rng = random.Random(request.param)
    themes = call_config.vocabulary("themes").ids
    forms = call_config.vocabulary("exploitation_types").ids
    with db.write() as s:
        admin = make_user(s, role="admin")
        ids = []
        for i in range(10):
            theme = rng.choice(themes)
            ids.append(
                make_submission(
                    s,
                    call_config,
                    title=f"Evidence {i}",
                    themes=[theme],
                    focus_areas=["perpetrators"] if theme == "sources_of_harm" else ["advocacy"],
                    exploitation_types=[rng.choice(forms)],
                    sector=rng.choice(["police", "ngo", "health"]),
                    evidence_source=rng.choice(["survivor_led", "practitioner", "practitioner"]),
                    presentation_preference=rng.choice(["in_person", "virtual", "either", "either"]),
                    organisation=f"Organisation {rng.randrange(7)}",
                    contact_email=f"contact{i}@example.org",
                )
            )
    scores = scores_frame_for(call_config, {sid: round(rng.uniform(2.0, 5.0), 2) for sid in ids})
    rules = {
        "slots": 4,
        "max_in_person": 2,
        "max_virtual": 3,
        "min_per_theme": 1,
        "one_per_exploitation_type": False,
        "min_survivor_involved": 1,
        "max_per_sector": 2,
        "max_per_organisation": 1,
    }
    result = propose(db, call_config, scores, **rules)
    assert result.feasible  # the seeds are chosen so that a line-up exists
    with db.write() as s:
        record = lineups_da.save_line_up(s, viewer=admin, name="Small", result=result, scores=scores)
        signoff.sign_off(s, viewer=admin, line_up_id=record.id, expected_version=1)
        inv.invite_all(
            s, viewer=admin, line_up_id=record.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    members = list(record.members)
    answer(db, admin, record.id, members[1].reference, members[1].format)
    answer(db, admin, record.id, members[0].reference, "declined")
    if request.param % 2 == 0:
        answer(db, admin, record.id, members[3].reference, "declined")
    return {"admin": admin, "id": record.id, "scores": scores, "members": members}


def test_a_declines_proposal_equals_brute_force_over_the_remaining_candidates(db, call_config, small):
    shown = proposed(db, call_config, small["admin"], small["id"], small["scores"])
    best = brute_force(db, call_config, small["id"], small["scores"])
    if best == float("-inf"):  # no replacement keeps every rule: said, and the best without them proposed
        assert shown.proposal.relaxed
        return
    assert shown.proposal.keeps_every_rule
    assert shown.proposal.objective == pytest.approx(best, abs=1e-6)
    members = [m.submission_id for m in small["members"]]
    declined = {members[0]} | ({members[3]} if len(shown.declined) == 2 else set())
    assert not declined & set(shown.proposal.members)
    assert {e.submission_id for e in shown.entering} == set(shown.proposal.members) - set(members)
    assert len(shown.entering) == len(declined)
    accepted = small["members"][1]
    assert shown.proposal.members[accepted.submission_id] == accepted.format  # kept in the format accepted


# --- confirming -----------------------------------------------------------------------


@pytest.fixture
def declined(request, db):
    """The `call` fixture's line-up signed off and invited; its first presenter declined, the second
    accepted in person. (call, saved line-up, the member who declined)"""
    setup, line_up = request.getfixturevalue("call"), request.getfixturevalue("saved")
    request.getfixturevalue("invited")
    answer(db, setup["admin"], line_up.id, line_up.members[0].reference, "declined")
    answer(db, setup["admin"], line_up.id, line_up.members[1].reference, "in_person")
    return setup, line_up, line_up.members[0]


def test_confirming_saves_a_new_version_signed_off_by_the_admin_and_invites_the_newcomer(db, call_config, declined):
    setup, line_up, member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    assert shown.can_confirm and shown.declined == (member.reference,)
    [newcomer] = shown.entering
    done = confirm(db, call_config, setup["admin"], shown, setup["scores"])
    assert done.version == 2 and done.entering == (newcomer.reference,) and done.invited == (newcomer.reference,)
    with db.read() as s:
        record = lineups_da.get_line_up(s, line_up_id=line_up.id)
        signed = signoff.current_sign_off(s, line_up_id=line_up.id)
        rows = {r.reference: r for r in inv.list_invitations(s, line_up_id=line_up.id)}
        queued = s.scalars(
            select(Submission.reference)
            .join(OutboxMessage, OutboxMessage.submission_id == Submission.id)
            .where(OutboxMessage.purpose == inv.PURPOSE)
        ).all()
    assert record.version == 2 and member.submission_id not in {m.submission_id for m in record.members}
    assert {m.reference: m.format for m in record.members}[newcomer.reference] == newcomer.format
    assert signed.version == 2 and signed.signed_off_by == setup["admin"].username
    assert rows[member.reference].state == "declined"  # the decline stays
    assert rows[newcomer.reference].state == "awaiting" and rows[newcomer.reference].format_offered == newcomer.format
    assert rows[newcomer.reference].reply_by == REPLY_BY
    assert sorted(queued).count(newcomer.reference) == 1 and len(queued) == len(line_up.members) + 1
    [entry] = actions(db, "line_up.replacement")
    assert entry["actor"] == setup["admin"].username and entry["new"]["version"] == 2
    assert entry["new"]["entering"] == [{"reference": newcomer.reference, "format": newcomer.format}]
    assert entry["old"]["declined"] == [member.reference]
    assert [c["rule"] for c in entry["new"]["rule_costs"]] == [c.rule for c in shown.proposal.rule_changes]
    assert [e["new"]["version"] for e in actions(db, "line_up.sign_off")] == [2, 1]
    assert len(actions(db, "invitation.create")) == len(line_up.members) + 1


def test_when_the_only_survivor_led_presenter_declines_the_rule_is_relaxed_in_words_and_can_be_confirmed(
    db, call_config, request
):
    setup, line_up = request.getfixturevalue("call"), request.getfixturevalue("saved")
    request.getfixturevalue("invited")
    survivor = next(m for m in line_up.members if m.submission_id == setup["ids"][7])  # the only survivor-led one
    answer(db, setup["admin"], line_up.id, survivor.reference, "declined")
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    assert shown.proposal.feasible and not shown.proposal.keeps_every_rule and shown.can_confirm
    assert any("survivor" in b.message for b in shown.proposal.relaxed)
    assert any(c.relaxed for c in shown.proposal.rule_changes)
    assert set(shown.rule_costs()["Kept"]) >= {"no: relaxed (see below)"}
    confirm(db, call_config, setup["admin"], shown, setup["scores"])
    [entry] = actions(db, "line_up.replacement")
    assert entry["new"]["relaxed"] == [b.message for b in shown.proposal.relaxed]


def test_presenters_with_no_reply_by_the_deadline_are_kept_in_the_format_offered(db, call_config, declined):
    setup, line_up, member = declined
    after = dt.datetime.combine(REPLY_BY + dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)
    with db.read() as s:
        assert {r.state for r in inv.list_invitations(s, line_up_id=line_up.id, now=after)} >= {"no_reply"}
        shown = replacement.propose_replacement(
            s, viewer=setup["admin"], line_up_id=line_up.id, config=call_config, scores=setup["scores"], now=after
        )
    waiting = {m.submission_id: m.format for m in line_up.members[2:]}
    assert {sid: shown.proposal.members[sid] for sid in waiting} == waiting
    assert member.submission_id not in shown.proposal.members and len(shown.entering) == 1


def test_a_second_decline_is_replaced_without_inviting_anyone_twice(db, call_config, declined):
    setup, line_up, member = declined
    first = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    confirm(db, call_config, setup["admin"], first, setup["scores"])
    answer(db, setup["admin"], line_up.id, first.entering[0].reference, "declined")
    second = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    assert second.declined == (first.entering[0].reference,)
    assert member.submission_id not in {e.submission_id for e in second.entering}  # never proposed again
    if second.can_confirm:
        done = confirm(db, call_config, setup["admin"], second, setup["scores"])
        assert set(done.invited) == {e.reference for e in second.entering}
    with db.read() as s:
        invited_ids = s.scalars(select(PresenterInvitation.submission_id)).all()
    assert len(invited_ids) == len(set(invited_ids))


def test_a_stale_proposal_is_refused_and_nothing_changes(db, call_config, declined):
    setup, line_up, _member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    answer(db, setup["admin"], line_up.id, line_up.members[2].reference, "virtual")  # a reply came in since
    before = table_contents(db)
    with pytest.raises(replacement.StaleReplacement, match="changed since the proposal was shown"):
        confirm(db, call_config, setup["admin"], shown, setup["scores"])
    assert table_contents(db) == before
    fresh = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    stale_version = dataclasses.replace(fresh, version=fresh.version - 1)
    with pytest.raises(replacement.StaleReplacement):
        confirm(db, call_config, setup["admin"], stale_version, setup["scores"])
    assert table_contents(db) == before


def test_confirming_twice_is_refused_the_second_time(db, call_config, declined):
    setup, line_up, _member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    confirm(db, call_config, setup["admin"], shown, setup["scores"])
    before = table_contents(db)
    with pytest.raises(replacement.StaleReplacement):
        confirm(db, call_config, setup["admin"], shown, setup["scores"])
    assert table_contents(db) == before


def test_an_entering_presenter_not_proposed_is_refused(db, call_config, declined):
    setup, line_up, member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    members = {m.submission_id for m in line_up.members}
    other = [sid for sid in setup["ids"] if sid not in members and sid != shown.entering[0].submission_id]
    before = table_contents(db)
    for entering in ([other[0]], [member.submission_id], [], [shown.entering[0].submission_id, other[0]]):
        with pytest.raises(replacement.ReplacementError, match="the best replacement is no longer"):
            confirm(db, call_config, setup["admin"], shown, setup["scores"], entering=entering)
    assert table_contents(db) == before


def test_when_the_scores_change_the_proposal_shown_is_refused(db, call_config, declined):
    setup, line_up, _member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    [newcomer] = shown.entering
    scores = setup["scores"].copy()
    scores.loc[newcomer.submission_id, "overall_calibrated"] = 0.5  # it is no longer the best
    before = table_contents(db)
    with pytest.raises(replacement.ReplacementError, match=f"no longer {newcomer.reference} but"):
        confirm(db, call_config, setup["admin"], shown, scores)
    assert table_contents(db) == before


def test_a_reply_by_date_that_has_passed_changes_nothing(db, call_config, declined):
    setup, line_up, _member = declined
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    before = table_contents(db)
    with pytest.raises(inv.InvitationError, match="at least a day away"):
        confirm(db, call_config, setup["admin"], shown, setup["scores"], reply_by=utcnow().date())
    assert table_contents(db) == before


@pytest.mark.parametrize("who", ["office", "reviewer", "deactivated admin"])
def test_only_an_active_admin_may_confirm(db, call_config, declined, who):
    setup, line_up, _member = declined
    shown = proposed(db, call_config, setup["office"], line_up.id, setup["scores"])
    assert shown.can_confirm  # the office sees the proposal
    with db.write() as s:
        viewer = setup["office"] if who == "office" else make_user(s, role="reviewer" if who == "reviewer" else "admin")
        if who == "deactivated admin":
            set_active(s, user_id=viewer.user_id, active=False, actor="test")
    before = table_contents(db)
    with pytest.raises(AccessDenied):
        confirm(db, call_config, viewer, shown, setup["scores"])
    assert table_contents(db) == before


@pytest.mark.parametrize("who", ["reviewer", "deactivated admin"])
def test_only_staff_see_a_proposal(db, call_config, declined, who):
    setup, line_up, _member = declined
    with db.write() as s:
        viewer = make_user(s, role="reviewer" if who == "reviewer" else "admin")
        if who == "deactivated admin":
            set_active(s, user_id=viewer.user_id, active=False, actor="test")
    with pytest.raises(AccessDenied):
        proposed(db, call_config, viewer, line_up.id, setup["scores"])


def test_two_admins_confirming_at_once_one_wins(db, call_config, declined):
    setup, line_up, _member = declined
    with db.write() as s:
        other = make_user(s, role="admin")
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def go(viewer) -> None:
        start.wait()
        try:
            confirm(db, call_config, viewer, shown, setup["scores"])
            outcomes[viewer.username] = "confirmed"
        except replacement.StaleReplacement:
            outcomes[viewer.username] = "stale"

    threads = [threading.Thread(target=go, args=(v,)) for v in (setup["admin"], other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(outcomes.values()) == ["confirmed", "stale"]
    assert len(actions(db, "line_up.replacement")) == 1
    with db.read() as s:
        assert lineups_da.get_line_up(s, line_up_id=line_up.id).version == 2
        invited_ids = s.scalars(select(PresenterInvitation.submission_id)).all()
    assert len(invited_ids) == len(set(invited_ids)) == len(line_up.members) + 1


# --- capacities on replies ---------------------------------------------------------------


@pytest.fixture
def capped(db, call_config, request):
    """A line-up with one in-person place (and five virtual), signed off and invited; {reference: token}."""
    setup = request.getfixturevalue("call")
    result = propose(db, call_config, setup["scores"], max_in_person=1, max_virtual=5)
    with db.write() as s:
        record = lineups_da.save_line_up(s, viewer=setup["admin"], name="Capped", result=result, scores=setup["scores"])
    records = sign_off_and_invite(db, call_config, setup, record.id)
    tokens = {reference: mint(db, record) for reference, record in records.items()}
    return {"id": record.id, "tokens": tokens, "admin": setup["admin"]}


def reply(db, token, choice):
    with db.write() as s:
        return inv.reply_by_link(s, token=token, choice=choice)


def test_an_in_person_acceptance_when_the_places_are_taken_is_refused_by_link_and_the_link_still_works(db, capped):
    first, second, *_ = sorted(capped["tokens"])
    with db.read() as s:
        assert inv.check_link(s, token=capped["tokens"][second]).open_formats == ("in_person", "virtual")
    reply(db, capped["tokens"][first], "in_person")
    with db.read() as s:
        assert inv.check_link(s, token=capped["tokens"][second]).open_formats == ("virtual",)
    before = table_contents(db)
    with pytest.raises(inv.PlacesTaken, match=r"places to present in person are taken.*accept to present virtually"):
        reply(db, capped["tokens"][second], "in_person")
    assert table_contents(db) == before
    assert reply(db, capped["tokens"][second], "virtual") == second  # the link still works


def test_the_admin_is_refused_an_in_person_reply_when_the_places_are_taken(db, capped):
    first, second, *_ = sorted(capped["tokens"])
    admin = capped["admin"]
    answer(db, admin, capped["id"], first, "in_person")
    before = table_contents(db)
    with pytest.raises(inv.PlacesTaken) as refused:
        answer(db, admin, capped["id"], second, "in_person")
    assert table_contents(db) == before
    # said to the admin, not to the presenter: what can be recorded instead
    assert "You can" not in str(refused.value)
    assert "Record it as accepted virtually (online) or as declined" in str(refused.value)
    answer(db, admin, capped["id"], first, "in_person")  # the one in the place may be recorded again
    answer(db, admin, capped["id"], first, "declined")  # and once it is free, it can be taken
    answer(db, admin, capped["id"], second, "in_person")


def test_two_presenters_racing_for_the_last_place_one_gets_it(db, capped):
    racers = sorted(capped["tokens"])[:2]
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def go(reference: str) -> None:
        start.wait()
        try:
            reply(db, capped["tokens"][reference], "in_person")
            outcomes[reference] = "in"
        except inv.PlacesTaken:
            outcomes[reference] = "refused"

    threads = [threading.Thread(target=go, args=(r,)) for r in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["in", "refused"]
    with db.read() as s:
        states = [r.state for r in inv.list_invitations(s, line_up_id=capped["id"])]
    assert states.count("accepted_in_person") == 1
    [loser] = [r for r, outcome in outcomes.items() if outcome == "refused"]
    assert reply(db, capped["tokens"][loser], "virtual") == loser  # its link still works


def test_the_reply_by_date_is_not_moved(db, call_config, declined):
    """The newcomers' reply-by date is the one the admin gives (the others' stay as they were)."""
    setup, line_up, _member = declined
    later = REPLY_BY + dt.timedelta(days=3)
    shown = proposed(db, call_config, setup["admin"], line_up.id, setup["scores"])
    confirm(db, call_config, setup["admin"], shown, setup["scores"], reply_by=later)
    with db.read() as s:
        rows = inv.list_invitations(s, line_up_id=line_up.id)
    assert {r.reference: r.reply_by for r in rows if r.reference == shown.entering[0].reference} == {
        shown.entering[0].reference: later
    }
    assert {r.reply_by for r in rows if r.reference != shown.entering[0].reference} == {REPLY_BY}


def test_a_presenter_removed_by_hand_without_declining_is_out_like_one_who_declined(db, call_config, declined):
    setup, line_up, member = declined
    removed = line_up.members[2]  # invited, awaiting a reply
    with db.write() as s:  # removed from the line-up by hand: a new version without them
        s.execute(
            delete(LineUpMember).where(
                LineUpMember.line_up_id == line_up.id, LineUpMember.submission_id == removed.submission_id
            )
        )
        s.execute(update(LineUp).where(LineUp.id == line_up.id).values(version=LineUp.version + 1))
    # Now the best of all: the proposal would take them back if they counted as a candidate.
    best = {sid: 4.5 - 0.1 * n for n, sid in enumerate(setup["ids"])} | {removed.submission_id: 5.0}
    shown = proposed(db, call_config, setup["admin"], line_up.id, scores_frame_for(call_config, best))
    assert shown.declined == (member.reference,) and shown.can_confirm
    assert removed.submission_id not in {e.submission_id for e in shown.entering}
    assert removed.submission_id in shown.proposal.rules.excluded
