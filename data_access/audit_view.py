"""The audit log as people read it: names, references and words, never database ids or JSON.

`readable_page` turns one page of entries (a paged query: a large log is
never loaded whole) into rows of plain text:

* **When**: UK time with its zone (`formats.times.when`);
* **Who**: the person's name with their username in brackets;
* **What happened**: the action's words (`data_access.audit_actions`);
* **What**: the thing it happened to, by reference and title for a
  submission, by name for a person, line-up or session, by file name for a
  document or an import; never a database id (a row since removed is named
  from what its entry kept, or as "no longer stored");
* **Changes**: one "field: old → new" line per value (a value only written
  reads "field: new"; one only removed "field: old → —"), with ids turned into
  references and names, times into UK time, and nothing shown as "None";
* **Detail**: the entry's note, as written, save that an import named by
  its number ("import batch 3, row 4", written by the importer, whose
  number `data_access.import_history` reads back) is named by its file:
  "the import of “responses.csv”, row 4"; the same in a value ("(changed by
  import batch 3)", in place of an identity an import changed).

The audit log is the admin's (`ui.navigation.PAGES`), who may see every
contributor's identity on screen. A file leaves the app, so for the CSV
(`for_export=True`) the identity fields of an anonymous contributor's
submission (and of a submission no longer stored, which can no longer be
checked) are replaced by "(anonymous)": exports never carry an anonymous
contributor's identity (`access.visibility.identity_exportable`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.visibility import ANONYMOUS, FIELD_CLASSES, IDENTITY, identity_exportable
from data_access import audit, audit_actions
from data_access.models import (
    Assignment,
    AuditEntry,
    ConflictOfInterest,
    DuplicateFlag,
    ImportBatch,
    ImportMapping,
    LineUp,
    OutboxMessage,
    Review,
    Submission,
    SubmissionDocument,
    User,
)
from data_access.models_panel import DiscussionPost
from data_access.models_programme import PresenterInvitation, ProgrammeSession
from formats import times

EMPTY = times.EMPTY
ARROW = " → "
COLUMNS = ("When", "Who", "What happened", "What", "Changes", "Detail")
EXPORT_COLUMNS = (*COLUMNS, "Action code")
IDENTITY_KEYS = frozenset(name for name, kind in FIELD_CLASSES.items() if kind == IDENTITY)

# The things entries are about, in words.
ENTITY_WORDS = {
    "submission": "Submission",
    "user": "Person",
    "assignment": "Assignment",
    "conflict": "Conflict of interest",
    "review": "Review",
    "document": "Document",
    "discussion_post": "Discussion post",
    "invitation": "Invitation",
    "invitation_link": "Presenters' reply links",
    "duplicate_flag": "Possible duplicate",
    "line_up": "Line-up",
    "programme_session": "Programme session",
    "import_batch": "Import",
    "import_file": "Imported file",
    "import_mapping": "Import mapping",
    "outbox_message": "Message",
    "message_template": "Message template",
    "password_link": "One-time links",
    "call": "The call",
    "call_state": "Call setting",
    "page": "Page",
    "export": "File",
    "download": "Download",
    "session": "Sign-in",
}

# Value keys that hold a database id: the label they are shown under, and what they name.
ID_KEYS = {
    "submission_id": ("Submission", "submission"),
    "other_submission_id": ("Other submission", "submission"),
    "reviewer_id": ("Reviewer", "user"),
    "user_id": ("Person", "user"),
    "recipient_user_id": ("Recipient (person)", "user"),
    "line_up_id": ("Line-up", "line_up"),
    "line_up": ("Line-up", "line_up"),
    "session": ("Programme session", "programme_session"),
    "session_id": ("Programme session", "programme_session"),
}
# Keys that hold ids nobody reads (one-time links, internal rows): dropped, or counted when a list.
HIDDEN_KEYS = frozenset({"id", "link", "token_id", "import_batch_id", "document_id", "invitation_id"})

# entity -> (model, its submission column or None, its person column or None, its own name column or None)
_ROWS: dict[str, tuple[Any, Any, Any, Any]] = {
    "assignment": (Assignment, Assignment.submission_id, Assignment.reviewer_id, None),
    "conflict": (ConflictOfInterest, ConflictOfInterest.submission_id, ConflictOfInterest.reviewer_id, None),
    "review": (Review, Review.submission_id, Review.reviewer_id, None),
    "document": (SubmissionDocument, SubmissionDocument.submission_id, None, SubmissionDocument.original_name),
    "discussion_post": (DiscussionPost, DiscussionPost.submission_id, None, None),
    "invitation": (PresenterInvitation, PresenterInvitation.submission_id, None, None),
    "duplicate_flag": (DuplicateFlag, DuplicateFlag.submission_id, None, None),
    "outbox_message": (OutboxMessage, OutboxMessage.submission_id, OutboxMessage.recipient_user_id, None),
    "line_up": (LineUp, None, None, LineUp.name),
    "programme_session": (ProgrammeSession, None, None, ProgrammeSession.title),
    "import_batch": (ImportBatch, None, None, ImportBatch.filename),
    "import_mapping": (ImportMapping, None, None, ImportMapping.name),
}


@dataclass(frozen=True)
class _Row:
    submission: int | None = None
    person: int | None = None
    name: str | None = None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _values(entry: AuditEntry) -> list[dict[str, Any]]:
    return [v for v in (entry.old, entry.new) if isinstance(v, dict)]


# An import named by its number in an entry's prose (the importer's detail, an identity's stand-in value).
_IMPORT_BATCH = re.compile(r"\bimport batch (\d+)\b")
_CHANGED_BY_IMPORT = re.compile(r"\(changed by import batch \d+\)")  # data_access.submission_changes
_VERSION_STEP = re.compile(r"\bversion (\d+) -> (\d+)\b")


def _prose(entry: AuditEntry) -> list[str]:
    """The entry's texts that may name an import by number: its detail and identities' stand-ins."""
    texts = [entry.detail or ""]
    for values in _values(entry):
        texts += [v for v in values.values() if isinstance(v, str) and _CHANGED_BY_IMPORT.fullmatch(v)]
    return texts


def _wanted(entries: list[AuditEntry]) -> dict[str, set[int]]:
    """The ids a page of entries names, by kind of thing."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in entries:
        if (number := _int(e.entity_id)) is not None:
            wanted[e.entity].add(number)
        for values in _values(e):
            for key, (_label, kind) in ID_KEYS.items():
                if (number := _int(values.get(key))) is not None:
                    wanted[kind].add(number)
        for text in _prose(e):
            wanted["import_batch"].update(int(n) for n in _IMPORT_BATCH.findall(text))
    return wanted


