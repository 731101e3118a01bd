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


# What the queue's table shows: a status filter (default: what is left to do).
UNFINISHED_FILTER, ALL_FILTER = "unfinished", "all"
FILTER_LABELS = {
    UNFINISHED_FILTER: "Unfinished",
    NOT_STARTED: "Not started",
    DRAFT: "Draft",
    SUBMITTED: "Submitted",
    CONFLICT: "Conflict declared",
    ALL_FILTER: "All",
}


def shown(status: str, title: str, *, show: str, search: str = "", reference: str = "") -> bool:
    """Whether one queue row passes the status filter and the search.

    The search is a plain piece of text looked for anywhere in the title or
    the reference, ignoring case (never a pattern: `.*` finds only titles
    containing `.*`)."""
    if show not in FILTER_LABELS:
        raise ValueError(f"unknown queue filter {show!r}")
    wanted = status in UNFINISHED if show == UNFINISHED_FILTER else show in (ALL_FILTER, status)
    needle = search.strip().casefold()
    return wanted and (not needle or needle in title.casefold() or needle in reference.casefold())


def progress(statuses: Sequence[str]) -> tuple[int, int, int]:
    """(submitted, due, drafts): a declared conflict is not due."""
    submitted = sum(s == SUBMITTED for s in statuses)
    due = sum(s != CONFLICT for s in statuses)
    drafts = sum(s == DRAFT for s in statuses)
    return submitted, due, drafts
