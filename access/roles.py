"""The people who use the app, by role: one name for each, used everywhere.

`Role` is a `StrEnum`, so a role compares equal to the string stored in the
database (`users.role`, whose CHECK constraint lists the same values) and in
sessions: `Role.ADMIN == "admin"`.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # the call's coordinator: everything, including users and the audit log
    OFFICE = "office"  # the commissioner's office: reads everything, changes nothing of the reviews
    REVIEWER = "reviewer"  # a panel member: reviews what is assigned to them


ROLES: tuple[Role, ...] = tuple(Role)
# The roles that read every submission and every submitted review, with names.
STAFF: frozenset[Role] = frozenset({Role.ADMIN, Role.OFFICE})
