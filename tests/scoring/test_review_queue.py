"""A reviewer's queue: statuses and where Previous / Next go; review labels."""

import pytest

from access.visibility import review_author_label, reviewer_names_visible
from scoring.review_queue import neighbours, queue_status

ORDER = ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize(
    ("conflicted", "review_status", "expected"),
    [
        (False, None, "not_started"),
        (False, "draft", "draft"),
        (False, "submitted", "submitted"),
        (True, None, "conflict"),
        (True, "draft", "conflict"),  # a conflict ends the review, whatever was saved
    ],
)
def test_queue_status(conflicted, review_status, expected):
    assert queue_status(conflicted=conflicted, review_status=review_status) == expected


@pytest.mark.parametrize(
    ("statuses", "current", "expected"),
    [
        (["not_started"] * 5, "A", (None, "B")),
        (["submitted", "draft", "submitted", "conflict", "not_started"], "B", ("A", "E")),
        (["draft", "submitted", "submitted", "conflict", "submitted"], "C", ("B", "A")),  # wraps round
        (["submitted", "submitted", "draft", "submitted", "submitted"], "C", ("B", None)),  # only itself left
        (["submitted"] * 5, "E", ("D", None)),
        (["draft"] * 5, "Z", (None, "A")),  # nothing open yet
    ],
)
def test_previous_and_next_unfinished(statuses, current, expected):
    assert neighbours(ORDER, statuses, current) == expected


def test_order_and_statuses_must_match():
    with pytest.raises(ValueError):
        neighbours(ORDER, ["draft"], "A")


@pytest.mark.parametrize(
    ("role", "own", "position", "expected"),
    [
        ("reviewer", True, 0, "Your review"),
        ("reviewer", False, 1, "Reviewer A"),
        ("reviewer", False, 3, "Reviewer C"),
        ("admin", False, 1, "Ann Example"),
        ("office", False, 2, "Ann Example"),
    ],
)
def test_review_authors_are_named_only_for_admin_and_office(role, own, position, expected):
    assert review_author_label(role, own=own, name="Ann Example", position=position) == expected
    assert reviewer_names_visible(role) == (role != "reviewer")
