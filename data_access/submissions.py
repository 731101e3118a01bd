"""Submissions: writing them, and reading them as a given person may see them.

Reading always goes through a `Viewer`: a reviewer gets only the submissions
assigned to them (a conflicted one as its reference alone), and identities are
masked by `access.visibility` before anything leaves this module, so search,
filters, tables and charts built on the result cannot leak them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from access.redaction import names_contributor
from access.roles import STAFF, Role
from access.visibility import (
    IDENTITY,
    REDACTABLE_FIELDS,
    Viewer,
    field_class,
    identity_visible,
    shown_fields,
)
from config.call_config import MULTI_VALUED, SINGLE_VALUED, CallConfig
from data_access import audit
from data_access.db import rows_matched
from data_access.errors import AccessDenied
from data_access.models import (
    Assignment,
    ConflictOfInterest,
    Submission,
    SubmissionCode,
    SubmissionDetailView,
    SubmissionLink,
    utcnow,
)
from data_access.search import SearchQueryError, matching_submission_ids
from data_access.users import require_role
from importing.submission_rules import Problem, SubmissionInput, check_submission

SCALAR_COLUMNS = (
    "title",
    "summary",
    "received_at",
    "organisation",
    "contact_name",
    "contact_email",
    "anonymous",
    *SINGLE_VALUED,
    "region",
    "notes",
)
# What the data layer reads of each submission: the values above and the admin's published versions.
READ_COLUMNS = (*SCALAR_COLUMNS, "redactions")
LIST_COLUMNS = [
    "id",
    "reference",
    "title",
    "summary",
    "received_at",
    "organisation",
    "contact_name",
    "contact_email",
    "anonymous",
    *SINGLE_VALUED,
    "region",
    *MULTI_VALUED,
    "notes",
    "redactions",
    "links",
    "identity_visible",
    "redacted_fields",
]


class SubmissionError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))


@dataclass(frozen=True)
class SubmissionView:
    """One submission as a viewer may see it (every field classified in
    `access.visibility.FIELD_CLASSES`; built through `shown_fields`)."""

    id: int
    reference: str
    restricted: bool  # True: a conflicted reviewer, who sees the reference only
    title: str = ""
    summary: str = ""
    received_at: dt.datetime | None = None
    organisation: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    anonymous: bool = False
    identity_visible: bool = False
    codes: dict[str, list[str]] = field(default_factory=dict)
    single: dict[str, str | None] = field(default_factory=dict)
    region: str | None = None
    links: list[str] = field(default_factory=list)
    notes: str | None = None
    redactions: dict[str, Any] = field(default_factory=dict)  # admin and office only
    redacted_fields: tuple[str, ...] = ()  # identity fields shown as the admin's published version


def next_reference(session: Session, prefix: str, *, taken: set[str] | None = None) -> str:
    """The next free `PREFIX-0001` style reference."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    numbers = [
        int(m.group(1))
        for ref in session.scalars(select(Submission.reference).where(Submission.reference.like(f"{prefix}-%")))
        if (m := pattern.match(ref))
    ]
    for ref in taken or ():
        if m := pattern.match(ref):
            numbers.append(int(m.group(1)))
    return f"{prefix}-{(max(numbers) + 1) if numbers else 1:04d}"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def create_submission(
    session: Session,
    *,
    data: SubmissionInput,
    config: CallConfig,
    actor: str,
    import_batch_id: int | None = None,
    audit_it: bool = True,
) -> int:
    problems = [p for p in check_submission(data, config) if p.severity == "error"]
    if problems:
        raise SubmissionError(problems)
    reference = data.reference or next_reference(session, config.reference_prefix)
    if session.scalar(select(Submission.id).where(Submission.reference == reference)) is not None:
        raise SubmissionError([Problem("reference", reference, "This reference is already used.")])
    now = utcnow()
    sub = Submission(
        reference=reference,
        title=data.title.strip(),
        summary=data.summary.strip(),
        received_at=data.received_at,
        organisation=_clean(data.organisation),
        contact_name=_clean(data.contact_name),
        contact_email=_clean(data.contact_email),
        anonymous=bool(data.anonymous),
        region=_clean(data.region),
        notes=_clean(data.notes),
        import_batch_id=import_batch_id,
        created_at=now,
        updated_at=now,
        version=1,
        **{name: getattr(data, name) for name in SINGLE_VALUED},
    )
    sub.codes = [
        SubmissionCode(field=name, code=code, position=i)
        for name in MULTI_VALUED
        for i, code in enumerate(getattr(data, name))
    ]
    sub.links = [SubmissionLink(position=i, url=url) for i, url in enumerate(data.links)]
    session.add(sub)
    session.flush()
    if audit_it:
        audit.record(
            session,
            actor=actor,
            action="submission.create",
            entity="submission",
            entity_id=sub.id,
            new={"reference": reference, "title": sub.title},
            detail=f"import batch {import_batch_id}" if import_batch_id else "",
        )
    return sub.id


