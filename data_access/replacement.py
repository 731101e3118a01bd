"""Replacements after declines (issue 17; docs/selection.md "Replacements").

`propose_replacement` (admin or office) reads the line-up's current version,
its saved rules and its invitations, builds the candidates as the Selection
page does (`lineups.candidate_frame` on `lineups.current_scores`), and asks
`scoring.selection.replace.propose_replacements` for the best line-up with
every presenter who accepted kept in the format they accepted, every presenter
awaiting a reply (or with no reply by the deadline) kept in the format they
were offered, and every presenter who declined left out. When nobody declined,
nothing is proposed, and it says so.

`confirm_replacement` (admin) takes what the admin was shown: the line-up's
version, each invitation's version, and the presenters proposed to come in.
In one transaction, with the line-up locked, it refuses (nothing changed) if
any of them changed or a fresh proposal no longer brings in the same
presenters; otherwise it saves the proposal as a new version of the line-up
(`lineups.save_version`), signs that version off by the confirming admin
(`signoff.sign_off`: the confirmation is the sign-off), records a
`line_up.replacement` audit entry with what each rule cost, and invites the
presenters coming in (`invitations.invite_all`: members of the signed-off
version not invited yet; the declined invitations stay as they were).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import STAFF
from access.visibility import Viewer
from config import Settings
from config.call_config import CallConfig
from data_access import audit, signoff
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access.errors import AccessDenied
from data_access.models import PresenterInvitation, User, utcnow
from scoring.selection import FORMAT_LABELS, SelectionError, labels_from_config
from scoring.selection.replace import PresenterState, ReplacementProposal, propose_replacements

NOBODY_DECLINED = "Nobody in the current version of this line-up has declined, so no replacement is proposed."
STALE = (
    "Nothing was changed: {name} or its replies changed since the proposal was shown "
    "(another admin confirmed a replacement, or a reply came in). Propose a replacement again."
)
NOT_BEST = (
    "Nothing was changed: the best replacement is no longer {proposed} but {fresh} "
    "(the scores or the submissions changed since it was shown). Propose a replacement again."
)
STATE_OF = {
    "accepted_in_person": PresenterState.ACCEPTED_IN_PERSON,
    "accepted_virtual": PresenterState.ACCEPTED_VIRTUAL,
    "declined": PresenterState.DECLINED,
    "awaiting": PresenterState.AWAITING,
    "no_reply": PresenterState.AWAITING,  # no reply by the deadline: kept until they decline
}


class ReplacementError(ValueError):
    """A replacement that cannot be made as asked; the message is for people, and nothing was changed."""


class StaleReplacement(ReplacementError):
    """The line-up or a reply changed since the proposal was shown; nothing was changed."""


@dataclass(frozen=True)
class Entering:
    submission_id: int
    reference: str
    title: str
    format: str

    @property
    def format_words(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)


@dataclass(frozen=True)
class Replacement:
    """A replacement as proposed to the admin and the office (identities: references only)."""

    line_up_id: int
    name: str
    version: int  # the line-up's version the proposal is for
    invitations: tuple[tuple[int, int], ...]  # (invitation id, version) as read: what a confirmation expects
    declined: tuple[str, ...]  # references of the presenters who declined
    proposal: ReplacementProposal | None  # None: nobody declined
    entering: tuple[Entering, ...] = ()
    message: str = ""  # why nothing is proposed

    @property
    def can_confirm(self) -> bool:
        return self.proposal is not None and self.proposal.feasible and bool(self.entering)

    @property
    def expected_invitations(self) -> dict[int, int]:
        return dict(self.invitations)

    def rule_costs(self) -> pd.DataFrame:
        """Each rule of the line-up and what it costs in this replacement ("Given up for this rule")."""
        changes = () if self.proposal is None else self.proposal.rule_changes
        return pd.DataFrame(
            [
                {
                    "Rule": c.rule,
                    "Given up for this rule": c.given_up,
                    "Kept": "no: relaxed (see below)" if c.relaxed else "yes",
                }
                for c in changes
            ],
            columns=["Rule", "Given up for this rule", "Kept"],
        )


@dataclass(frozen=True)
class Confirmed:
    version: int
    entering: tuple[str, ...]  # references that came in
    invited: tuple[str, ...]  # references invited now (message queued, or no usable address)
    report: inv.InviteReport


def _require_staff(session: Session, viewer: Viewer) -> None:
    user = session.get(User, viewer.user_id)
    if user is None or not user.active or user.role not in STAFF or user.username != viewer.username:
        raise AccessDenied("only an active admin or office account may see replacements")


def propose_replacement(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    config: CallConfig,
    scores: pd.DataFrame | None = None,
    now: dt.datetime | None = None,
) -> Replacement:
    """The best replacement for the declines of the line-up's current version (admin or office).
    `scores`: as `scoring.score_submissions` gives them (None: today's, from the submitted reviews).
    AccessDenied; ReplacementError (no such line-up, or its rules cannot be solved)."""
    _require_staff(session, viewer)
    return _propose(session, line_up_id=line_up_id, config=config, scores=scores, now=now or utcnow())


def _invitations(session: Session, line_up_id: int) -> list[PresenterInvitation]:
    return list(
        session.scalars(
            select(PresenterInvitation)
            .where(PresenterInvitation.line_up_id == line_up_id)
            .order_by(PresenterInvitation.id)
            .execution_options(populate_existing=True)
        )
    )


def _propose(
    session: Session, *, line_up_id: int, config: CallConfig, scores: pd.DataFrame | None, now: dt.datetime
) -> Replacement:
    try:
        record = lineups_da.get_line_up(session, line_up_id=line_up_id)
    except lineups_da.LineUpError:
        raise ReplacementError("There is no such saved line-up.") from None
    rows = _invitations(session, line_up_id)
    stamp = tuple((r.id, r.version) for r in rows)
    by_submission = {r.submission_id: r for r in rows}
    states: dict[int, PresenterState] = {}
    offered: dict[int, str] = {}
    for m in record.members:
        row = by_submission.get(m.submission_id)
        if row is None:  # not invited yet: kept, in the line-up's format
            states[m.submission_id], offered[m.submission_id] = PresenterState.AWAITING, m.format
            continue
        states[m.submission_id] = STATE_OF[inv.invitation_state(row.status, row.reply_format, row.reply_by, now)]
        offered[m.submission_id] = row.format_offered
    declined = [sid for sid, state in states.items() if state is PresenterState.DECLINED]
    refs = {m.submission_id: m.reference for m in record.members}
    base = Replacement(line_up_id, record.name, record.version, stamp, tuple(refs[s] for s in declined), None)
    if not declined:
        return dataclasses.replace(base, message=NOBODY_DECLINED)
    rules = lineups_da.rules_of(record)
    # Invited once and no longer in the line-up (declined earlier, or removed by hand whatever their
    # reply): never proposed again either. A removed presenter keeps their invitation, and nobody is
    # invited twice, so proposing them would bring back someone taken out, uninvited.
    gone = {r.submission_id for r in rows if r.submission_id not in states}
    rules = dataclasses.replace(rules, excluded=tuple(sorted(set(rules.excluded) | gone)))
    if scores is None:
        scores = lineups_da.current_scores(session, config=config)
    candidates = lineups_da.candidate_frame(session, scores=scores)
    # Those awaiting a reply were invited in one format: they are kept in it (a reply then says otherwise).
    waiting = {s: offered[s] for s, state in states.items() if state is PresenterState.AWAITING}
    ids = candidates["submission_id"].astype(int)
    candidates["presentation_preference"] = [
        waiting.get(sid, pref) for sid, pref in zip(ids, candidates["presentation_preference"], strict=True)
    ]
    try:
        proposal = propose_replacements(candidates, rules, states, labels=labels_from_config(config))
    except SelectionError as exc:
        raise ReplacementError(f"No replacement can be proposed: {exc}") from None
    titles = dict(zip(ids, candidates["title"], strict=True))
    references = dict(zip(ids, candidates["reference"], strict=True))
    entering = tuple(Entering(s, str(references[s]), str(titles[s]), proposal.members[s]) for s in proposal.entering)
    return dataclasses.replace(base, proposal=proposal, entering=entering)


def confirm_replacement(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    expected_version: int,
    expected_invitations: Mapping[int, int],
    entering: Sequence[int],
    reply_by: dt.date,
    settings: Settings,
    config: CallConfig,
    scores: pd.DataFrame | None = None,
    now: dt.datetime | None = None,
) -> Confirmed:
    """Confirm the replacement shown (admin): a new version, signed off, the newcomers invited.

    AccessDenied (not an active admin); StaleReplacement (the line-up or an invitation changed
    since it was shown); `scores` as for `propose_replacement`; ReplacementError (nothing to confirm, or `entering` is not what a fresh
    proposal gives); signoff.SignOffError or invitations.InvitationError (e.g. the reply-by date).
    Nothing is changed when it raises (the caller's unit of work rolls back)."""
    signoff.require_admin(session, viewer, "confirm a replacement")
    now = now or utcnow()
    line_up = signoff.lock_line_up(session, line_up_id)  # two admins at once: the second waits, then is stale
    if line_up is None:
        raise ReplacementError("There is no such saved line-up.")
    current = {r.id: r.version for r in _invitations(session, line_up_id)}
    if line_up.version != expected_version or current != {int(k): int(v) for k, v in expected_invitations.items()}:
        raise StaleReplacement(STALE.format(name=line_up.name))
    fresh = _propose(session, line_up_id=line_up_id, config=config, scores=scores, now=now)
    if fresh.proposal is None:
        raise ReplacementError(fresh.message)
    if not fresh.can_confirm:
        raise ReplacementError("Nothing was changed: no presenter can be proposed to come in.")
    wanted = sorted(int(s) for s in entering)
    if wanted != sorted(e.submission_id for e in fresh.entering):
        asked = lineups_da.references(session, wanted)
        raise ReplacementError(
            NOT_BEST.format(
                proposed=", ".join(asked.get(s, "an unknown submission") for s in wanted) or "nobody",
                fresh=", ".join(e.reference for e in fresh.entering),
            )
        )
    proposal = fresh.proposal
    saved = lineups_da.save_version(
        session,
        viewer=viewer,
        line_up_id=line_up_id,
        expected_version=expected_version,
        rules=proposal.rules,
        objective=proposal.objective,
        members=proposal.members,
    )
    signoff.sign_off(session, viewer=viewer, line_up_id=line_up_id, expected_version=saved.version)
    audit.record(
        session,
        actor=viewer.username,
        action="line_up.replacement",
        entity="line_up",
        entity_id=line_up_id,
        old={"version": expected_version, "declined": list(fresh.declined)},
        new={
            "version": saved.version,
            "entering": [{"reference": e.reference, "format": e.format} for e in fresh.entering],
            "score_change": proposal.score_change,
            "rule_costs": [
                {"rule": c.rule, "given_up": None if pd.isna(c.given_up) else c.given_up, "relaxed": c.relaxed}
                for c in proposal.rule_changes
            ],
            "relaxed": [b.message for b in proposal.relaxed],
        },
    )
    report = inv.invite_all(
        session, viewer=viewer, line_up_id=line_up_id, reply_by=reply_by, settings=settings, config=config, now=now
    )
    return Confirmed(
        version=saved.version,
        entering=tuple(e.reference for e in fresh.entering),
        invited=tuple(report.queued + report.no_address),
        report=report,
    )


__all__ = [
    "NOBODY_DECLINED",
    "Confirmed",
    "Entering",
    "Replacement",
    "ReplacementError",
    "StaleReplacement",
    "confirm_replacement",
    "propose_replacement",
]
