"""The programme's sessions (data_access.programme), placements and files (data_access.placements):
add, edit and delete sessions (refused in words with nothing changed; stale versions; roles
checked now), placements proposed, checked and saved, a decline taking its presenter out of their
session, and the CSV, calendar and presenter list read back. Both databases."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest
from sqlalchemy import select, update

from data_access import exports as exports_da
from data_access import invitations as inv
from data_access import placements as pl
from data_access import programme as prog
from data_access import signoff, users
from data_access.audit import AuditFilter, list_entries
from data_access.errors import AccessDenied
from data_access.models import LineUp, LineUpMember, PresenterInvitation, Submission, utcnow
from data_access.models import ProgrammeSession as SessionRow
from tests.data_access.test_tokens import settings_for
from tests.factories import make_submission, make_user, scores_frame_for
from tests.support.dbdump import table_contents
from tests.support.icalendar_parser import events, parse

DAY = dt.date(2027, 6, 10)  # summer: UK time is UTC+1
FORMULA = '=cmd|" /C calc"!A0'


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return prog.uk_moment(day, dt.time(hour, minute))


def fields(**changes) -> prog.SessionInput:
    base = prog.SessionInput(
        title="Opening panel",
        starts=at(10),
        ends=at(11),
        format="hybrid",
        capacity=2,
        room="Main hall",
        online_link="https://meet.example.org/main",
        chair="Dr A. Chair",
        theme=None,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def people(db):
    with db.write() as s:
        return {
            "admin": make_user(s, role="admin"),
            "office": make_user(s, role="office"),
            "reviewer": make_user(s, role="reviewer"),
        }


@pytest.fixture
def line_up(db, call_config, people):
    """A saved line-up of four submissions (the last anonymous; the first titled as a formula),
    signed off and invited; replies: 0 in person, 1 virtual, 2 in person, 3 awaiting."""
    with db.write() as s:
        ids = [
            make_submission(
                s,
                call_config,
                title=FORMULA if i == 0 else f"Evidence {i}",
                themes=["sources_of_harm"] if i % 2 else ["support_responses"],
                organisation="Hidden Survivors Org" if i == 3 else f"Organisation {i}",
                contact_name="Cy Hidden" if i == 3 else f"Contact {i}",
                contact_email=f"presenter{i}@example.org",
                anonymous=i == 3,
                presentation_preference="either",
            )
            for i in range(4)
        ]
        row = LineUp(name="Conference", rules={}, objective=1.0, notes="", created_by="test", version=1)
        row.members = [
            LineUpMember(submission_id=sid, format="virtual" if i == 1 else "in_person", position=i + 1, pinned=False)
            for i, sid in enumerate(ids)
        ]
        s.add(row)
        s.flush()
        line_up_id = row.id
        refs = [s.get_one(Submission, sid).reference for sid in ids]
    with db.write() as s:
        signoff.sign_off(s, viewer=people["office"], line_up_id=line_up_id, expected_version=1)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=people["admin"],
            line_up_id=line_up_id,
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=settings_for(),
            config=call_config,
        )
    for i, choice in ((0, "in_person"), (1, "virtual"), (2, "in_person")):
        record_reply(db, people, line_up_id, refs[i], choice)
    return {"id": line_up_id, "ids": ids, "refs": refs}


def invitation(db, line_up_id, reference) -> inv.InvitationRecord:
    with db.read() as s:
        [record] = [r for r in inv.list_invitations(s, line_up_id=line_up_id) if r.reference == reference]
    return record


def record_reply(db, people, line_up_id, reference, choice):
    record = invitation(db, line_up_id, reference)
    with db.write() as s:
        inv.record_reply(
            s, viewer=people["admin"], invitation_id=record.id, choice=choice, expected_version=record.version
        )


def add(db, people, call_config, **changes) -> prog.SessionRecord:
    with db.write() as s:
        return prog.add_session(s, viewer=people["admin"], fields=fields(**changes), config=call_config)


def entries(db, action) -> list[dict]:
    with db.read() as s:
        return list_entries(s, filters=AuditFilter(action=action)).to_dict("records")


def confirmed(db, line_up_id) -> dict[str, pl.Confirmed]:
    with db.read() as s:
        return {c.reference: c for c in pl.confirmed_presenters(s, line_up_id=line_up_id)}


def save(db, people, line_up_id, where: dict[str, int | None], viewer=None) -> int:
    shown = confirmed(db, line_up_id)
    seats = [pl.Seat(shown[ref].invitation_id, sid, order) for order, (ref, sid) in enumerate(where.items())]
    with db.write() as s:
        return pl.save_placements(
            s,
            viewer=viewer or people["admin"],
            line_up_id=line_up_id,
            seats=seats,
            expected_versions={c.invitation_id: c.version for c in shown.values()},
        )


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- UK time -------------------------------------------------------------------------


def test_times_typed_in_uk_time_are_stored_in_utc_summer_and_winter():
    assert prog.uk_moment(DAY, dt.time(10)) == dt.datetime(2027, 6, 10, 9, 0, tzinfo=dt.UTC)
    assert prog.uk_moment(dt.date(2027, 1, 10), dt.time(10)) == dt.datetime(2027, 1, 10, 10, 0, tzinfo=dt.UTC)


def test_a_time_the_clocks_skip_or_repeat_is_refused_in_words():
    with pytest.raises(prog.SessionError, match="does not exist in UK time"):
        prog.uk_moment(dt.date(2027, 3, 28), dt.time(1, 30))
    with pytest.raises(prog.SessionError, match="happens twice in UK time"):
        prog.uk_moment(dt.date(2027, 10, 31), dt.time(1, 30))


# --- sessions --------------------------------------------------------------------------


def test_the_admin_adds_a_session_stored_utc_and_audited(db, people, call_config):
    record = add(db, people, call_config, title="  Opening panel  ", theme="sources_of_harm")
    assert record.title == "Opening panel" and record.version == 1
    with db.read() as s:
        [listed] = prog.list_sessions(s)
        row = s.get_one(SessionRow, record.id)
        stored = (row.starts_at, row.ends_at, row.theme)
    assert listed == record
    assert stored == (
        dt.datetime(2027, 6, 10, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 6, 10, 10, 0, tzinfo=dt.UTC),
        "sources_of_harm",
    )
    [entry] = entries(db, "programme_session.create")
    assert entry["actor"] == people["admin"].username and entry["entity_id"] == str(record.id)
    assert entry["new"]["title"] == "Opening panel" and entry["new"]["starts_at"].startswith("2027-06-10T09:00")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": "  "}, "needs a title"),
        ({"title": "Panel\r\nEND:VEVENT"}, "The title must be one line"),
        ({"chair": "A\nB"}, "The chair must be one line"),
        ({"title": "x" * 201}, "the most allowed is 200"),
        ({"online_link": "http://meet.example.org/x"}, "must be a web address starting https://"),
        ({"online_link": "javascript:alert(1)"}, "must be a web address starting https://"),
        ({"format": "online", "online_link": ""}, "needs an online link"),
        ({"format": "in_person", "room": ""}, "needs a room"),
        ({"format": "party"}, "must be in person, online or hybrid"),
        ({"capacity": 0}, "needs room for at least one presenter"),
        ({"ends": at(9)}, "ends before it starts"),
        ({"starts": dt.datetime(2027, 6, 10, 10)}, "needs a start and an end with their time zone"),
        ({"theme": "astrology"}, "There is no theme 'astrology'"),
    ],
)
def test_a_bad_session_is_refused_in_words_and_nothing_changes(db, people, call_config, changes, words):
    before = table_contents(db)
    with pytest.raises(prog.SessionError, match=words):
        add(db, people, call_config, **changes)
    assert table_contents(db) == before


def test_a_session_clashing_with_another_in_room_or_chair_is_refused(db, people, call_config):
    add(db, people, call_config)
    before = table_contents(db)
    with pytest.raises(prog.SessionError, match="are both in “Main hall” at overlapping times"):
        add(db, people, call_config, title="Second", starts=at(10, 30), ends=at(11, 30), chair="Someone else")
    with pytest.raises(prog.SessionError, match=r"Dr A\. Chair chairs both"):
        add(db, people, call_config, title="Third", starts=at(10, 30), ends=at(11, 30), room="Room 2")
    assert table_contents(db) == before
    add(db, people, call_config, title="Later", starts=at(11), ends=at(12))  # back to back: no clash


def test_an_edit_carries_the_version_shown_and_a_stale_one_changes_nothing(db, people, call_config):
    record = add(db, people, call_config)
    with db.write() as s:
        edited = prog.update_session(
            s,
            viewer=people["admin"],
            session_id=record.id,
            fields=fields(title="Opening plenary", capacity=5),
            expected_version=1,
            config=call_config,
        )
    assert (edited.title, edited.capacity, edited.version) == ("Opening plenary", 5, 2)
    [entry] = entries(db, "programme_session.update")
    assert entry["old"]["title"] == "Opening panel" and entry["new"]["title"] == "Opening plenary"
    before = table_contents(db)
    with db.write() as s, pytest.raises(prog.StaleProgramme, match="changed since you opened it"):
        prog.update_session(
            s,
            viewer=people["admin"],
            session_id=record.id,
            fields=fields(title="Overwritten"),
            expected_version=1,
            config=call_config,
        )
    with db.write() as s, pytest.raises(prog.StaleProgramme):
        prog.delete_session(s, viewer=people["admin"], session_id=record.id, expected_version=1)
    assert table_contents(db) == before


def test_an_edit_is_checked_like_a_new_session_and_against_the_others(db, people, call_config):
    first = add(db, people, call_config)
    second = add(db, people, call_config, title="Later", starts=at(12), ends=at(13), chair="B")
    before = table_contents(db)
    with db.write() as s, pytest.raises(prog.SessionError, match="are both in “Main hall”"):
        prog.update_session(
            s,
            viewer=people["admin"],
            session_id=second.id,
            fields=fields(title="Later", starts=at(10, 30), ends=at(11, 30), chair="B"),
            expected_version=second.version,
            config=call_config,
        )
    with db.write() as s, pytest.raises(prog.SessionError, match="must be a web address starting https://"):
        prog.update_session(
            s,
            viewer=people["admin"],
            session_id=first.id,
            fields=fields(online_link="ftp://x.example"),
            expected_version=first.version,
            config=call_config,
        )
    assert table_contents(db) == before


@pytest.mark.parametrize("who", ["office", "reviewer", "deactivated"])
def test_only_an_active_admin_may_change_sessions_and_placements_checked_now(db, people, call_config, line_up, who):
    record = add(db, people, call_config)
    with db.write() as s:
        viewer = people[who] if who != "deactivated" else make_user(s, role="admin")
    if who == "deactivated":
        with db.write() as s:
            users.set_active(s, user_id=viewer.user_id, active=False, actor="test")
    before = table_contents(db)
    with pytest.raises(AccessDenied):
        with db.write() as s:
            prog.add_session(s, viewer=viewer, fields=fields(title="Other", room="R2", chair="C2"), config=call_config)
    with pytest.raises(AccessDenied):
        with db.write() as s:
            prog.update_session(
                s,
                viewer=viewer,
                session_id=record.id,
                fields=fields(title="Taken over"),
                expected_version=1,
                config=call_config,
            )
    with pytest.raises(AccessDenied):
        with db.write() as s:
            prog.delete_session(s, viewer=viewer, session_id=record.id, expected_version=1)
    with pytest.raises(AccessDenied):
        with db.write() as s:
            pl.propose(s, viewer=viewer, line_up_id=line_up["id"], keep_mine=False, config=call_config)
    with pytest.raises(AccessDenied):
        save(db, people, line_up["id"], {line_up["refs"][0]: record.id}, viewer=viewer)
    assert table_contents(db) == before


def test_files_are_for_the_admin_and_the_office_only(db, people, call_config, line_up):
    with db.read() as s:
        pl.programme_csv(s, viewer=people["office"], line_up_id=line_up["id"], config=call_config)
        with pytest.raises(AccessDenied):
            pl.programme_csv(s, viewer=people["reviewer"], line_up_id=line_up["id"], config=call_config)
    with db.write() as s, pytest.raises(AccessDenied):
        pl.programme_ics(s, viewer=people["reviewer"], line_up_id=line_up["id"], config=call_config)


# --- placements ----------------------------------------------------------------------------


@pytest.fixture
def sessions(db, people, call_config):
    """An in-person session on support responses (2 places) and an online one (1 place)."""
    room = add(db, people, call_config, title="In the room", format="in_person", online_link="", capacity=2)
    online = add(
        db,
        people,
        call_config,
        title="Online",
        format="online",
        room="",
        starts=at(14),
        ends=at(15),
        chair="Online chair",
        online_link="https://meet.example.org/online",
        capacity=1,
    )
    return {"room": room, "online": online}


def test_the_confirmed_presenters_are_those_who_accepted_in_the_format_accepted_with_their_themes(db, line_up):
    shown = confirmed(db, line_up["id"])
    refs = line_up["refs"]
    assert sorted(shown) == sorted(refs[:3])  # the fourth has not replied
    assert shown[refs[1]].format == "virtual" and shown[refs[0]].format == "in_person"
    assert shown[refs[1]].themes == ("sources_of_harm",) and shown[refs[0]].themes == ("support_responses",)


def test_a_proposal_places_everyone_who_fits_and_saving_it_stores_and_audits(
    db, people, call_config, line_up, sessions
):
    with db.read() as s:
        proposal = pl.propose(s, viewer=people["admin"], line_up_id=line_up["id"], keep_mine=False, config=call_config)
    by_sub = {p.submission_id: p.session_key for p in proposal.placements}
    ids, refs = line_up["ids"], line_up["refs"]
    assert by_sub == {ids[0]: sessions["room"].id, ids[1]: sessions["online"].id, ids[2]: sessions["room"].id}
    assert all(p.reason for p in proposal.placements) and not proposal.unplaced
    changed = save(db, people, line_up["id"], {refs[r]: by_sub[ids[r]] for r in (2, 0, 1)})
    assert changed == 3
    now = confirmed(db, line_up["id"])
    assert (now[refs[2]].session_id, now[refs[2]].position) == (sessions["room"].id, 1)
    assert (now[refs[0]].session_id, now[refs[0]].position) == (sessions["room"].id, 2)
    [entry] = entries(db, "programme.place")
    assert entry["new"][refs[1]]["title"] == "Online" and entry["old"][refs[1]] is None
    # Keep the ones I made: a hand placement stays in the next proposal.
    with db.read() as s:
        kept = pl.propose(s, viewer=people["admin"], line_up_id=line_up["id"], keep_mine=True, config=call_config)
    assert all("Kept in" in p.reason for p in kept.placements)


def test_placements_that_break_the_programme_are_refused_in_words_and_nothing_is_saved(db, people, line_up, sessions):
    refs = line_up["refs"]
    before = table_contents(db)
    with pytest.raises(prog.SessionError, match="presents virtually but “In the room” is in person"):
        save(db, people, line_up["id"], {refs[1]: sessions["room"].id})
    with pytest.raises(prog.SessionError, match="“Online” has 2 presenters but room for 1"):
        record_reply(db, people, line_up["id"], refs[0], "virtual")
        before = table_contents(db)
        save(db, people, line_up["id"], {refs[0]: sessions["online"].id, refs[1]: sessions["online"].id})
    assert table_contents(db) == before


def test_placements_shown_before_a_reply_came_in_are_stale_and_change_nothing(db, people, line_up, sessions):
    refs = line_up["refs"]
    shown = confirmed(db, line_up["id"])
    record_reply(db, people, line_up["id"], refs[3], "in_person")  # a reply arrives meanwhile
    before = table_contents(db)
    with db.write() as s, pytest.raises(prog.StaleProgramme, match="changed since you opened"):
        pl.save_placements(
            s,
            viewer=people["admin"],
            line_up_id=line_up["id"],
            seats=[pl.Seat(shown[refs[0]].invitation_id, sessions["room"].id)],
            expected_versions={c.invitation_id: c.version for c in shown.values()},
        )
    assert table_contents(db) == before


def test_a_decline_takes_the_presenter_out_of_their_session(db, people, line_up, sessions):
    refs = line_up["refs"]
    save(db, people, line_up["id"], {refs[0]: sessions["room"].id, refs[2]: sessions["room"].id})
    record_reply(db, people, line_up["id"], refs[0], "declined")
    with db.read() as s:
        row = s.scalar(select(PresenterInvitation).where(PresenterInvitation.submission_id == line_up["ids"][0]))
        stored = (row.session_id, row.session_position, row.status)
    assert stored == (None, None, "declined")
    assert confirmed(db, line_up["id"])[refs[2]].session_id == sessions["room"].id  # the others stay
    [entry] = entries(db, "programme.unplace")
    assert entry["actor"] == people["admin"].username and entry["old"]["session"] == sessions["room"].id
    # An acceptance changed to the other format leaves the placement for the check to flag, not cleared.
    record_reply(db, people, line_up["id"], refs[2], "virtual")
    assert confirmed(db, line_up["id"])[refs[2]].session_id == sessions["room"].id


def test_deleting_a_session_takes_its_presenters_out_and_says_who(db, people, line_up, sessions):
    refs = line_up["refs"]
    save(db, people, line_up["id"], {refs[0]: sessions["room"].id, refs[1]: sessions["online"].id})
    with db.write() as s:
        out = prog.delete_session(s, viewer=people["admin"], session_id=sessions["room"].id, expected_version=1)
    assert out == [refs[0]]
    assert confirmed(db, line_up["id"])[refs[0]].session_id is None
    assert confirmed(db, line_up["id"])[refs[1]].session_id == sessions["online"].id
    [entry] = entries(db, "programme_session.delete")
    assert entry["new"]["presenters_unplaced"] == [refs[0]] and entry["old"]["title"] == "In the room"


def test_an_edit_that_would_leave_placed_presenters_out_is_refused(db, people, call_config, line_up, sessions):
    refs = line_up["refs"]
    save(db, people, line_up["id"], {refs[0]: sessions["room"].id, refs[2]: sessions["room"].id})
    before = table_contents(db)
    room = sessions["room"]
    with db.write() as s, pytest.raises(prog.SessionError, match="has 2 presenters but room for 1"):
        prog.update_session(
            s,
            viewer=people["admin"],
            session_id=room.id,
            fields=fields(title=room.title, format="in_person", online_link="", capacity=1),
            expected_version=room.version,
            config=call_config,
        )
    assert table_contents(db) == before


# --- files ---------------------------------------------------------------------------------


def test_the_programme_csv_reads_back_without_anonymous_identity_and_with_formulas_neutralised(
    db, people, call_config, line_up, sessions
):
    refs = line_up["refs"]
    record_reply(db, people, line_up["id"], refs[3], "in_person")
    save(db, people, line_up["id"], {refs[3]: sessions["room"].id, refs[0]: sessions["room"].id})
    with db.read() as s:
        table = pl.programme_csv(s, viewer=people["office"], line_up_id=line_up["id"], config=call_config)
    content = table.to_csv()
    rows = read_csv(content)
    assert [(r["Session"], r["Reference"], r["Order"]) for r in rows] == [
        ("In the room", refs[3], "1"),
        ("In the room", refs[0], "2"),
        ("Online", "", ""),
    ]
    assert rows[0]["Start (UK time)"] == "10:00" and rows[0]["Date"] == "2027-06-10"
    assert rows[1]["Title"] == "'" + FORMULA and rows[1]["Organisation"] == "Organisation 0"
    assert rows[0]["Organisation"] == "" and rows[0]["Presenter"] == ""
    for secret in (b"Hidden Survivors Org", b"Cy Hidden", b"@example.org"):
        assert secret not in content


def test_the_calendar_has_one_event_per_session_and_hostile_text_stays_one_value(
    db, people, call_config, line_up, sessions
):
    refs = line_up["refs"]
    record_reply(db, people, line_up["id"], refs[3], "in_person")
    save(db, people, line_up["id"], {refs[3]: sessions["room"].id})
    hostile = "Panel\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected"
    with db.write() as s:  # as if stored by an older version that did not refuse line breaks
        s.execute(update(SessionRow).where(SessionRow.id == sessions["online"].id).values(title=hostile))
    with db.write() as s:
        file = pl.programme_ics(s, viewer=people["office"], line_up_id=line_up["id"], config=call_config)
    found = events(file.content)
    assert file.events == 2 and len(found) == 2
    lines = file.content.split(b"\r\n")
    assert lines.count(b"END:VEVENT") == 2 and not any(line.startswith(b"SUMMARY:Injected") for line in lines)
    assert [e.get("SUMMARY") for e in found] == ["In the room", hostile.replace("\r\n", "\n")]
    assert found[0].get("DTSTART") == "20270610T090000Z"
    assert refs[3] in (found[0].get("DESCRIPTION") or "")
    for secret in (b"Hidden Survivors Org", b"Cy Hidden", b"@example.org"):
        assert secret not in file.content
    parse(file.content)
    [entry] = entries(db, "export.programme-calendar")
    assert entry["actor"] == people["office"].username and entry["new"]["events"] == 2


def test_the_presenter_list_gains_programme_columns_once_invited(db, people, call_config, line_up, sessions):
    refs = line_up["refs"]
    save(db, people, line_up["id"], {refs[0]: sessions["room"].id})
    scores = scores_frame_for(call_config, dict.fromkeys(line_up["ids"], 4.0))
    with db.read() as s:
        table = exports_da.presenter_list(s, config=call_config, line_up_id=line_up["id"], scores=scores)
    rows = {r["Reference"]: r for r in read_csv(table.to_csv())}
    assert table.field_names[-5:] == ["Session", "Session date", "Session time (UK)", "Presents", "Reply"]
    assert rows[refs[0]]["Session"] == "In the room" and rows[refs[0]]["Session time (UK)"] == "10:00–11:00"
    assert rows[refs[0]]["Reply"] == "Accepted (in person)" and rows[refs[1]]["Presents"] != ""
    assert rows[refs[3]]["Reply"] == "Awaiting reply" and rows[refs[3]]["Session"] == ""


def test_the_presenter_list_of_a_line_up_not_invited_is_unchanged(db, people, call_config):
    with db.write() as s:
        sid = make_submission(s, call_config, presentation_preference="either")
        row = LineUp(name="Draft", rules={}, objective=1.0, notes="", created_by="test", version=1)
        row.members = [LineUpMember(submission_id=sid, format="in_person", position=1, pinned=False)]
        s.add(row)
        s.flush()
        line_up_id = row.id
    with db.read() as s:
        table = exports_da.presenter_list(
            s, config=call_config, line_up_id=line_up_id, scores=scores_frame_for(call_config, {sid: 4.0})
        )
    assert table.field_names[-1] == exports_da.PRESENTER_FLAG and "Session" not in table.field_names