def submission_id_for_reference(session: Session, reference: str) -> int | None:
    return session.scalar(select(Submission.id).where(Submission.reference == reference))


def count_submissions(session: Session) -> int:
    return int(session.scalar(select(func.count(Submission.id))) or 0)


# --- reading ------------------------------------------------------------------


def reviewer_access(session: Session, *, reviewer_id: int) -> tuple[set[int], set[int]]:
    """(assigned and not conflicted, conflicted) submission ids of a reviewer."""
    assigned = set(session.scalars(select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer_id)))
    conflicted = set(
        session.scalars(select(ConflictOfInterest.submission_id).where(ConflictOfInterest.reviewer_id == reviewer_id))
    )
    return assigned - conflicted, conflicted & assigned


def reviewer_access_to(session: Session, *, reviewer_id: int, submission_id: int) -> tuple[bool, bool]:
    """(allowed, conflicted) for one submission: `reviewer_access`'s rule (assigned and not
    conflicted; conflicted counts only where assigned), asked of that submission alone rather
    than by reading every assignment of the reviewer (hundreds, on every run of My reviews)."""
    assigned, conflicted = session.execute(
        select(
            select(Assignment.submission_id)
            .where(Assignment.reviewer_id == reviewer_id, Assignment.submission_id == submission_id)
            .exists(),
            select(ConflictOfInterest.submission_id)
            .where(ConflictOfInterest.reviewer_id == reviewer_id, ConflictOfInterest.submission_id == submission_id)
            .exists(),
        )
    ).one()
    return bool(assigned and not conflicted), bool(assigned and conflicted)


def load_submission_frame(
    session: Session,
    *,
    ids: set[int] | None = None,
    scalars: Sequence[str] = READ_COLUMNS,
    links: bool = False,
    multi: Sequence[str] = MULTI_VALUED,
) -> pd.DataFrame:
    """All (or the given) submissions with their codes as lists, unmasked.

    Internal: callers must mask it with `mask_for_viewer` before showing it to
    anyone, or use `list_submissions`. `scalars` narrows the plain columns read
    besides id and reference (e.g. `SINGLE_VALUED` alone for counting codes),
    `multi` the code lists read; `links=True` adds the documents and links (a
    list per submission).
    """
    cols = [Submission.id, Submission.reference, *(getattr(Submission, c) for c in scalars)]
    stmt = select(*cols).order_by(Submission.reference)
    code_stmt = select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).order_by(
        SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.position
    )
    if set(multi) != set(MULTI_VALUED):
        code_stmt = code_stmt.where(SubmissionCode.field.in_(list(multi)))
    if ids is not None:
        id_list = sorted(ids)
        if not id_list:
            return pd.DataFrame(columns=["id", "reference", *scalars, *multi, *(["links"] if links else [])])
        stmt = stmt.where(Submission.id.in_(id_list))
        code_stmt = code_stmt.where(SubmissionCode.submission_id.in_(id_list))
    # Plain tuples: pandas probes each SQLAlchemy row for attributes, which took 0.05 s of 0.07 at 10,000.
    frame = pd.DataFrame([tuple(row) for row in session.execute(stmt)], columns=["id", "reference", *scalars])
    codes: dict[str, dict[int, list[str]]] = {name: {} for name in multi}
    for sid, fname, code in session.execute(code_stmt):
        codes[fname].setdefault(sid, []).append(code)
    for name in multi:
        mapping = codes[name]
        frame[name] = [list(mapping.get(sid, [])) for sid in frame["id"]]
    if links:
        link_stmt = select(SubmissionLink.submission_id, SubmissionLink.url).order_by(
            SubmissionLink.submission_id, SubmissionLink.position
        )
        if ids is not None:
            link_stmt = link_stmt.where(SubmissionLink.submission_id.in_(id_list))
        urls: dict[int, list[str]] = {}
        for sid, url in session.execute(link_stmt):
            urls.setdefault(sid, []).append(url)
        frame["links"] = [list(urls.get(sid, [])) for sid in frame["id"]]
    if "anonymous" in frame:
        frame["anonymous"] = frame["anonymous"].astype(bool)
    return frame


