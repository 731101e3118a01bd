"""Submissions: writing them, and reading them as a given person may see them.

Reading always goes through a `Viewer`: a reviewer gets only the submissions
assigned to them (a conflicted one as its reference alone), and identities are
masked by `scoring.visibility` before anything leaves this module, so search,
filters, tables and charts built on the result cannot leak them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.call_config import MULTI_VALUED, SINGLE_VALUED, CallConfig
from data_access import audit
from data_access.models import (
    Assignment,
    ConflictOfInterest,
    Submission,
    SubmissionCode,
    SubmissionLink,
    utcnow,
)
from scoring.submission_rules import Problem, SubmissionInput, check_submission
from scoring.visibility import IDENTITY_FIELDS, Viewer, identity_visible, masked_identity

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
    "identity_visible",
]


class AccessDenied(Exception):
    """The viewer may not see or change this."""


class SubmissionError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))


@dataclass(frozen=True)
class SubmissionView:
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


def load_submission_frame(
    session: Session, *, ids: set[int] | None = None, scalars: Sequence[str] = SCALAR_COLUMNS
) -> pd.DataFrame:
    """All (or the given) submissions with their codes as lists, unmasked.

    Internal: callers must mask it with `mask_for_viewer` before showing it to
    anyone, or use `list_submissions`. `scalars` narrows the plain columns read
    besides id and reference (e.g. `SINGLE_VALUED` alone for counting codes).
    """
    cols = [Submission.id, Submission.reference, *(getattr(Submission, c) for c in scalars)]
    stmt = select(*cols).order_by(Submission.reference)
    code_stmt = select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).order_by(
        SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.position
    )
    if ids is not None:
        id_list = sorted(ids)
        if not id_list:
            return pd.DataFrame(columns=LIST_COLUMNS[:-1])
        stmt = stmt.where(Submission.id.in_(id_list))
        code_stmt = code_stmt.where(SubmissionCode.submission_id.in_(id_list))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["id", "reference", *scalars])
    codes: dict[str, dict[int, list[str]]] = {name: {} for name in MULTI_VALUED}
    for sid, fname, code in session.execute(code_stmt):
        codes[fname].setdefault(sid, []).append(code)
    for name in MULTI_VALUED:
        mapping = codes[name]
        frame[name] = [list(mapping.get(sid, [])) for sid in frame["id"]]
    if "anonymous" in frame:
        frame["anonymous"] = frame["anonymous"].astype(bool)
    return frame


def mask_for_viewer(frame: pd.DataFrame, *, viewer: Viewer, blind_review: bool) -> pd.DataFrame:
    """A copy with identity fields hidden where the viewer may not see them."""
    out = frame.copy()
    visible = [
        identity_visible(viewer.role, anonymous=bool(anon), blind_review=blind_review) for anon in out["anonymous"]
    ]
    out["identity_visible"] = visible
    hidden = ~out["identity_visible"]
    if hidden.any():
        for fname in IDENTITY_FIELDS:
            out[fname] = out[fname].astype(object)
        placeholder = out["anonymous"].map(
            lambda a: masked_identity(
                viewer.role, anonymous=bool(a), blind_review=blind_review, identity=dict.fromkeys(IDENTITY_FIELDS)
            )["organisation"]
        )
        out.loc[hidden, "organisation"] = placeholder[hidden]
        out.loc[hidden, "contact_name"] = None
        out.loc[hidden, "contact_email"] = None
    if viewer.role == "reviewer":
        out["notes"] = None
    return out


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


def apply_filter(frame: pd.DataFrame, flt: SubmissionFilter) -> pd.DataFrame:
    """Filter an already-masked frame (searching hidden identities finds nothing)."""
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
        searchable = ["reference", "title", "summary", "region"]
        searchable += [c for c in ("organisation", "contact_name") if c in frame]
        hay = pd.Series("", index=frame.index)
        for col in searchable:
            values = frame[col].fillna("").astype(str)
            if col in ("organisation", "contact_name") and "identity_visible" in frame:
                values = values.where(frame["identity_visible"], "")
            hay = hay + " " + values.str.casefold()
        mask &= hay.str.contains(needle, regex=False)
    return frame[mask]


def list_submissions(
    session: Session, *, viewer: Viewer, config: CallConfig, flt: SubmissionFilter = SubmissionFilter()
) -> pd.DataFrame:
    """The submissions this viewer may list, masked and filtered."""
    if viewer.role == "reviewer":
        allowed, _conflicted = reviewer_access(session, reviewer_id=viewer.user_id)
        frame = load_submission_frame(session, ids=allowed)
    elif viewer.role in ("admin", "office"):
        frame = load_submission_frame(session)
    else:
        raise AccessDenied("unknown role")
    return apply_filter(mask_for_viewer(frame, viewer=viewer, blind_review=config.blind_review), flt)


def get_submission(session: Session, *, submission_id: int, viewer: Viewer, config: CallConfig) -> SubmissionView:
    """One submission as the viewer may see it; AccessDenied if not at all."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AccessDenied("no such submission")
    if viewer.role == "reviewer":
        allowed, conflicted = reviewer_access(session, reviewer_id=viewer.user_id)
        if submission_id in conflicted:
            return SubmissionView(id=sub.id, reference=sub.reference, restricted=True)
        if submission_id not in allowed:
            raise AccessDenied("not assigned")
    elif viewer.role not in ("admin", "office"):
        raise AccessDenied("unknown role")
    identity = masked_identity(
        viewer.role,
        anonymous=sub.anonymous,
        blind_review=config.blind_review,
        identity={f: getattr(sub, f) for f in IDENTITY_FIELDS},
    )
    codes: dict[str, list[str]] = {name: [] for name in MULTI_VALUED}
    for c in sub.codes:
        codes[c.field].append(c.code)
    return SubmissionView(
        id=sub.id,
        reference=sub.reference,
        restricted=False,
        title=sub.title,
        summary=sub.summary,
        received_at=sub.received_at,
        anonymous=sub.anonymous,
        identity_visible=identity_visible(viewer.role, anonymous=sub.anonymous, blind_review=config.blind_review),
        codes=codes,
        single={name: getattr(sub, name) for name in SINGLE_VALUED},
        region=sub.region,
        links=[link.url for link in sub.links],
        notes=sub.notes if viewer.role != "reviewer" else None,
        **identity,
    )
