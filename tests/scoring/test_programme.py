"""Placing confirmed presenters in sessions: formats fit, places kept, themes together (proved against
brute force), the same answer whatever the order, each placement explained; and a hand-edited programme
checked in words."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.programme import (
    TAKES,
    Placement,
    Presenter,
    ProgrammeError,
    ProgrammeSession,
    check_programme,
    propose_placements,
    when,
)

UK = ZoneInfo("Europe/London")
DAY = dt.date(2021, 10, 14)
LABELS = {"t1": "Victim identification", "t2": "Prevention", "t3": "Recovery"}


def session(key, *, fmt="hybrid", cap=3, hour=10, minutes=60, theme=None, room=None, chair="", title=None):
    starts = dt.datetime.combine(DAY, dt.time(hour), tzinfo=UK)
    return ProgrammeSession(
        key=key,
        title=title or f"Session {key}",
        starts=starts,
        ends=starts + dt.timedelta(minutes=minutes),
        format=fmt,
        capacity=cap,
        room=(room if room is not None else f"Room {key}") if fmt != "online" else "",
        online_link="https://meet.example.org/x" if fmt != "in_person" else "",
        chair=chair,
        theme=theme,
    )


def presenter(sid, fmt="in_person", themes=("t1",)):
    return Presenter(submission_id=sid, reference=f"CFE-{sid:04d}", format=fmt, themes=tuple(themes))


# --- brute force: an independent statement of the goal -----------------------------------------


def _on_theme(sessions, presenters, where) -> int:
    """Presenters on their session's theme, each session given its best theme (or its own)."""
    total = 0
    for s in sessions:
        members = [p for p in presenters if where.get(p.submission_id) == s.key]
        themes = [s.theme] if s.theme is not None else sorted({t for p in members for t in p.themes})
        total += max((sum(t in p.themes for p in members) for t in themes), default=0)
    return total


def _goal(sessions, presenters, where) -> tuple[int, int, int]:
    placed = len(where)
    non_empty = len(set(where.values()))
    return (placed, _on_theme(sessions, presenters, where), non_empty)


def _brute_force(sessions, presenters, keep=()) -> tuple[int, int, int]:
    kept = {pl.submission_id: pl.session_key for pl in keep}
    options = [
        [kept[p.submission_id]]
        if p.submission_id in kept
        else [None, *(s.key for s in sessions if p.format in TAKES[s.format])]
        for p in presenters
    ]
    best = (-1, -1, -1)
    for choice in itertools.product(*options):
        where = {p.submission_id: k for p, k in zip(presenters, choice, strict=True) if k is not None}
        counts = {s.key: list(where.values()).count(s.key) for s in sessions}
        if all(counts[s.key] <= s.capacity for s in sessions):
            best = max(best, _goal(sessions, presenters, where))
    return best


@st.composite
def programmes(draw):
    n_sessions = draw(st.integers(1, 3))
    sessions = [
        session(
            k,
            fmt=draw(st.sampled_from(["in_person", "online", "hybrid"])),
            cap=draw(st.integers(1, 3)),
            hour=9 + 2 * k,
            theme=draw(st.sampled_from([None, None, "t1", "t2"])),
        )
        for k in range(1, n_sessions + 1)
    ]
    presenters = [
        presenter(
            i,
            draw(st.sampled_from(["in_person", "virtual"])),
            draw(st.lists(st.sampled_from(["t1", "t2", "t3"]), max_size=2, unique=True)),
        )
        for i in range(1, draw(st.integers(0, 6)) + 1)
    ]
    keep = []
    pick = draw(st.none() | st.integers(0, 99))
    if pick is not None and presenters:
        chosen = presenters[pick % len(presenters)]
        fitting = [s.key for s in sessions if chosen.format in TAKES[s.format]]
        if fitting:
            keep = [Placement(chosen.submission_id, fitting[pick % len(fitting)])]
    return sessions, presenters, keep


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes())
def test_proposal_is_best_against_brute_force_and_keeps_every_rule(case):
    sessions, presenters, keep = case
    proposal = propose_placements(sessions, presenters, keep=keep)
    where = {pl.submission_id: pl.session_key for pl in proposal.placements}
    assert len(where) == len(proposal.placements)  # each presenter once
    assert check_programme(sessions, presenters, proposal.placements).problems == ()
    assert _goal(sessions, presenters, where) == _brute_force(sessions, presenters, keep)
    assert all(where[pl.submission_id] == pl.session_key for pl in keep)
    # what the proposal says about itself is true
    by_key = {s.key: s for s in sessions}
    said = sum(
        1
        for pl in proposal.placements
        if proposal.session_themes[pl.session_key]
        in {t for p in presenters if p.submission_id == pl.submission_id for t in p.themes}
    )
    assert said == proposal.on_theme == _on_theme(sessions, presenters, where)
    assert all(proposal.session_themes[k] == s.theme for k, s in by_key.items() if s.theme is not None)
    assert {u.submission_id for u in proposal.unplaced} == {p.submission_id for p in presenters} - set(where)
    assert all(pl.reason for pl in proposal.placements) and all(u.reason for u in proposal.unplaced)