def _redactions(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def mask_for_viewer(frame: pd.DataFrame, *, viewer: Viewer, blind_review: bool) -> pd.DataFrame:
    """A copy with every field as the viewer may see it (`access.visibility.shown_fields`):
    identity-bearing and unclassified fields masked, or the admin's published version;
    office fields removed for reviewers. Adds `identity_visible` and `redacted_fields`."""
    if viewer.role in STAFF:
        # shown_fields gives the admin and the office every field as it is: no per-row work.
        out = frame.copy()
        out["identity_visible"] = True
        out["redacted_fields"] = [()] * len(out)
        return out
    rows = []
    for record in frame.to_dict("records"):
        anonymous = bool(record["anonymous"])
        shown = shown_fields(
            viewer.role,
            anonymous=anonymous,
            blind_review=blind_review,
            values=record,
            redactions=_redactions(record.get("redactions")),
        )
        shown["identity_visible"] = identity_visible(viewer.role, anonymous=anonymous, blind_review=blind_review)
        rows.append(shown)
    columns = [*frame.columns, "identity_visible", "redacted_fields"]
    # Object columns: a masked value stays None (a string column would turn it into NaN).
    out = pd.DataFrame(rows, columns=columns, index=frame.index, dtype=object)
    return out.astype({"id": int, "anonymous": bool, "identity_visible": bool})


@dataclass(frozen=True)
class SubmissionFilter:
    search: str = ""
    themes: tuple[str, ...] = ()
    focus_areas: tuple[str, ...] = ()
    exploitation_types: tuple[str, ...] = ()
    evidence_forms: tuple[str, ...] = ()
    evidence_source: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()
    nation: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    reported_impact: tuple[str, ...] = ()
    presentation_preference: tuple[str, ...] = ()
    anonymous: bool | None = None


def apply_filter(
    frame: pd.DataFrame, flt: SubmissionFilter, *, found_in_documents: Set[int] = frozenset()
) -> pd.DataFrame:
    """Filter an already-masked frame (searching hidden identities finds nothing).
    `found_in_documents`: ids whose documents hold the search's words (they match it too)."""
    mask = pd.Series(True, index=frame.index)
    for name in MULTI_VALUED:
        wanted = set(getattr(flt, name))
        if wanted:
            mask &= frame[name].map(lambda codes, w=wanted: bool(w & set(codes)))
    for name in SINGLE_VALUED:
        wanted = set(getattr(flt, name))
        if wanted:
            mask &= frame[name].isin(wanted)
    if flt.anonymous is not None:
        mask &= frame["anonymous"] == flt.anonymous
    needle = flt.search.strip().casefold()
    if needle:
        searchable = [
            c for c in ("reference", "title", "summary", "region", "organisation", "contact_name") if c in frame
        ]
        hay = pd.Series("", index=frame.index)
        for col in searchable:
            values = frame[col].fillna("").astype(str)
            if field_class(col) == IDENTITY and "identity_visible" in frame:
                # A hidden identity field holds a placeholder or the admin's published version:
                # only the latter is searched.
                published = frame["redacted_fields"].map(lambda names, c=col: c in names)
                values = values.where(frame["identity_visible"] | published, "")
            hay = hay + " " + values.str.casefold()
        mask &= hay.str.contains(needle, regex=False) | frame["id"].isin(found_in_documents)
    return frame[mask]


# What `load_submission_frame(session, links=True)` reads: the key of a cache of it (`audit.tables_version`).
LIST_TABLES = ("submissions", "submission_codes", "submission_links")


def list_submissions(
    session: Session,
    *,
    viewer: Viewer,
    config: CallConfig,
    flt: SubmissionFilter = SubmissionFilter(),
    every: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The submissions this viewer may list, masked and filtered. The search also
    finds a submission by its documents' text (`data_access.search`, within the
    viewer's rights); a query search cannot take finds by the fields alone.

    `every`: for staff, `load_submission_frame(session, links=True)` as the caller already holds it (a cache
    keyed by `LIST_TABLES`' versions, shared by every session); it is not changed here. A reviewer's list is
    always read here (their assignments only)."""
    if viewer.role == Role.REVIEWER:
        allowed, _conflicted = reviewer_access(session, reviewer_id=viewer.user_id)
        frame = load_submission_frame(session, ids=allowed, links=True)
    elif viewer.role in STAFF:
        frame = load_submission_frame(session, links=True) if every is None else every
    else:
        raise AccessDenied("unknown role")
    found: set[int] = set()
    if flt.search.strip():
        try:
            found = matching_submission_ids(session, query=flt.search, viewer=viewer)
        except SearchQueryError:
            found = set()  # the page says why (search_documents raises the same)
    masked = mask_for_viewer(frame, viewer=viewer, blind_review=config.blind_review)
    return apply_filter(masked, flt, found_in_documents=found)


def get_submission(session: Session, *, submission_id: int, viewer: Viewer, config: CallConfig) -> SubmissionView:
    """One submission as the viewer may see it; AccessDenied if not at all."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AccessDenied("no such submission")
    if viewer.role == Role.REVIEWER:
        allowed, conflicted = reviewer_access_to(session, reviewer_id=viewer.user_id, submission_id=submission_id)
        if conflicted:
            return SubmissionView(id=sub.id, reference=sub.reference, restricted=True)
        if not allowed:
            raise AccessDenied("not assigned")
    elif viewer.role not in STAFF:
        raise AccessDenied("unknown role")
    codes: dict[str, list[str]] = {name: [] for name in MULTI_VALUED}
    for c in sub.codes:
        codes[c.field].append(c.code)
    values = {attr.key: getattr(sub, attr.key) for attr in Submission.__mapper__.column_attrs}
    values |= {
        "codes": codes,
        "single": {name: getattr(sub, name) for name in SINGLE_VALUED},
        "links": [link.url for link in sub.links],
        "redactions": _redactions(sub.redactions),
    }
    shown = shown_fields(
        viewer.role,
        anonymous=sub.anonymous,
        blind_review=config.blind_review,
        values=values,
        redactions=_redactions(sub.redactions),
    )
    shown["identity_visible"] = identity_visible(viewer.role, anonymous=sub.anonymous, blind_review=config.blind_review)
    shown["restricted"] = False
    return SubmissionView(**{f.name: shown[f.name] for f in fields(SubmissionView) if f.name in shown})


# --- redacted versions of identity fields ----------------------------------------

REDACTION_MAX = 1000  # characters per value (per line for links)
REDACTION_LINKS_MAX = 50


class StaleSubmission(Exception):
    """The submission changed since the form was opened: nothing was saved."""


def _clean_redaction(name: str, value: Any) -> str | list[str] | None:
    if name == "links":
        lines = value.splitlines() if isinstance(value, str) else list(value or [])
        cleaned = [line.strip() for line in lines if isinstance(line, str) and line.strip()]
        return cleaned or None
    if value is not None and not isinstance(value, str):
        raise SubmissionError([Problem(name, str(value), "Write the published version as text.")])
    return _clean(value)


def _own_values(sub: Submission) -> list[str]:
    """The submission's real identity values, its links' host names and its email's
    domain (compared as words by `access.redaction.names_contributor`)."""
    values = [getattr(sub, name) for name in REDACTABLE_FIELDS if name != "links"]
    values += [link.url for link in sub.links]
    values += [urlsplit(link.url.strip()).hostname for link in sub.links]
    if sub.contact_email and "@" in sub.contact_email:
        values.append(sub.contact_email.rsplit("@", 1)[1])
    return [v for v in values if isinstance(v, str)]


def publish_redactions(
    session: Session,
    *,
    submission_id: int,
    values: dict[str, Any],
    viewer: Viewer,
    expected_version: int,
) -> dict[str, Any]:
    """Publish (or withdraw, with an empty value) the versions of identity fields
    that reviewers see instead of the masked ones. Admin only; each value is
    checked (known field, length, and it must not contain any of the
    submission's real identity values); a problem refuses all of it
    (SubmissionError), and a submission changed meanwhile raises
    StaleSubmission. Returns what is published now."""
    require_role(session, viewer, Role.ADMIN, to="publish redacted values")
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AccessDenied("no such submission")
    problems: list[Problem] = []
    cleaned: dict[str, Any] = {}
    own = _own_values(sub)
    people = [sub.contact_name] if sub.contact_name else []
    for name, raw in values.items():
        if name not in REDACTABLE_FIELDS:
            problems.append(Problem(name, str(raw), "Only identity fields can have a published version."))
            continue
        try:
            value = _clean_redaction(name, raw)
        except SubmissionError as exc:
            problems.extend(exc.problems)
            continue
        if value is None:
            continue
        texts = value if isinstance(value, list) else [value]
        if name == "links" and len(texts) > REDACTION_LINKS_MAX:
            problems.append(Problem(name, "", f"Publish at most {REDACTION_LINKS_MAX} lines."))
        if any(len(t) > REDACTION_MAX for t in texts):
            problems.append(Problem(name, "", f"Each value has at most {REDACTION_MAX} characters."))
        if any(names_contributor(t, own, people) for t in texts):
            problems.append(
                Problem(name, "", "This contains the contributor's own details; write a version that names nobody.")
            )
        cleaned[name] = value
    if problems:
        raise SubmissionError(problems)
    old = _redactions(sub.redactions)
    new = {name: cleaned[name] for name in REDACTABLE_FIELDS if name in cleaned}
    if new == old:
        return old
    matched = rows_matched(
        session,
        update(Submission)
        .where(Submission.id == submission_id, Submission.version == expected_version)
        .values(redactions=new or None, version=Submission.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    if matched != 1:
        raise StaleSubmission("This submission was changed in another window since you opened it; nothing was saved.")
    audit.record(
        session,
        actor=viewer.username,
        action="submission.redactions",
        entity="submission",
        entity_id=submission_id,
        old={"reference": sub.reference, "redactions": old},
        new={"reference": sub.reference, "redactions": new},
    )
    return new


def submission_version(session: Session, *, submission_id: int) -> int | None:
    return session.scalar(select(Submission.version).where(Submission.id == submission_id))


# --- who opened which submission's detail ------------------------------------------


def record_detail_view(
    session: Session, *, viewer: Viewer, view: SubmissionView, at: dt.datetime | None = None
) -> bool:
    """Record that `viewer` opened this submission's detail: one audit entry
    (`submission.view`: who, when, which, and whether the identity was shown)
    per person, submission and UTC day. The day's row in `submission_views` is
    inserted with ON CONFLICT DO NOTHING and the entry written only when the
    row is new, so views at the same moment (two tabs, two servers) write one
    entry, and never a read-then-write race. True when this view was recorded."""
    at = at or utcnow()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(SubmissionDetailView)
        .values(user_id=viewer.user_id, submission_id=view.id, day=at.astimezone(dt.UTC).date(), first_at=at)
        .on_conflict_do_nothing()
        .returning(SubmissionDetailView.day)
    )
    if session.execute(statement).first() is None:  # the day's row was there already
        return False
    if view.restricted:
        shown = "reference only (conflict of interest declared)"
    else:
        shown = "with the contributor's identity" if view.identity_visible else "identity hidden"
    audit.record(
        session,
        actor=viewer.username,
        action="submission.view",
        entity="submission",
        entity_id=view.id,
        new={"reference": view.reference, "identity_shown": bool(view.identity_visible and not view.restricted)},
        detail=f"opened the detail, {shown}; first view on {at.astimezone(dt.UTC).date().isoformat()} (UTC)",
    )
    return True
