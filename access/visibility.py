"""Who may see what: the identity and access rules in one place.

Pure functions over plain values, used by `data_access/` before anything
leaves the database layer, so that no page or export has its own version of
the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_FIELDS = ("organisation", "contact_name", "contact_email")
ROLES = ("admin", "office", "reviewer")


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as verified against the database on this run."""

    user_id: int
    username: str
    name: str
    role: str

    @property
    def is_reviewer(self) -> bool:
        return self.role == "reviewer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def identity_visible(role: str, *, anonymous: bool, blind_review: bool) -> bool:
    """May someone in `role` see who sent a submission?

    Reviewers never see the identity of an anonymous submission, and with blind
    review on they see no identities at all. Admin and office keep anonymous
    contact details so that the office can reach the contributor; exports and
    charts never carry them (see `identity_exportable`).
    """
    if role in ("admin", "office"):
        return True
    if role == "reviewer":
        return not anonymous and not blind_review
    return False


def identity_exportable(*, anonymous: bool) -> bool:
    """Exports and charts never carry an anonymous contributor's identity."""
    return not anonymous


HIDDEN = "(hidden)"
ANONYMOUS = "(anonymous)"


def masked_identity(
    role: str, *, anonymous: bool, blind_review: bool, identity: dict[str, str | None]
) -> dict[str, str | None]:
    """The identity fields as this role may see them."""
    if identity_visible(role, anonymous=anonymous, blind_review=blind_review):
        return dict(identity)
    placeholder = ANONYMOUS if anonymous else HIDDEN
    return {key: (placeholder if key == "organisation" else None) for key in identity}


def reviewer_names_visible(role: str) -> bool:
    """Admin and office see who wrote each review; reviewers see the other
    reviews of a submission without their authors' names."""
    return role in ("admin", "office")


def review_author_label(role: str, *, own: bool, name: str, position: int) -> str:
    """How the author of a review is shown to someone in `role`.

    `position` (1, 2, ...) is the review's place among the submission's
    reviews, so that a reviewer can tell the other reviews apart."""
    if own:
        return "Your review"
    if reviewer_names_visible(role):
        return name
    return f"Reviewer {chr(ord('A') + position - 1) if 1 <= position <= 26 else position}"
