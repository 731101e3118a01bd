"""A demo call's line-up for the programme's browser tests: signed off and invited, as the office and
the admin leave it, made through the data functions the pages call."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config import load_call_config
from data_access import invitations as inv
from data_access import signoff
from data_access import users as users_da
from data_access.db import Database
from data_access.models import LineUp, LineUpMember, Submission, utcnow
from tests.data_access.test_delivery import mail_settings


def viewer_named(session: Session, username: str) -> Viewer:
    user = users_da.get_user_by_username(session, username)
    return Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)


def invited_line_up(db: Database, name: str, public_url: str) -> tuple[int, list[str]]:
    """A line-up named `name` of the first two named submissions with an address, both in person,
    signed off by the office and invited by the admin (links made from `public_url`): its id and the
    two references."""
    with db.write() as s:
        admin, office = viewer_named(s, "admin"), viewer_named(s, "office")
        subs = list(
            s.scalars(
                select(Submission)
                .where(Submission.anonymous.is_(False), Submission.contact_email.is_not(None))
                .order_by(Submission.id)
                .limit(2)
            )
        )
        line_up = LineUp(name=name, rules={}, objective=1.0, notes="", created_by=admin.username)
        line_up.members = [
            LineUpMember(submission_id=sub.id, format="in_person", position=i + 1, pinned=False)
            for i, sub in enumerate(subs)
        ]
        s.add(line_up)
        s.flush()
        line_up_id, references = line_up.id, [sub.reference for sub in subs]
    with db.write() as s:
        signoff.sign_off(s, viewer=office, line_up_id=line_up_id, expected_version=1)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=admin,
            line_up_id=line_up_id,
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=mail_settings(None, EVIDENCE_PUBLIC_URL=public_url),
            config=load_call_config(),
        )
    return line_up_id, references
