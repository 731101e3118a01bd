"""A session's edit and a placements' save at the same moment never overfill the session
(data_access.programme, data_access.placements, "Locks" in docs/selection.md "The programme"):
both lock the session rows (PostgreSQL: FOR UPDATE, in id order, after the line-up and before
the invitations), so the second reads what the first wrote. On SQLite write units run one at a
time already (BEGIN IMMEDIATE): the same rounds show it holds there too. Both databases."""

from __future__ import annotations

import random

from sqlalchemy import update

from data_access import placements as pl
from data_access import programme as prog
from data_access.models import PresenterInvitation
from data_access.models import ProgrammeSession as SessionRow
from scoring.programme import check_programme
from tests.data_access.test_programme import confirmed, fields
from tests.data_access.test_programme import line_up as line_up
from tests.data_access.test_programme import people as people
from tests.support.races import race

ROUNDS = 30
FINE = (prog.SessionError, prog.StaleProgramme)  # the loser of a round is told in words


def test_a_session_narrowed_while_placements_are_saved_is_never_overfilled(db, call_config, people, line_up):
    admin = people["admin"]
    with db.write() as s:
        room = prog.add_session(s, viewer=admin, fields=fields(capacity=2), config=call_config)
    rng = random.Random(4)
    outcomes = set()
    for round_ in range(ROUNDS):
        with db.write() as s:  # each round from the same start: two places, nobody placed
            s.execute(update(PresenterInvitation).values(session_id=None, session_position=None))
            s.execute(update(SessionRow).where(SessionRow.id == room.id).values(capacity=2))
        shown = confirmed(db, line_up["id"])
        in_person = [c for c in shown.values() if c.format == "in_person"]
        assert len(in_person) == 2
        with db.read() as s:
            [record] = prog.list_sessions(s)
        seats = [pl.Seat(c.invitation_id, room.id, n) for n, c in enumerate(in_person)]
        sides = {
            "place": lambda s, seats=seats, shown=shown: pl.save_placements(
                s,
                viewer=admin,
                line_up_id=line_up["id"],
                seats=seats,
                expected_versions={c.invitation_id: c.version for c in shown.values()},
            ),
            "narrow": lambda s, record=record: prog.update_session(
                s,
                viewer=admin,
                session_id=room.id,
                fields=fields(capacity=1),
                expected_version=record.version,
                config=call_config,
            ),
        }
        said = race(db, sides, fine=FINE, rng=rng, jitter=0.003)
        assert all(isinstance(r, str) for r in said.values()), f"round {round_}: {said}"
        with db.read() as s:
            [after] = prog.list_sessions(s)
            now = pl.confirmed_presenters(s, line_up_id=line_up["id"])
        check = check_programme([after.programme()], [c.presenter() for c in now], pl.saved_placements(now))
        assert check.ok, f"round {round_}: {said}: {check.problems}"
        assert sorted(said.values()) == ["done", "refused"], f"round {round_}: {said}"
        outcomes.add(tuple(sorted(said.items())))
    assert len(outcomes) == 2  # each side won some rounds: the race was run both ways round