def test_presenters_on_one_theme_sit_together():
    sessions = [session(1, cap=2, hour=10), session(2, cap=2, hour=12)]
    people = [
        presenter(1, themes=["t1"]),
        presenter(2, themes=["t2"]),
        presenter(3, themes=["t1"]),
        presenter(4, themes=["t2"]),
    ]
    proposal = propose_placements(sessions, people, theme_labels=LABELS)
    groups = {tuple(sorted(v)) for v in proposal.by_session.values()}
    assert groups == {(1, 3), (2, 4)}
    assert proposal.on_theme == 4 and proposal.empty_sessions == 0
    reasons = {pl.submission_id: pl.reason for pl in proposal.placements}
    key_of_1 = next(pl.session_key for pl in proposal.placements if pl.submission_id == 1)
    assert reasons[1] == (
        f"In “Session {key_of_1}”, on its theme “Victim identification” (with 1 other on it); "
        "the session is hybrid, so it takes in-person presenters."
    )


def test_formats_fit_and_places_are_kept():
    sessions = [session(1, fmt="in_person", cap=1, hour=9, theme="t1"), session(2, fmt="online", cap=2, hour=11)]
    people = [
        presenter(1, "in_person"),
        presenter(2, "virtual"),
        presenter(3, "in_person", ["t2"]),
        presenter(4, "virtual"),
    ]
    proposal = propose_placements(sessions, people, theme_labels=LABELS)
    assert {pl.submission_id: pl.session_key for pl in proposal.placements} == {1: 1, 2: 2, 4: 2}
    (left,) = proposal.unplaced
    assert (left.reference, left.reason) == ("CFE-0003", "Every session that takes in-person presenters is full.")


def test_no_session_for_a_format_is_said():
    proposal = propose_placements([session(1, fmt="in_person")], [presenter(1, "virtual")])
    assert proposal.placements == ()
    assert proposal.unplaced[0].reason == "No session takes virtual presenters."


def test_off_theme_placements_say_why():
    sessions = [session(1, cap=1, theme="t1", hour=9), session(2, cap=3, theme="t2", hour=11)]
    people = [
        presenter(1, themes=["t1"]),
        presenter(2, themes=["t1"]),
        presenter(3, themes=["t3"]),
        presenter(4, themes=[]),
    ]
    proposal = propose_placements(sessions, people, theme_labels=LABELS)
    reasons = {pl.submission_id: pl.reason for pl in proposal.placements}
    first, second = (1, 2) if proposal.by_session[1] == [1] else (2, 1)  # equally good: either may open
    assert proposal.by_session[1] == [first] and proposal.unplaced == ()
    assert reasons[first] == (
        "In “Session 1”, on its theme “Victim identification” (the only one on it); "
        "the session is hybrid, so it takes in-person presenters."
    )
    assert reasons[second] == (
        "In “Session 2” (hybrid, so it takes in-person presenters): the sessions on its theme that take it "
        "(“Session 1”) are full."
    )
    sessions = [session(1, cap=3, theme="t2")]
    proposal = propose_placements(
        sessions, [presenter(3, themes=["t3", "t1"]), presenter(4, themes=[])], theme_labels=LABELS
    )
    reasons = {pl.submission_id: pl.reason for pl in proposal.placements}
    assert reasons[3] == (
        "In “Session 1” (hybrid, so it takes in-person presenters): no session that takes in-person presenters "
        "is on its themes (“Recovery”, “Victim identification”)."
    )
    assert (
        reasons[4]
        == "In “Session 1”: no theme given; the session is hybrid, so it takes in-person presenters and had a place."
    )


def test_the_same_data_in_any_order_give_the_same_programme():
    rng = random.Random(7)
    sessions = [
        session(k, fmt=rng.choice(["in_person", "online", "hybrid"]), cap=rng.randint(1, 4), hour=8 + k)
        for k in range(1, 6)
    ]
    people = [
        presenter(i, rng.choice(["in_person", "virtual"]), rng.sample(["t1", "t2", "t3"], rng.randint(0, 2)))
        for i in range(1, 16)
    ]
    first = propose_placements(sessions, people, theme_labels=LABELS)
    for _ in range(5):
        rng.shuffle(sessions)
        rng.shuffle(people)
        assert propose_placements(sessions, people, theme_labels=LABELS) == first


def test_kept_placements_stay_and_a_bad_one_is_refused_in_words():
    sessions = [session(1, cap=2, hour=9), session(2, cap=2, hour=11)]
    people = [presenter(1, themes=["t1"]), presenter(2, themes=["t1"]), presenter(3, themes=["t1"])]
    proposal = propose_placements(sessions, people, keep=[Placement(3, 2)])
    where = {pl.submission_id: pl.session_key for pl in proposal.placements}
    assert where[3] == 2
    assert next(pl.reason for pl in proposal.placements if pl.submission_id == 3).startswith(
        "Kept in “Session 2” by hand"
    )
    with pytest.raises(ProgrammeError) as refused:
        propose_placements([session(1, fmt="online")], [presenter(1, "in_person")], keep=[Placement(1, 1)])
    assert refused.value.problems == ("CFE-0001 presents in person but “Session 1” is online.",)