def _read_rows(session: Session, wanted: dict[str, set[int]]) -> dict[tuple[str, int], _Row]:
    """The rows entries are about (one query per kind): their submission, person and name."""
    rows: dict[tuple[str, int], _Row] = {}
    for entity, (model, sub_col, person_col, name_col) in _ROWS.items():
        if ids := wanted.get(entity):
            columns = [model.id, *(c for c in (sub_col, person_col, name_col) if c is not None)]
            for found in session.execute(select(*columns).where(model.id.in_(sorted(ids)))).all():
                rest = iter(found[1:])
                rows[(entity, found[0])] = _Row(
                    submission=next(rest) if sub_col is not None else None,
                    person=next(rest) if person_col is not None else None,
                    name=next(rest) if name_col is not None else None,
                )
    return rows


class _Names:
    """Every name a page of entries needs, read in a few queries (one per kind of thing)."""

    def __init__(self, session: Session, entries: list[AuditEntry]) -> None:
        wanted = _wanted(entries)
        self.rows = _read_rows(session, wanted)
        submission_ids = wanted["submission"] | {r.submission for r in self.rows.values() if r.submission is not None}
        user_ids = wanted["user"] | {r.person for r in self.rows.values() if r.person is not None}
        references = {
            e.entity_id for e in entries if e.entity == "submission" and e.entity_id and not _int(e.entity_id)
        }
        self.submissions: dict[int, tuple[str, str, bool]] = {}
        self.by_reference: dict[str, int] = {}
        found_subs = session.execute(
            select(Submission.id, Submission.reference, Submission.title, Submission.anonymous).where(
                Submission.id.in_(sorted(submission_ids)) | Submission.reference.in_(sorted(references))
            )
        ).all()
        for sid, reference, title, anonymous in found_subs:
            self.submissions[sid] = (reference, title, bool(anonymous))
            self.by_reference[reference] = sid
        self.users: dict[int, tuple[str, str]] = {}
        self.by_username: dict[str, str] = {}
        found_users = session.execute(
            select(User.id, User.username, User.name).where(
                User.id.in_(sorted(user_ids)) | User.username.in_(sorted({e.actor for e in entries}))
            )
        ).all()
        for uid, username, name in found_users:
            self.users[uid] = (username, name)
            self.by_username[username] = _person(username, name)

    # --- names ----------------------------------------------------------------------------------
    def submission(self, sid: int | None, *, kept: dict[str, Any] | None = None) -> str:
        if sid is not None and sid in self.submissions:
            reference, title, _anonymous = self.submissions[sid]
            return f"{reference} “{title}”"
        kept_reference = (kept or {}).get("reference")
        return f"{kept_reference} (no longer stored)" if kept_reference else "a submission no longer stored"

    def person(self, uid: int | None) -> str:
        if uid is not None and uid in self.users:
            return _person(*self.users[uid])
        return "a person no longer stored"

    def actor(self, username: str) -> str:
        return self.by_username.get(username, username or EMPTY)

    def named(self, kind: str, number: int | None) -> str:
        if kind == "submission":
            return self.submission(number)
        if kind == "user":
            return self.person(number)
        row = self.rows.get((kind, number)) if number is not None else None
        return f"“{row.name}”" if row is not None and row.name else "no longer stored"

    def in_words(self, text: str) -> str:
        """`text` with each import named by its number named by its file ("the import of “f.csv”")."""

        def imported(match: re.Match[str]) -> str:
            row = self.rows.get(("import_batch", int(match[1])))
            return f"the import of “{row.name}”" if row is not None and row.name else "an import no longer stored"

        return _VERSION_STEP.sub(rf"version \1{ARROW}\2", _IMPORT_BATCH.sub(imported, text))

    def anonymous(self, sid: int | None) -> bool:
        """Whether a file must not carry the identity of this submission's contributor."""
        if sid is None or sid not in self.submissions:
            return True  # no longer stored: it can no longer be checked
        return not identity_exportable(anonymous=self.submissions[sid][2])


