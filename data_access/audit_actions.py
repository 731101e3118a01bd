"""Every kind of audit entry, declared once: its code, its words, its kind.

`audit.record` accepts only the codes declared here (anything else raises
`UnknownAuditAction` at once), the Audit log page shows the words, and
docs/audit-actions.md lists every action (a test keeps the list, the code and
this registry in step).

The kind says whether an entry goes with a change of data (`CHANGE`) or
records an event that changes nothing people share: someone looked
(`VIEW`), a file left the app (`EXPORT`), an attempt was refused
(`REFUSAL`), a reviewer's unsaved input was kept for them (`DRAFT`). Only
changes move the cache version (`data_access.db`).

Exports are one family: `export.<what>` (`export.scores`,
`export.audit-log`, ...), where `<what>` is the file's name in the export
(`export_action`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CHANGE = "change"  # data people share was changed
    VIEW = "view"  # someone looked at something
    EXPORT = "export"  # a file was made for someone to take away
    REFUSAL = "refusal"  # an attempt was refused
    DRAFT = "draft"  # one person's unsaved input was kept for them (nobody else reads it)

    @property
    def changes_data(self) -> bool:
        return self is Kind.CHANGE


@dataclass(frozen=True)
class AuditAction:
    code: str
    words: str  # for people, on the Audit log page and in the docs
    kind: Kind

    @property
    def changes_data(self) -> bool:
        return self.kind.changes_data


class UnknownAuditAction(ValueError):
    """An audit entry with an action that is not declared in `ACTIONS`."""


EXPORT_PREFIX = "export."
_EXPORT_WHAT = re.compile(r"[a-z0-9][a-z0-9_-]{0,55}")

_C, _V, _E, _R = Kind.CHANGE, Kind.VIEW, Kind.EXPORT, Kind.REFUSAL
ACTIONS: tuple[AuditAction, ...] = (
    # Sign-in and access
    AuditAction("access.denied", "Access refused", _R),
    # People
    AuditAction("user.create", "Person added", _C),
    AuditAction("user.update", "Person's details changed", _C),
    AuditAction("user.role", "Person's role changed", _C),
    AuditAction("user.password", "Password set", _C),
    AuditAction("password_link.issue", "One-time link to set a password made", _C),
    AuditAction("password_link.use", "Password set through a one-time link", _C),
    AuditAction("password_link.show", "One-time link to set a password shown, to hand over", _V),
    AuditAction("password_link.purge", "Used and expired one-time links removed", _C),
    AuditAction("user.activate", "Person reactivated", _C),
    AuditAction("user.deactivate", "Person deactivated", _C),
    # The call
    AuditAction("call.setting", "Call setting changed", _C),
    # Importing
    AuditAction("import.file", "File imported", _C),
    AuditAction("import.download_original", "Imported file downloaded", _E),
    AuditAction("import_mapping.save", "Import mapping saved", _C),
    AuditAction("import_mapping.delete", "Import mapping deleted", _C),
    AuditAction("duplicate_flag.create", "Possible duplicate flagged", _C),
    AuditAction("duplicate_flag.decide", "Possible duplicate decided", _C),
    # Submissions
    AuditAction("submission.create", "Submission added", _C),
    AuditAction("submission.update", "Submission changed", _C),
    AuditAction("submission.redactions", "Versions for reviewers changed", _C),
    AuditAction("submission.view", "Submission opened", _V),
    AuditAction("submission.erase", "Submission erased", _C),
    AuditAction("retention.purge", "Contact details purged", _C),
    # Evidence documents (data_access.documents)
    AuditAction("document.attach", "Document attached", _C),
    AuditAction("document.redact", "Redacted version of a document uploaded", _C),
    AuditAction("document.remove", "Document removed", _C),
    AuditAction("document.view", "Document opened", _V),
    AuditAction("document.download", "Document downloaded", _E),
    # Assignments and conflicts
    AuditAction("assignment.add", "Reviewer assigned", _C),
    AuditAction("assignment.remove", "Assignment removed", _C),
    AuditAction("assignment.auto_run", "Automatic assignment run", _C),
    AuditAction("conflict.declare", "Conflict of interest declared", _C),
    AuditAction("conflict.withdraw", "Conflict of interest withdrawn", _C),
    # Expertise and bids (issue 18, data_access.expertise: the fact and a count, never which submissions)
    AuditAction("expertise.update", "Reviewer's expertise changed", _C),
    AuditAction("bid.update", "Reviewer's bids changed", _C),
    # Reviews
    AuditAction("review.save_draft", "Review draft saved", _C),
    AuditAction("review.submit", "Review submitted", _C),
    AuditAction("review.reopen", "Review reopened", _C),
    AuditAction("review.set_aside", "Review set aside (conflict)", _C),
    # issue 18: the panel's discussion (data_access.discussion)
    AuditAction("discussion.post", "Discussion post added", _C),
    AuditAction("review.autosave", "Review input kept automatically (a new draft session)", Kind.DRAFT),
    # Selection
    AuditAction("line_up.save", "Line-up saved", _C),
    AuditAction("line_up.replace", "Line-up replaced", _C),
    # From line-up to programme (data_access.invitations)
    AuditAction("line_up.sign_off", "Line-up signed off", _C),
    AuditAction("line_up.replacement", "Replacement after a decline confirmed", _C),
    AuditAction("invitation.create", "Presenter invited", _C),
    AuditAction("invitation_link.issue", "Presenter's reply link made", _C),
    AuditAction("invitation_link.purge", "Used and expired reply links removed", _C),
    AuditAction("invitation.reply", "Presenter replied through their link", _C),
    AuditAction("invitation.record_reply", "Presenter's reply recorded by the admin", _C),
    # The programme (data_access.programme)
    AuditAction("programme_session.create", "Programme session added", _C),
    AuditAction("programme_session.update", "Programme session edited", _C),
    AuditAction("programme_session.delete", "Programme session deleted", _C),
    AuditAction("programme.place", "Presenters placed in programme sessions", _C),
    AuditAction("programme.unplace", "Presenter taken out of their session (declined)", _C),
    # The panel's decisions (data_access.decisions)
    AuditAction("decision.record", "Panel's decision on a submission recorded", _C),
    # Messages (the outbox: never the subject or body)
    AuditAction("outbox.queue", "Message queued", _C),
    AuditAction("outbox.sent", "Message sent", _C),
    AuditAction("outbox.failed", "Message failed", _C),
    AuditAction("outbox.cancel", "Message cancelled", _C),
    AuditAction("outbox.resend", "Message queued again", _C),
    # Messages
    AuditAction("message_template.save", "Message template saved", _C),
    AuditAction("message_template.reset", "Message template reset to its default", _C),
    # Benchmarks (bench/bulk_seed.py)
    AuditAction("bench.seed", "Benchmark data seeded", _C),
    # Files (one family: export.<what>)
    AuditAction(EXPORT_PREFIX + "<what>", "File exported", _E),
)
_BY_CODE = {a.code: a for a in ACTIONS}
_EXPORT = _BY_CODE[EXPORT_PREFIX + "<what>"]


def export_action(what: str) -> str:
    """The code of an export of `what` (`export.scores`); raises for a name that is not one."""
    if not _EXPORT_WHAT.fullmatch(what):
        raise UnknownAuditAction(f"not an export's name: {what!r}")
    return EXPORT_PREFIX + what


def lookup(code: str) -> AuditAction:
    """The declared action of `code`; `UnknownAuditAction` if there is none."""
    if action := _BY_CODE.get(code):
        if action is not _EXPORT:
            return action
    elif code.startswith(EXPORT_PREFIX) and _EXPORT_WHAT.fullmatch(what := code[len(EXPORT_PREFIX) :]):
        return AuditAction(code, f"{_EXPORT.words}: {what.replace('_', ' ').replace('-', ' ')}", Kind.EXPORT)
    raise UnknownAuditAction(f"unknown audit action {code!r}: declare it in data_access/audit_actions.py")


def words(code: str) -> str:
    """What an entry's action means, for people; an entry older than the
    registry (an action since renamed) shows its code."""
    try:
        return lookup(code).words
    except UnknownAuditAction:
        return code
