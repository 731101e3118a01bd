"""Who may see what: the identity and access rules in one place.

Pure functions over plain values, used by `data_access/` before anything
leaves the database layer, so that no page or export has its own version of
the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from access.roles import STAFF, Role
from config.call_config import MULTI_VALUED, SINGLE_VALUED

# The contributor's contact fields (the importer's rule for purged contact
# details uses them). Every field that can name a contributor is classified
# IDENTITY in FIELD_CLASSES below.
IDENTITY_FIELDS = ("organisation", "contact_name", "contact_email")

# Every field of a submission, as stored (`data_access.models.Submission`) and
# as the data layer hands it out (`SubmissionView`, the `list_submissions`
# frame), is in one of these classes. A field missing from FIELD_CLASSES is
# treated as IDENTITY: masked by default, never shown by default
# (tests/scoring/test_visibility.py fails until it is classified).
SAFE = "safe"  # shown to everyone who may read the submission: what a reviewer assesses
IDENTITY = "identity"  # can name the contributor: masked for reviewers (anonymous or blind review)
OFFICE = "office"  # for the admin and the office only, never for reviewers

FIELD_CLASSES: dict[str, str] = {
    "id": SAFE,
    "reference": SAFE,
    "title": SAFE,
    "summary": SAFE,
    "received_at": SAFE,
    "anonymous": SAFE,
    **dict.fromkeys(SINGLE_VALUED, SAFE),
    **dict.fromkeys(MULTI_VALUED, SAFE),
    "codes": SAFE,  # the multi-valued codes, by field (SubmissionView)
    "single": SAFE,  # the single-valued codes, by field (SubmissionView)
    "restricted": SAFE,  # the viewer declared a conflict: the reference alone
    "identity_visible": SAFE,  # whether this viewer sees the identity
    "redacted_fields": SAFE,  # which identity fields show the admin's published version
    "organisation": IDENTITY,
    "contact_name": IDENTITY,
    "contact_email": IDENTITY,
    "region": IDENTITY,
    "links": IDENTITY,  # documents and links, e.g. https://<their domain>/report.pdf
    "notes": OFFICE,
    "redactions": OFFICE,  # the published versions, as stored (shown through redacted_fields)
    "import_batch_id": OFFICE,
    "contact_purged_at": OFFICE,
    "source_key": OFFICE,  # the form's response ID the submission was imported from
    "created_at": OFFICE,
    "updated_at": OFFICE,
    "version": OFFICE,
}
# Identity fields for which the admin may publish a version that names nobody.
REDACTABLE_FIELDS = tuple(name for name, kind in FIELD_CLASSES.items() if kind == IDENTITY)


def field_class(name: str) -> str:
    """The class of a submission field; an unclassified field is identity-bearing."""
    return FIELD_CLASSES.get(name, IDENTITY)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as verified against the database on this run."""

    user_id: int
    username: str
    name: str
    role: str

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def identity_visible(role: str, *, anonymous: bool, blind_review: bool) -> bool:
    """May someone in `role` see who sent a submission?

    Reviewers never see the identity of an anonymous submission, and with blind
    review on they see no identities at all. Admin and office keep anonymous
    contact details so that the office can reach the contributor; exports and
    charts never carry them (see `identity_exportable`).
    """
    if role in STAFF:
        return True
    if role == Role.REVIEWER:
        return not anonymous and not blind_review
    return False


def identity_exportable(*, anonymous: bool) -> bool:
    """Exports and charts never carry an anonymous contributor's identity."""
    return not anonymous


HIDDEN = "(hidden)"
ANONYMOUS = "(anonymous)"


def _placeholder(name: str, value: Any, *, anonymous: bool) -> Any:
    if name == "organisation":
        return ANONYMOUS if anonymous else HIDDEN
    if isinstance(value, list | tuple):
        return []
    if isinstance(value, dict):
        return {}
    return None


def shown_fields(
    role: str,
    *,
    anonymous: bool,
    blind_review: bool,
    values: Mapping[str, Any],
    redactions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A submission's fields as someone in `role` may see them.

    SAFE fields as they are; OFFICE fields to the admin and the office only;
    IDENTITY fields (and any field not classified) as they are where the
    identity is visible, otherwise the version the admin published in
    `redactions`, or nothing ("(anonymous)"/"(hidden)" for the organisation).
    Also `redacted_fields`: the fields shown as the admin's published version.
    """
    redactions = redactions or {}
    visible = identity_visible(role, anonymous=anonymous, blind_review=blind_review)
    office = role in STAFF
    out: dict[str, Any] = {}
    redacted: list[str] = []
    for name, value in values.items():
        kind = field_class(name)
        if kind == SAFE:
            out[name] = value
        elif kind == OFFICE:
            out[name] = value if office else _placeholder(name, value, anonymous=anonymous)
        elif visible:
            out[name] = value
        elif redactions.get(name) not in (None, "", []):
            out[name] = list(redactions[name]) if isinstance(redactions[name], list) else redactions[name]
            redacted.append(name)
        else:
            out[name] = _placeholder(name, value, anonymous=anonymous)
    out["redacted_fields"] = tuple(redacted)
    return out


def reviewer_names_visible(role: str) -> bool:
    """Admin and office see who wrote each review; reviewers see the other
    reviews of a submission without their authors' names."""
    return role in STAFF


def review_author_label(role: str, *, own: bool, name: str, position: int) -> str:
    """How the author of a review is shown to someone in `role`.

    `position` (1, 2, ...) is the review's place among the submission's
    reviews, so that a reviewer can tell the other reviews apart."""
    if own:
        return "Your review"
    if reviewer_names_visible(role):
        return name
    return f"Reviewer {chr(ord('A') + position - 1) if 1 <= position <= 26 else position}"
