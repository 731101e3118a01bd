"""A reviewer's queue: statuses and where Previous / Next go; review labels."""

import pytest

from access.visibility import review_author_label, reviewer_names_visible
from scoring.review_queue import neighbours, progress, queue_status, shown

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


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("unfinished", ["not_started", "draft"]),
        ("all", ["not_started", "draft", "submitted", "conflict"]),
        ("submitted", ["submitted"]),
        ("conflict", ["conflict"]),
    ],
)
def test_the_status_filter(show, expected):
    statuses = ["not_started", "draft", "submitted", "conflict"]
    assert [s for s in statuses if shown(s, "A title", show=show)] == expected


@pytest.mark.parametrize(
    ("search", "matches"),
    [
        ("", True),
        ("  peer SUPPORT ", True),  # ignoring case and the spaces around
        ("support in", True),
        ("[a-z]+", False),  # plain text, never a pattern
        (".*", False),
        ("(ex)", True),
    ],
)
def test_the_title_search_is_plain_text_ignoring_case(search, matches):
    assert shown("draft", "Peer support in prisons (ex)", show="all", search=search) is matches


@pytest.mark.parametrize(
    ("search", "matches"),
    [("cfe-0042", True), ("0042", True), ("CFE-0043", False), ("42 Peer", False), ("prisons", True)],
)
def test_the_search_finds_a_reference_too(search, matches):
    assert shown("draft", "Peer support in prisons", show="all", search=search, reference="CFE-0042") is matches


def test_an_unknown_filter_is_refused():
    with pytest.raises(ValueError, match="unknown queue filter"):
        shown("draft", "A title", show="everything")


def test_progress_counts_submitted_of_due_and_drafts():
    assert progress(["submitted", "draft", "conflict", "not_started", "submitted"]) == (2, 4, 1)
    assert progress([]) == (0, 0, 0)