def test_bad_sessions_and_presenters_are_refused_in_words():
    naive = dt.datetime(2021, 10, 14, 10, 0)
    good = session(1)
    bad = [
        ProgrammeSession(2, " ", naive, naive, "hybrid", 2, room="R", online_link="https://x.example/"),
        ProgrammeSession(3, "Backwards", good.ends, good.starts, "in_person", 0, room=""),
        ProgrammeSession(4, "Online", good.starts, good.ends, "online", 1, online_link="javascript:alert(1)"),
        ProgrammeSession(5, "Odd", good.starts, good.ends, "outdoors", 1),
    ]
    with pytest.raises(ProgrammeError) as refused:
        propose_placements([good, *bad], [presenter(1), presenter(1), presenter(2, "hologram")])
    assert refused.value.problems == (
        "Session 2 needs a title.",
        "Session 2 needs a start and an end with their time zone (UK time).",
        "“Backwards” ends before it starts.",
        "“Backwards” needs room for at least one presenter, not 0.",
        "“Backwards” is in person and needs a room.",
        "“Online” is online and needs an online link starting https://.",
        "“Odd” must be in person, online or hybrid, not 'outdoors'.",
        "CFE-0001 is listed twice among the presenters.",
        "CFE-0002 must present in person or virtually, not 'hologram'.",
    )


def test_a_hand_edited_programme_is_checked_in_words():
    a = session(1, fmt="in_person", cap=1, hour=10, minutes=90, room="Main hall", chair="Dr A. Chair", title="Panel A")
    b = session(2, fmt="hybrid", cap=2, hour=11, room=" main  HALL ", chair="dr a. chair", title="Panel B")
    c = session(3, fmt="online", cap=2, hour=14, title="Panel C")
    people = [presenter(1, "virtual"), presenter(2), presenter(3), presenter(4), presenter(5, "virtual")]
    placements = [
        Placement(1, 1),  # virtual in an in-person session
        Placement(2, 1),  # over the one place
        Placement(3, 1),
        Placement(3, 2),  # A and B overlap
        Placement(5, 2),
        Placement(5, 3),  # twice, not overlapping
        Placement(9, 3),  # not a confirmed presenter
        Placement(4, 99),  # no such session
    ]
    check = check_programme([a, b, c], people, placements)
    assert not check.ok
    assert check.problems == (
        "“Panel A” and “Panel B” are both in “Main hall” at overlapping times (Thu 14 Oct 2021, 10:00–11:30).",
        "Dr A. Chair chairs both “Panel A” and “Panel B”, which overlap (Thu 14 Oct 2021, 10:00–11:30).",
        "CFE-0001 presents virtually but “Panel A” is in person.",
        "Submission 9 is not a confirmed presenter, so it cannot be placed.",
        "CFE-0004 is placed in a session that does not exist (99).",
        "CFE-0003 is in “Panel A” and “Panel B”, which overlap (Thu 14 Oct 2021, 10:00–11:30).",
        "CFE-0005 is placed in both “Panel B” and “Panel C”; a presenter speaks in one session.",
        "“Panel A” has 3 presenters but room for 1.",
    )
    assert check.notes == ("CFE-0004 is not placed in any session yet.",)
    fine = check_programme([a, c], people[:2], [Placement(2, 1), Placement(1, 3)])
    assert fine.ok and fine.notes == ()


def test_when_is_said_in_uk_time():
    winter = ProgrammeSession(
        1,
        "Late",
        dt.datetime(2021, 12, 1, 22, 0, tzinfo=dt.UTC),
        dt.datetime(2021, 12, 2, 1, 0, tzinfo=dt.UTC),
        "online",
        1,
    )
    assert when(winter) == "Wed 1 Dec 2021, 22:00 – Thu 2 Dec 2021, 01:00"
    summer = session(1, hour=9)
    assert when(summer) == "Thu 14 Oct 2021, 09:00–10:00"


def test_kept_placements_are_not_reordered_away_with_their_look_alikes():
    # Two interchangeable sessions, the later one holding a kept presenter; two interchangeable presenters,
    # the later one kept: the order the solver is given for look-alikes must not undo what is kept.
    sessions = [session(1, cap=1, hour=9), session(2, cap=1, hour=11)]
    proposal = propose_placements(sessions, [presenter(1)], keep=[Placement(1, 2)])
    assert [(pl.submission_id, pl.session_key) for pl in proposal.placements] == [(1, 2)]
    proposal = propose_placements([session(1, cap=1)], [presenter(1), presenter(2)], keep=[Placement(2, 1)])
    assert [(pl.submission_id, pl.session_key) for pl in proposal.placements] == [(2, 1)]
    assert [u.reference for u in proposal.unplaced] == ["CFE-0001"]
