"""The longest text each free-text input may hold, in characters: one place.

The data layer refuses a longer value with `too_long`'s message and changes
nothing, whoever calls it; the widgets show the same limit as their
`max_chars` (which Streamlit's server also applies, cutting a longer value).
docs/security.md ("Bounds on free text") lists them.
"""

from __future__ import annotations

REVIEW_COMMENT = 20_000
CONFLICT_REASON = 1_000
USER_NAME = 200  # the users.name column (VARCHAR(200))
USER_EMAIL = 320  # the longest address the email standards allow; the users.email column
USER_ORGANISATION = 300  # the users.organisation column
USERNAME = 64  # also the username rule in data_access.users
LINE_UP_NAME = 200
LINE_UP_NOTES = 5_000
MAPPING_NAME = 200
SEARCH = 200
CONFIRMATION = 100  # typing a reference to confirm an erasure
DISCUSSION_POST = 5_000  # one post in the panel's discussion of a submission (issue 18)
DECISION_REASON = 2_000  # the reason for a panel decision (data_access.decisions)
SOURCE_KEY = 200  # a form's response ID kept as an imported submission's key (submissions.source_key)

# Imported cells, per template field (importing.fields); a longer
# cell is a problem of its row. Excel's own limit for a cell is 32,767.
IMPORTED_FIELD = {
    "title": 1_000,
    "summary": 32_767,
    "notes": 32_767,  # the office's notes on a submission
    "links": 10_000,
    "reference": 64,  # also importing.submission_rules.REFERENCE_RE and the column
    "contact_email": USER_EMAIL,
}
IMPORTED_DEFAULT = 2_000  # any other field (names, organisations, regions, codes, dates...)


def imported_field(name: str) -> int:
    return IMPORTED_FIELD.get(name, IMPORTED_DEFAULT)


def too_long(what: str, value: str | None, limit: int) -> str | None:
    """The message refusing `value` when it has more than `limit` characters, else None."""
    if value is not None and len(value) > limit:
        return f"{what} has {len(value):,} characters; the most allowed is {limit:,}. Shorten it and try again."
    return None
