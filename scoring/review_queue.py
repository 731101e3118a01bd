"""A reviewer's queue: the status of each assignment and where "next" goes."""

from __future__ import annotations

from collections.abc import Sequence

NOT_STARTED, DRAFT, SUBMITTED, CONFLICT = "not_started", "draft", "submitted", "conflict"
STATUS_LABELS = {
    NOT_STARTED: "Not started",
    DRAFT: "Draft",
    SUBMITTED: "Submitted",
    CONFLICT: "Conflict declared",
}
UNFINISHED = frozenset({NOT_STARTED, DRAFT})


def queue_status(*, conflicted: bool, review_status: str | None) -> str:
    """One assignment's status: a declared conflict ends the review whatever
    was saved before it."""
    if conflicted:
        return CONFLICT
    if review_status in (DRAFT, SUBMITTED):
        return review_status
    return NOT_STARTED


def neighbours(order: Sequence[str], statuses: Sequence[str], current: str | None) -> tuple[str | None, str | None]:
    """(previous, next unfinished) around `current` in the queue's order.

    "Previous" is simply the one before. "Next" is the first unfinished one
    after `current`, wrapping round to the start; None when nothing else is
    left to do."""
    if len(order) != len(statuses):
        raise ValueError("order and statuses differ in length")
    at = order.index(current) if current in order else -1
    previous = order[at - 1] if at > 0 else None
    n = len(order)
    for step in range(1, n + 1):
        i = (at + step) % n
        if order[i] != current and statuses[i] in UNFINISHED:
            return previous, order[i]
    return previous, None