def _person(username: str, name: str) -> str:
    return f"{name} ({username})" if name and name != username else username


def _submission_of(entry: AuditEntry, names: _Names) -> int | None:
    if entry.entity == "submission":
        number = _int(entry.entity_id)
        return number if number is not None else names.by_reference.get(entry.entity_id or "")
    row = names.rows.get((entry.entity, _int(entry.entity_id) or -1))
    if row is not None and row.submission is not None:
        return row.submission
    for values in _values(entry):
        if (number := _int(values.get("submission_id"))) is not None:
            return number
    return None


def _what(entry: AuditEntry, names: _Names) -> str:
    """The thing an entry is about, in words."""
    words = ENTITY_WORDS.get(entry.entity, entry.entity.replace("_", " ").capitalize())
    number = _int(entry.entity_id)
    kept = next(iter(_values(entry)), {})
    if entry.entity == "submission":
        return f"Submission {names.submission(_submission_of(entry, names), kept=kept)}"
    if entry.entity == "user":
        return f"Person: {names.person(number)}"
    if entry.entity in _ROWS and number is not None:
        return _what_row(entry, names, words=words, number=number, kept=kept)
    if entry.entity_id in (None, "") or number is not None:
        return words
    return f"{words}: {str(entry.entity_id).replace('_', ' ')}"


def _what_row(entry: AuditEntry, names: _Names, *, words: str, number: int, kept: dict[str, Any]) -> str:
    """A thing with a row of its own: its name, the submission and the person it concerns."""
    row = names.rows.get((entry.entity, number))
    _model, sub_col, person_col, _name_col = _ROWS[entry.entity]
    parts = [words]
    if row is not None and row.name:
        parts.append(f"“{row.name}”")
    sid = _submission_of(entry, names)
    if sub_col is not None and (sid is not None or kept.get("reference")):
        parts.append(f"of {names.submission(sid, kept=kept)}")
    person = row.person if row is not None else _int(kept.get("reviewer_id"))
    if person_col is not None and person is not None:
        parts.append(f"({names.person(person)})")
    if row is None and len(parts) == 1:
        name = kept.get("name") or kept.get("title")
        parts.append(f"“{name}” (no longer stored)" if name else "(no longer stored)")
    return " ".join(parts)


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize() or key


