"""access.visibility: every field classified, and each class shown to whom."""

import pytest

from access.visibility import (
    ANONYMOUS,
    FIELD_CLASSES,
    HIDDEN,
    IDENTITY,
    OFFICE,
    REDACTABLE_FIELDS,
    SAFE,
    field_class,
    identity_visible,
    shown_fields,
)
from config import MULTI_VALUED, SINGLE_VALUED

VALUES = {name: f"value of {name}" for name in FIELD_CLASSES if name != "redacted_fields"} | {
    "links": ["https://their.example/a.pdf"]
}
CASES = [
    (role, anon, blind) for role in ("admin", "office", "reviewer") for anon in (False, True) for blind in (False, True)
]


def test_the_classes_are_the_three_known_ones_and_identity_fields_are_the_redactable_ones():
    assert set(FIELD_CLASSES.values()) == {SAFE, IDENTITY, OFFICE}
    assert set(REDACTABLE_FIELDS) == {n for n, k in FIELD_CLASSES.items() if k == IDENTITY}
    assert {"organisation", "contact_name", "contact_email", "region", "links"} <= set(REDACTABLE_FIELDS)
    assert field_class("notes") == OFFICE and all(field_class(n) == SAFE for n in (*MULTI_VALUED, *SINGLE_VALUED))


@pytest.mark.parametrize(("role", "anonymous", "blind"), CASES)
def test_each_class_is_shown_to_whom_it_may_be(role, anonymous, blind):
    shown = shown_fields(role, anonymous=anonymous, blind_review=blind, values=VALUES)
    visible = identity_visible(role, anonymous=anonymous, blind_review=blind)
    assert visible == (role != "reviewer" or not (anonymous or blind))
    for name, value in VALUES.items():
        kind = FIELD_CLASSES[name]
        expected_shown = kind == SAFE or (kind == OFFICE and role != "reviewer") or (kind == IDENTITY and visible)
        if expected_shown:
            assert shown[name] == value, name
        elif name == "organisation":
            assert shown[name] == (ANONYMOUS if anonymous else HIDDEN)
        else:
            assert shown[name] in (None, [], {}), name
    assert shown["redacted_fields"] == ()


@pytest.mark.parametrize(("anonymous", "blind"), [(True, False), (True, True), (False, True)])
def test_an_unclassified_field_is_masked_like_an_identity(anonymous, blind):
    assert field_class("added_later") == IDENTITY
    values = {"added_later": "Their secret", "title": "A title"}
    assert shown_fields("reviewer", anonymous=anonymous, blind_review=blind, values=values)["added_later"] is None
    for role in ("admin", "office"):
        assert (
            shown_fields(role, anonymous=anonymous, blind_review=blind, values=values)["added_later"] == "Their secret"
        )
    # where the identity is visible, an identity-bearing field is shown: so is an unclassified one
    assert shown_fields("reviewer", anonymous=False, blind_review=False, values=values)["added_later"] == "Their secret"


def test_a_published_version_replaces_only_a_masked_identity_field():
    redactions = {"region": "A coastal town", "links": ["The report"], "notes": "never used"}
    reviewer = shown_fields("reviewer", anonymous=True, blind_review=False, values=VALUES, redactions=redactions)
    assert reviewer["region"] == "A coastal town" and reviewer["links"] == ["The report"]
    assert reviewer["notes"] is None  # office fields are never replaced
    assert reviewer["organisation"] == ANONYMOUS and reviewer["contact_name"] is None
    assert set(reviewer["redacted_fields"]) == {"region", "links"}
    named = shown_fields("reviewer", anonymous=False, blind_review=False, values=VALUES, redactions=redactions)
    assert named["region"] == VALUES["region"] and named["redacted_fields"] == ()  # visible: the real one
    office = shown_fields("office", anonymous=True, blind_review=True, values=VALUES, redactions=redactions)
    assert office["region"] == VALUES["region"] and office["redacted_fields"] == ()
