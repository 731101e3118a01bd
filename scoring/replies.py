"""Where a signed-off line-up stands: who replied how, and whether the confirmed line-up keeps the rules.

Each invited presenter has one `Invitation`: the format offered and the
reply so far (`AWAITING`, `ACCEPTED_IN_PERSON`, `ACCEPTED_VIRTUAL` or
`DECLINED`), with the deadline to reply by. `reply_counts` counts them:
invited, accepted in person, accepted virtually, declined, awaiting (no reply
and the deadline not passed) and no reply by the deadline (no reply, deadline
passed); the last five add up to the first.

`balance_report` checks the line-up against the selection rules with
`scoring.selection`'s own checks (each rule family's `violations`, as
`rule_violations` uses them) twice:

* now: the confirmed presenters alone (those who accepted, in the format they
  accepted);
* if the awaiting accept: the confirmed, plus everyone still awaiting in the
  format offered (those past the deadline are not counted on).

Each active rule is then `KEPT` (both hold), `WAITING` (broken now, kept if
the awaiting accept: for example two of six slots still to be confirmed),
`AT_RISK` (kept now, broken if the awaiting accept) or `BROKEN` (broken even
if every awaiting presenter accepts: a declined place needs a replacement),
with the rule's own words for what breaks.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from scoring.selection import FORMAT_LABELS, LineUp, RuleFamily, SelectionRules, prepare_candidates
from scoring.selection.families import RULE_FAMILIES
from scoring.selection.words import Names, plural

AWAITING = "awaiting"
ACCEPTED_IN_PERSON = "accepted_in_person"
ACCEPTED_VIRTUAL = "accepted_virtual"
DECLINED = "declined"
NO_REPLY_BY_DEADLINE = "no_reply_by_deadline"  # derived: awaiting, and the deadline has passed
REPLY_STATES = (AWAITING, ACCEPTED_IN_PERSON, ACCEPTED_VIRTUAL, DECLINED)
ACCEPTED_FORMAT = {ACCEPTED_IN_PERSON: "in_person", ACCEPTED_VIRTUAL: "virtual"}
REPLY_LABELS = {
    AWAITING: "Awaiting reply",
    ACCEPTED_IN_PERSON: "Accepted (in person)",
    ACCEPTED_VIRTUAL: "Accepted (virtual)",
    DECLINED: "Declined",
    NO_REPLY_BY_DEADLINE: "No reply by the deadline",
}

# The rules a confirmed line-up is checked against: every family but the pins and exclusions, which
# were hand choices of who to invite (a pinned presenter who declined, or is still awaiting, is said
# by the replies, not as "pinned but not in the line-up").
BALANCE_FAMILIES: tuple[RuleFamily, ...] = tuple(f for f in RULE_FAMILIES if f.name not in ("pinned", "excluded"))

KEPT = "kept"
WAITING = "waiting"
AT_RISK = "at_risk"
BROKEN = "broken"
STATUS_LABELS = {
    KEPT: "kept",
    WAITING: "kept if the awaiting presenters accept",
    AT_RISK: "kept now, broken if the awaiting presenters accept as offered",
    BROKEN: "broken even if every awaiting presenter accepts",
}


@dataclass(frozen=True)
class Invitation:
    submission_id: int
    reference: str
    format_offered: str  # "in_person" or "virtual"
    status: str  # one of REPLY_STATES
    deadline: dt.datetime | None = None  # timezone-aware: the moment the reply-by day is over; None: no deadline


@dataclass(frozen=True)
class ReplyCounts:
    invited: int = 0
    accepted_in_person: int = 0
    accepted_virtual: int = 0
    declined: int = 0
    awaiting: int = 0
    no_reply_by_deadline: int = 0

    @property
    def accepted(self) -> int:
        return self.accepted_in_person + self.accepted_virtual

    def sentence(self) -> str:
        """`6 invited: 3 accepted (2 in person, 1 virtual), 1 declined, 1 awaiting, 1 no reply by the deadline.`"""
        return (
            f"{self.invited} invited: {self.accepted} accepted ({self.accepted_in_person} in person, "
            f"{self.accepted_virtual} virtual), {self.declined} declined, {self.awaiting} awaiting, "
            f"{self.no_reply_by_deadline} no reply by the deadline."
        )


@dataclass(frozen=True)
class RuleBalance:
    family: str
    rule: str  # the rule in words
    status: str  # KEPT, WAITING, AT_RISK or BROKEN
    now: tuple[str, ...]  # how the confirmed line-up breaks it, in words (empty: kept)
    if_awaiting_accept: tuple[str, ...]  # how it breaks if every awaiting presenter accepts as offered

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class BalanceReport:
    counts: ReplyCounts
    confirmed: dict[int, str]  # submission_id -> format accepted
    rules: tuple[RuleBalance, ...]
    member_problems: tuple[str, ...]  # confirmed presenters who can no longer be selected, in words

    @property
    def keeps_every_rule(self) -> bool:
        return not self.member_problems and all(r.status == KEPT for r in self.rules)


def _passed(invitation: Invitation, now: dt.datetime) -> bool:
    """The deadline is the moment the reply-by day is over: from that moment on, no reply is late
    (as `data_access.invitations.invitation_state` says it)."""
    return invitation.deadline is not None and now >= invitation.deadline


def reply_state(invitation: Invitation, now: dt.datetime) -> str:
    """The reply as shown: one of REPLY_STATES, or NO_REPLY_BY_DEADLINE."""
    if invitation.status == AWAITING and _passed(invitation, now):
        return NO_REPLY_BY_DEADLINE
    return invitation.status


def reply_label(invitation: Invitation, now: dt.datetime) -> str:
    return REPLY_LABELS[reply_state(invitation, now)]


def invitation_problems(invitations: Sequence[Invitation], now: dt.datetime) -> list[str]:
    """Everything wrong with the input, in words; empty if usable."""
    out: list[str] = []
    if now.utcoffset() is None:
        out.append("The time now needs its time zone.")
    seen: set[int] = set()
    for inv in invitations:
        if inv.submission_id in seen:
            out.append(f"{inv.reference} has two invitations.")
        seen.add(inv.submission_id)
        if inv.status not in REPLY_STATES:
            out.append(f"{inv.reference} has an unknown reply {inv.status!r}.")
        if inv.format_offered not in FORMAT_LABELS:
            out.append(f"{inv.reference} was offered an unknown format {inv.format_offered!r}.")
        if inv.deadline is not None and inv.deadline.utcoffset() is None:
            out.append(f"{inv.reference}'s deadline needs its time zone.")
    return out


def _checked(invitations: Sequence[Invitation], now: dt.datetime) -> None:
    problems = invitation_problems(invitations, now)
    if problems:
        raise ValueError(" ".join(problems))


def reply_counts(invitations: Sequence[Invitation], now: dt.datetime) -> ReplyCounts:
    _checked(invitations, now)
    states = [reply_state(inv, now) for inv in invitations]
    return ReplyCounts(
        invited=len(states),
        accepted_in_person=states.count(ACCEPTED_IN_PERSON),
        accepted_virtual=states.count(ACCEPTED_VIRTUAL),
        declined=states.count(DECLINED),
        awaiting=states.count(AWAITING),
        no_reply_by_deadline=states.count(NO_REPLY_BY_DEADLINE),
    )


def confirmed_members(invitations: Sequence[Invitation]) -> dict[int, str]:
    """submission_id -> format accepted, for those who accepted."""
    return {inv.submission_id: ACCEPTED_FORMAT[inv.status] for inv in invitations if inv.status in ACCEPTED_FORMAT}


def _violations(
    frame: pd.DataFrame, rules: SelectionRules, members: Mapping[int, str], names: Names, family: RuleFamily
) -> tuple[str, ...]:
    rows = frame.loc[[s for s in members if s in frame.index]]
    return tuple(family.violations(LineUp(frame=frame, rows=rows, members=members, rules=rules, names=names)))


def _status(now: Sequence[str], later: Sequence[str]) -> str:
    if later:
        return AT_RISK if not now else BROKEN
    return WAITING if now else KEPT


def _member_problems(frame: pd.DataFrame, confirmed: Mapping[int, str]) -> list[str]:
    out = []
    unknown = [s for s in confirmed if s not in frame.index]
    if unknown:
        out.append(
            f"{plural(len(unknown), 'confirmed presenter is', 'confirmed presenters are')} not among the submissions."
        )
    for sid in confirmed:
        if sid in frame.index and frame.loc[sid, "why_not"]:
            out.append(f"{frame.loc[sid, 'reference']} cannot be selected now: {frame.loc[sid, 'why_not']}.")
    return out


def balance_report(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    invitations: Sequence[Invitation],
    *,
    now: dt.datetime,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    families: Sequence[RuleFamily] | None = None,
) -> BalanceReport:
    """The replies counted, and each active rule checked on the confirmed line-up (see the module's docstring).
    `candidates` as for `scoring.selection.select_presenters`; raises ValueError (in words) for bad input."""
    counts = reply_counts(invitations, now)
    frame = prepare_candidates(candidates).set_index("submission_id")
    names = Names(labels)
    confirmed = confirmed_members(invitations)
    projected = dict(confirmed)
    for inv in invitations:
        if reply_state(inv, now) == AWAITING:
            projected[inv.submission_id] = inv.format_offered
    balances = []
    for family in BALANCE_FAMILIES if families is None else families:
        if not family.active(rules):
            continue
        now_broken = _violations(frame, rules, confirmed, names, family)
        later_broken = _violations(frame, rules, projected, names, family)
        balances.append(
            RuleBalance(
                family.name, family.describe(rules), _status(now_broken, later_broken), now_broken, later_broken
            )
        )
    return BalanceReport(
        counts=counts,
        confirmed=confirmed,
        rules=tuple(balances),
        member_problems=tuple(_member_problems(frame, confirmed)),
    )
