"""The demo call shows the loop from line-up to programme: a saved line-up signed off by the
office, everyone invited, two accepted (one in person, one virtually), one declined, one with
no reply by the deadline, the rest awaiting; two programme sessions with the two who accepted
placed; every step in the audit log; the same every time. Both databases.

The demo call is seeded once per test process (`demo_db`, tests.support.demo_copies, with what
`seed_demo` returned); "the same every time" compares that seeding with one made by the test."""

from __future__ import annotations

import shutil
from collections import Counter

from sqlalchemy import select

from access.visibility import Viewer
from data_access import audit, signoff
from data_access import line_up_status as status_da
from data_access.db import Database
from data_access.demo import N_SUBMISSIONS, seed_demo
from data_access.demo_programme import LINE_UP_NAME, SESSIONS
from data_access.models import PresenterInvitation, ProgrammeSession, User
from scoring import replies
from tests.support.demo_copies import seeded_counts


def _office(s) -> Viewer:
    user = s.scalars(select(User).where(User.role == "office")).one()
    return Viewer(user.id, user.username, user.name, user.role)


def _seed(db, call_config) -> dict:
    counts = seed_demo(db, config=call_config, bcrypt_rounds=4)  # the whole demo: fewer allow no line-up
    return _read(db, call_config, counts)


def _read(db, call_config, counts: dict[str, int]) -> dict:
    """What the demo call in `db` shows, beside what its seeding returned (`counts`)."""
    with db.read() as s:
        office = _office(s)
        [line_up] = status_da.signed_off_line_ups(s, viewer=office)
        shown = status_da.line_up_status(s, viewer=office, line_up_id=line_up.id, config=call_config)
        sessions = [
            (r.id, r.title, r.format) for r in s.scalars(select(ProgrammeSession).order_by(ProgrammeSession.starts_at))
        ]
        placed = {
            r.session_id: (r.status, r.reply_format)
            for r in s.scalars(select(PresenterInvitation).where(PresenterInvitation.session_id.isnot(None)))
        }
        actions = Counter(audit.list_entries(s, filters=audit.AuditFilter())["action"])
        signed = signoff.current_sign_off(s, line_up_id=line_up.id)
    return {
        "counts": counts,
        "line_up": line_up,
        "shown": shown,
        "sessions": sessions,
        "placed": placed,
        "actions": actions,
        "signed": signed,
    }


def test_the_demo_shows_a_signed_off_line_up_with_replies_and_two_sessions(demo_db, call_config):
    seeded = _read(demo_db, call_config, seeded_counts(demo_db, N_SUBMISSIONS))
    shown, n = seeded["shown"], seeded["counts"]["invited presenters"]
    assert seeded["line_up"].name == LINE_UP_NAME and seeded["line_up"].current_is_signed_off
    assert seeded["signed"].signed_off_by == "office"
    assert n == call_config.selection.slots
    assert shown.counts == replies.ReplyCounts(
        invited=n, accepted_in_person=1, accepted_virtual=1, declined=1, awaiting=n - 4, no_reply_by_deadline=1
    )
    assert [(title, fmt) for _, title, fmt in seeded["sessions"]] == [(t, f) for t, f, *_ in SESSIONS]
    assert [f for _, _, f in seeded["sessions"]] == ["in_person", "online"]
    # The one who accepted in person in the in-person session, the virtual one in the online session.
    assert [seeded["placed"][i] for i, _, _ in seeded["sessions"]] == [
        ("accepted", "in_person"),
        ("accepted", "virtual"),
    ]
    placed = {p.reference: p.session for p in shown.presenters if p.session}
    assert sorted(placed.values()) == sorted(title for title, *_ in SESSIONS)
    actions = seeded["actions"]
    assert actions["line_up.save"] == 1 and actions["line_up.sign_off"] == 1
    assert actions["invitation.create"] == n and actions["invitation.record_reply"] == 3
    assert actions["programme_session.create"] == 2


def test_the_demo_line_up_and_replies_are_the_same_every_time(demo_db, sqlite_template, tmp_path, call_config):
    first = _read(demo_db, call_config, seeded_counts(demo_db, N_SUBMISSIONS))  # seeded once in this process
    target = tmp_path / "other.db"  # a second, empty database (SQLite beside each of the two), seeded here
    shutil.copyfile(sqlite_template, target)
    other = Database(f"sqlite:///{target}")
    try:
        second = _seed(other, call_config)
    finally:
        other.dispose()
    assert [(p.reference, p.format_offered, p.reply, p.session) for p in first["shown"].presenters] == [
        (p.reference, p.format_offered, p.reply, p.session) for p in second["shown"].presenters
    ]
