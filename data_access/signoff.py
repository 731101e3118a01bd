"""Sign-off of a saved line-up (issue 17; docs/selection.md "From line-up to programme").

The office or the admin signs off the current version of a saved line-up
(`sign_off`). The sign-off keeps the members as they were (submission and
format, table `line_up_signoffs`), so the signed-off line-up is frozen: saving
the line-up again (`lineups.save_line_up`) makes a new version, which is not
signed off until someone signs it off in turn (`current_sign_off` is then
None); the earlier sign-off stays (`sign_offs`). Audited as `line_up.sign_off`.
Invitations to present start from a signed-off version (`data_access.invitations`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.roles import STAFF, Role
from access.visibility import Viewer
from data_access import audit
from data_access.errors import AccessDenied
from data_access.models import LineUp, LineUpSignOff, Submission, User, utcnow


class SignOffError(ValueError):
    """A sign-off that cannot be made as asked; the message is for people, and nothing was changed."""


@dataclass(frozen=True)
class SignOffRecord:
    id: int
    line_up_id: int
    version: int
    members: tuple[tuple[int, str], ...]  # (submission id, format), in the line-up's order
    signed_off_by: str
    signed_off_at: dt.datetime


def _require_staff(session: Session, viewer: Viewer, to: str) -> None:
    """Re-check on the server, in this transaction, that the viewer is an active admin or office account."""
    user = session.get(User, viewer.user_id)
    if user is None or not user.active or user.role not in STAFF or user.username != viewer.username:
        raise AccessDenied(f"only an active admin or office account may {to}")


def require_admin(session: Session, viewer: Viewer, to: str) -> None:
    user = session.get(User, viewer.user_id)
    if user is None or not user.active or user.role != Role.ADMIN or user.username != viewer.username:
        raise AccessDenied(f"only an active admin may {to}")


def _sign_off_record(row: LineUpSignOff) -> SignOffRecord:
    return SignOffRecord(
        id=row.id,
        line_up_id=row.line_up_id,
        version=row.version,
        members=tuple((int(m["submission_id"]), str(m["format"])) for m in row.members),
        signed_off_by=row.signed_off_by,
        signed_off_at=row.signed_off_at,
    )


def sign_off(session: Session, *, viewer: Viewer, line_up_id: int, expected_version: int) -> SignOffRecord:
    """Sign off version `expected_version` of a saved line-up (office or admin).

    AccessDenied (not an active admin or office account); InvitationError (no such
    line-up, it changed since it was shown, it has no members, or this version is
    signed off already)."""
    _require_staff(session, viewer, "sign off a line-up")
    line_up = lock_line_up(session, line_up_id)
    if line_up is None:
        raise SignOffError("There is no such saved line-up; save the line-up first.")
    if line_up.version != expected_version:
        raise SignOffError(
            f"{line_up.name} changed since you opened it: it is now version {line_up.version}. "
            "Look at it again before signing it off."
        )
    if not line_up.members:
        raise SignOffError(f"{line_up.name} has no presenters to sign off.")
    if _sign_off_row(session, line_up_id, line_up.version) is not None:
        raise SignOffError(f"Version {line_up.version} of {line_up.name} is signed off already.")
    ordered = sorted(line_up.members, key=lambda m: m.position)
    members: list[dict[str, Any]] = [{"submission_id": m.submission_id, "format": m.format} for m in ordered]
    row = LineUpSignOff(
        line_up_id=line_up.id,
        version=line_up.version,
        members=members,
        signed_off_by=viewer.username,
        signed_off_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise SignOffError(f"Version {line_up.version} of {line_up.name} was signed off a moment ago.") from None
    refs = _references(session, [m.submission_id for m in ordered])
    audit.record(
        session,
        actor=viewer.username,
        action="line_up.sign_off",
        entity="line_up",
        entity_id=line_up.id,
        new={
            "name": line_up.name,
            "version": line_up.version,
            "members": [{"reference": refs[m.submission_id], "format": m.format} for m in ordered],
        },
    )
    return _sign_off_record(row)


def lock_line_up(session: Session, line_up_id: int) -> LineUp | None:
    """The line-up, read afresh and locked for this unit of work (PostgreSQL: FOR UPDATE; SQLite's
    write units run one at a time), so that a save, a sign-off or invitations of the same line-up
    wait for this one: a sign-off never mixes one version's number with another's members."""
    return session.get(
        LineUp, line_up_id, populate_existing=True, with_for_update=session.get_bind().dialect.name != "sqlite"
    )


def _sign_off_row(session: Session, line_up_id: int, version: int) -> LineUpSignOff | None:
    return session.scalar(
        select(LineUpSignOff).where(LineUpSignOff.line_up_id == line_up_id, LineUpSignOff.version == version)
    )


def current_sign_off(session: Session, *, line_up_id: int) -> SignOffRecord | None:
    """The sign-off of the line-up's current version; None if that version is not signed off
    (never signed off, or saved again since: a new version needs its own sign-off)."""
    version = session.scalar(select(LineUp.version).where(LineUp.id == line_up_id))
    if version is None:
        return None
    row = _sign_off_row(session, line_up_id, version)
    return None if row is None else _sign_off_record(row)


def sign_offs(session: Session, *, line_up_id: int) -> list[SignOffRecord]:
    """Every sign-off of a line-up, newest version first."""
    rows = session.scalars(
        select(LineUpSignOff).where(LineUpSignOff.line_up_id == line_up_id).order_by(LineUpSignOff.version.desc())
    )
    return [_sign_off_record(r) for r in rows]


def _references(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Submission.id, Submission.reference).where(Submission.id.in_(ids))).all())


__all__ = [
    "SignOffError",
    "SignOffRecord",
    "current_sign_off",
    "lock_line_up",
    "require_admin",
    "sign_off",
    "sign_offs",
]