def _text(value: Any) -> str:
    """One value in words: nothing as "—", yes/no, lists joined, times in UK time."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isnan(value):
        return EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{_label(str(k))}: {_text(v)}" for k, v in value.items() if str(k) not in HIDDEN_KEYS)
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, str) and times.is_moment(value):
        return times.when(value)
    if isinstance(value, str) and _DATE.fullmatch(value):
        return times.day(value)
    return str(value)


def _field(key: str, value: Any, names: _Names, *, masked: bool) -> tuple[str, str] | None:
    """A value's label and text, ids turned into names; None for an id nobody reads."""
    if key in ID_KEYS:
        if value is None:
            return None  # no such thing: nothing to name
        label, kind = ID_KEYS[key]
        number = _int(value)
        return (label, names.named(kind, number) if number is not None else _text(value))
    if key in HIDDEN_KEYS:
        return None
    if key == "links" and isinstance(value, list) and all(_int(v) is not None for v in value):
        return ("Links", str(len(value)))
    if masked and key in IDENTITY_KEYS and value not in (None, "", []):
        return (_label(key), ANONYMOUS)
    if isinstance(value, str) and _CHANGED_BY_IMPORT.fullmatch(value):  # an identity's stand-in
        return (_label(key), f"({names.in_words(value[1:-1])})")
    return (_label(key), _text(value))


_MISSING = object()
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def changes(old: Any, new: Any, names: _Names, *, masked: bool = False) -> str:
    """Before and after as "field: old → new" lines (one per value)."""
    if not isinstance(old, dict) and not isinstance(new, dict):
        lines = []
        if old is not None:
            lines.append(f"Before: {_text(old)}")
        if new is not None:
            lines.append(f"After: {_text(new)}")
        return "\n".join(lines)
    before = old if isinstance(old, dict) else {}
    after = new if isinstance(new, dict) else {}
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        was, now = before.get(key, _MISSING), after.get(key, _MISSING)
        shown_now = _field(key, now, names, masked=masked) if now is not _MISSING else None
        shown_was = _field(key, was, names, masked=masked) if was is not _MISSING else None
        if shown_now is None and shown_was is None:
            continue
        label = (shown_now or shown_was)[0]  # type: ignore[index]  # one of them is set (checked above)
        if shown_was is None:
            lines.append(f"{label}: {shown_now[1]}")  # type: ignore[index]  # set when shown_was is not
        elif shown_now is None:
            lines.append(f"{label}: {shown_was[1]}{ARROW}{EMPTY}")
        elif shown_was[1] == shown_now[1]:
            lines.append(f"{label}: {shown_now[1]}")
        else:
            lines.append(f"{label}: {shown_was[1]}{ARROW}{shown_now[1]}")
    return "\n".join(lines)


def _rows(session: Session, entries: list[AuditEntry], *, for_export: bool) -> list[dict[str, str]]:
    names = _Names(session, entries)
    rows = []
    for e in entries:
        masked = for_export and _concerns_submission(e, names) and names.anonymous(_submission_of(e, names))
        row = {
            "When": times.when(e.at),
            "Who": names.actor(e.actor),
            "What happened": audit_actions.words(e.action),
            "What": _what(e, names),
            "Changes": changes(e.old, e.new, names, masked=masked) or EMPTY,
            "Detail": names.in_words(e.detail) or EMPTY,
        }
        if for_export:
            row["Action code"] = e.action
        rows.append(row)
    return rows


def _concerns_submission(entry: AuditEntry, names: _Names) -> bool:
    return entry.entity == "submission" or _submission_of(entry, names) is not None


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, str]]  # COLUMNS, as text
    total: int  # entries the filters match
    page: int  # 1-based, within 1..pages
    pages: int


def readable_page(session: Session, *, filters: audit.AuditFilter, page: int, page_size: int) -> AuditPage:
    """One page (1-based) of the entries the filters match, newest first, in words."""
    total = audit.count_entries(session, filters=filters)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    scoped = audit.AuditFilter(**{**filters.__dict__, "limit": page_size, "offset": (page - 1) * page_size})
    entries = audit.select_entries(session, filters=scoped)
    return AuditPage(rows=_rows(session, entries, for_export=False), total=total, page=page, pages=pages)


def readable_export(session: Session, *, filters: audit.AuditFilter, limit: int) -> list[dict[str, str]]:
    """The newest `limit` entries the filters match, for a file: as on screen, plus the action's code,
    with an anonymous contributor's identity replaced (see the module's description)."""
    scoped = audit.AuditFilter(**{**filters.__dict__, "limit": limit, "offset": 0})
    return _rows(session, audit.select_entries(session, filters=scoped), for_export=True)
