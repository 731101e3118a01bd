"""Lock order of a presenter's reply through the link and the admin's recorded reply
(data_access.invitations, its docstring's "Locks"): both lock the line-up (for an acceptance),
then the invitation row, then its link rows, so that the two racing never deadlock on
PostgreSQL (where the link path used to lock the link row first and the admin's path the
invitation row first, each then waiting for the other's). Both databases."""

from __future__ import annotations

import random
from functools import partial

from sqlalchemy import update

from data_access import invitations as inv
from data_access.models import PresenterInvitation
from tests.data_access.test_invitations import (  # noqa: F401 (call, invited, saved: fixtures)
    call,
    invitation,
    invited,
    mint,
    saved,
)
from tests.support.races import race

ROUNDS = 40
FINE = (inv.ReplyLinkInvalid, inv.StaleInvitation, inv.PlacesTaken)  # the loser of a round is told plainly


def _pending_again(db, invitation_id: int) -> None:
    """Set up another round: the invitation without a reply (as before anyone replied)."""
    with db.write() as s:
        s.execute(
            update(PresenterInvitation)
            .where(PresenterInvitation.id == invitation_id)
            .values(status="pending", reply_format=None, replied_at=None, replied_by=None, access_needs="", note="")
        )


def test_a_reply_through_the_link_and_one_recorded_by_the_admin_never_deadlock(db, request):
    admin = request.getfixturevalue("call")["admin"]
    messages = request.getfixturevalue("invited")
    reference = sorted(messages)[0]
    rng = random.Random(17)
    winners = set()
    for round_ in range(ROUNDS):
        if round_:
            _pending_again(db, invitation(db, reference).id)
        record = invitation(db, reference)
        token = mint(db, messages[reference])
        link_choice, admin_choice = rng.choice(["declined", "virtual"]), rng.choice(["declined", "in_person"])
        sides = {
            "link": partial(inv.reply_by_link, token=token, choice=link_choice, note="by link"),
            "admin": partial(
                inv.record_reply,
                viewer=admin,
                invitation_id=record.id,
                choice=admin_choice,
                expected_version=record.version,
            ),
        }
        results = race(db, sides, fine=FINE, rng=rng)
        assert all(isinstance(r, str) for r in results.values()), f"round {round_}: {results}"
        # Exactly one of the two replies is recorded; the other is refused, nothing half done.
        assert sorted(results.values()) == ["done", "refused"], results
        winners |= {who for who, result in results.items() if result == "done"}
        assert invitation(db, reference).state != "awaiting"
    assert winners == {"link", "admin"}  # the race was run both ways round
