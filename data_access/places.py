"""The in-person and virtual places of a line-up, as replies come in (docs/selection.md,
"Capacities as replies change"): the line-up's rules cap the presenters in person
(`max_in_person`) and virtually (`max_virtual`); only presenters who accepted hold a place.
`data_access.invitations` refuses an acceptance in a full format, with the line-up locked."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import PRESENTATION_FORMATS, LineUp, PresenterInvitation


def open_formats(session: Session, *, invitation_id: int) -> tuple[str, ...]:
    """The formats in which this invitation can still be accepted: those whose cap in the line-up's
    rules (`max_in_person`, `max_virtual`) is not reached by the other presenters who accepted."""
    row = session.get_one(PresenterInvitation, invitation_id)
    rules = session.scalar(select(LineUp.rules).where(LineUp.id == row.line_up_id)) or {}
    caps = {"in_person": rules.get("max_in_person"), "virtual": rules.get("max_virtual")}
    taken = Counter(
        session.scalars(
            select(PresenterInvitation.reply_format).where(
                PresenterInvitation.line_up_id == row.line_up_id,
                PresenterInvitation.status == "accepted",
                PresenterInvitation.id != invitation_id,
            )
        )
    )
    return tuple(f for f in PRESENTATION_FORMATS if caps.get(f) is None or taken[f] < int(caps[f]))


__all__ = ["open_formats"]
