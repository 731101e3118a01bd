"""Importing submissions: the database side of `importing`.

    plan = preview_import(session, content=..., filename=..., mapping=..., config=..., max_bytes=...)
    result = apply_import(session, content=..., ..., actor=..., expected_fingerprint=plan.fingerprint)

`preview_import` reads the stored submissions once, as plain data, and asks
the pure engine what the file would do; it writes nothing. `apply_import`
works the plan out again inside the caller's write unit (so it is checked
against the data as it is now, and refused if that differs from the preview
the person confirmed), refuses it if it has any problem, and then writes the
whole file with bulk statements in that one transaction: new submissions
with their codes and links, updates (version bumped, optimistic locking),
likely-duplicate flags, the `ImportBatch` with the original bytes, SHA-256,
counts and changes, and the audit entries. Any failure rolls all of it back.

Also here: the list of past imports. Named column mappings are in
`data_access.import_mappings`, a person's decision on a likely duplicate in
`data_access.import_flags`; their names are re-exported here for callers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from config.call_config import MULTI_VALUED, CallConfig
from config.settings import ImportLimits
from data_access import audit
from data_access.db import rows_matched
from data_access.import_flags import (  # noqa: F401  (some re-exported)
    FlagError,
    FlagView,
    decide_flag,
    flag_duplicates,
    flagged_pairs,
    list_flags,
)
from data_access.import_mappings import (  # noqa: F401  (re-exported)
    MAX_MAPPING_NAME,
    MappingError,
    delete_mapping,
    list_mappings,
    save_mapping,
)
from data_access.models import (
    ImportBatch,
    Submission,
    SubmissionCode,
    SubmissionLink,
    utcnow,
)
from data_access.submission_changes import audit_values, record_changes, updated_field_counts
from data_access.submissions import SCALAR_COLUMNS
from importing import (
    ColumnMapping,
    ExistingSubmission,
    ImportPlan,
    PlannedRow,
    build_plan,
    read_table,
)
from importing.corrections import Correction, apply_corrections, provenance
from importing.plan import Progress, fingerprint
from importing.source_key import SOURCE_KEY

SCALAR_FIELDS = SCALAR_COLUMNS  # the submission columns a file can set
CHUNK = 500
# The models' tables, for bulk Core statements (typed as any FromClause by the declarative base).
_SUBMISSIONS, _CODES, _LINKS = (cast(Table, m.__table__) for m in (Submission, SubmissionCode, SubmissionLink))
# Serialises imports on PostgreSQL (SQLite's write units are serial already).
IMPORT_LOCK_KEY = 7_310_240_001


class CorrectionsNoLongerApply(ValueError):
    """Corrections given to the import name cells it no longer reads as corrected: nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        cells = "; ".join(f"row {s.correction.row}: {s.reason}" for s in plan.stale_corrections[:10])
        super().__init__(f"Some corrections no longer apply, so nothing was imported ({cells}).")


class ImportHasProblems(ValueError):
    """The file has problems: nothing was written. `plan.problems` lists them."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        n = len(plan.problems)
        super().__init__(f"The file has {n} problem{'s' if n != 1 else ''}; nothing was imported.")


class StalePreview(ValueError):
    """The stored submissions changed after the preview the person confirmed."""

    def __init__(self) -> None:
        super().__init__(
            "The submissions changed since your preview (someone else imported or edited them), so nothing was "
            "imported. Preview the file again and check what it would do now."
        )


@dataclass(frozen=True)
class ImportResult:
    batch_id: int | None  # None: every row was already stored as in the file, so nothing was written
    sha256: str
    counts: dict[str, int]
    plan: ImportPlan = field(repr=False)  # what was written


@dataclass(frozen=True)
class BatchSummary:
    id: int
    filename: str
    sha256: str
    size_bytes: int
    sheet: str | None
    mapping_name: str | None
    imported_by: str
    imported_at: dt.datetime
    counts: dict[str, Any]


@contextlib.contextmanager
def _bulk_work():
    """Pause the cyclic garbage collector while tens of thousands of rows are
    held: it would scan them again and again (a third of the time) and find
    no cycles; reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- reading ----------------------------------------------------------------


def load_existing(session: Session) -> list[ExistingSubmission]:
    """Every stored submission as plain data (three queries, no ORM objects)."""
    conn = session.connection()  # Core rows: ten thousand of them load in a moment
    codes: dict[int, dict[str, list[str]]] = defaultdict(lambda: {name: [] for name in MULTI_VALUED})
    for sid, name, code in conn.execute(
        select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).order_by(
            SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.position
        )
    ):
        codes[sid][name].append(code)
    links: dict[int, list[str]] = defaultdict(list)
    for sid, url in conn.execute(
        select(SubmissionLink.submission_id, SubmissionLink.url).order_by(
            SubmissionLink.submission_id, SubmissionLink.position
        )
    ):
        links[sid].append(url)
    columns = [getattr(Submission, name) for name in SCALAR_FIELDS]
    out = []
    for row in conn.execute(
        select(
            Submission.id,
            Submission.reference,
            Submission.version,
            Submission.contact_purged_at,
            Submission.source_key,
            *columns,
        )
    ):
        sid, reference, version, purged, source_key, *scalars = row
        values: dict[str, Any] = dict(zip(SCALAR_FIELDS, scalars, strict=True))
        values["anonymous"] = bool(values["anonymous"])
        values.update({name: list(v) for name, v in codes[sid].items()} if sid in codes else {})
        for name in MULTI_VALUED:
            values.setdefault(name, [])
        values["links"] = links.get(sid, [])
        out.append(
            ExistingSubmission(
                sid, reference, version, values, contact_purged=purged is not None, source_key=source_key
            )
        )
    return out


def preview_import(
    session: Session,
    *,
    content: bytes,
    filename: str,
    mapping: ColumnMapping,
    config: CallConfig,
    max_bytes: int,
    sheet: str | None = None,
    limits: ImportLimits | None = None,
    progress: Progress | None = None,
    header_row: int | None = None,
    corrections: Sequence[Correction] = (),
) -> ImportPlan:
    """What importing the file would do, with every problem; writes nothing.

    `corrections` are cells a person corrected (`importing.corrections`): the
    file is read through those that still apply (`plan.corrections`), the
    others are listed (`plan.stale_corrections`).
    Raises `importing.ImportRefused` for a file that cannot be read at all."""
    with _bulk_work():
        table = read_table(content, filename, max_bytes=max_bytes, sheet=sheet, limits=limits, header_row=header_row)
        table, applied, stale = apply_corrections(table, corrections, mapping)
        plan = build_plan(
            table,
            mapping=mapping,
            config=config,
            existing=load_existing(session),
            existing_flag_pairs=flagged_pairs(session),
            progress=progress,
        )
        if corrections:
            plan.corrections, plan.stale_corrections = applied, stale
            plan.fingerprint = fingerprint(plan)
        plan.header_picked = header_row is not None
        return plan


def previous_imports_of(session: Session, *, sha256: str) -> list[BatchSummary]:
    """Earlier imports of exactly these bytes."""
    return list_batches(session, sha256=sha256)


def list_batches(session: Session, *, limit: int = 50, sha256: str | None = None) -> list[BatchSummary]:
    stmt = (
        select(
            ImportBatch.id,
            ImportBatch.filename,
            ImportBatch.sha256,
            ImportBatch.size_bytes,
            ImportBatch.sheet,
            ImportBatch.mapping_name,
            ImportBatch.imported_by,
            ImportBatch.imported_at,
            ImportBatch.counts,
        )
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    if sha256:
        stmt = stmt.where(ImportBatch.sha256 == sha256)
    return [BatchSummary(*row) for row in session.execute(stmt)]


def batch_file(session: Session, *, batch_id: int, actor: str) -> tuple[str, bytes | None]:
    """The original file of an import (filename, bytes), recorded in the audit log."""
    row = session.execute(
        select(ImportBatch.filename, ImportBatch.content).where(ImportBatch.id == batch_id)
    ).one_or_none()
    if row is None:
        raise LookupError(f"no import {batch_id}")
    audit.record(session, actor=actor, action="import.download_original", entity="import_batch", entity_id=batch_id)
    return row[0], row[1]


def record_problems_download(
    session: Session, *, actor: str, filename: str, count: int, content: bytes | None = None
) -> None:
    """The problem table of a file was downloaded (it quotes the file's cells); with its SHA-256 when given."""
    audit.record(
        session,
        actor=actor,
        action="export.import_problems",
        entity="import_file",
        new={"rows": count, "sha256": hashlib.sha256(content).hexdigest()} if content is not None else None,
        detail=f"{count} problems of {filename[:200]}",
    )


# --- writing ----------------------------------------------------------------


def apply_import(
    session: Session,
    *,
    content: bytes,
    filename: str,
    mapping: ColumnMapping,
    config: CallConfig,
    max_bytes: int,
    actor: str,
    actor_id: int | None = None,
    sheet: str | None = None,
    limits: ImportLimits | None = None,
    mapping_name: str | None = None,
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
    header_row: int | None = None,
    corrections: Sequence[Correction] = (),
) -> ImportResult:
    """Import the whole file in the caller's unit of work, or raise and write nothing.

    Raises `ImportRefused` (unreadable file), `ImportHasProblems` (any problem),
    `CorrectionsNoLongerApply` (a correction names a cell it no longer reads as
    corrected), `StalePreview` (the data changed since the confirmed preview). A file whose
    every row is already stored as it is writes nothing (`batch_id` None)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})

    def planning(fraction: float, message: str) -> None:
        if progress:
            progress(0.6 * fraction, message)

    plan = preview_import(
        session,
        content=content,
        filename=filename,
        mapping=mapping,
        config=config,
        max_bytes=max_bytes,
        sheet=sheet,
        limits=limits,
        progress=planning,
        header_row=header_row,
        corrections=corrections,
    )
    if plan.stale_corrections:
        raise CorrectionsNoLongerApply(plan)
    if not plan.ok:
        raise ImportHasProblems(plan)
    if expected_fingerprint is not None and plan.fingerprint != expected_fingerprint:
        raise StalePreview()
    digest = sha256_of(content)
    if not plan.rows_with("add") and not plan.rows_with("update") and not plan.duplicates:
        # Re-importing what is already stored changes nothing, not even the log.
        return ImportResult(None, digest, {**plan.counts, "flags": 0}, plan)

    with _bulk_work():
        return _write(
            session,
            plan,
            content=content,
            digest=digest,
            actor=actor,
            actor_id=actor_id,
            mapping_name=mapping_name,
            progress=progress,
        )


def _write(
    session: Session,
    plan: ImportPlan,
    *,
    content: bytes,
    digest: str,
    actor: str,
    actor_id: int | None,
    mapping_name: str | None,
    progress: Progress | None,
) -> ImportResult:
    now = utcnow()
    batch = ImportBatch(
        filename=plan.table.filename[:500],
        sha256=digest,
        size_bytes=len(content),
        content=content,
        sheet=plan.table.sheet,
        mapping_name=mapping_name,
        imported_by_id=actor_id,
        imported_by=actor,
        imported_at=now,
        counts={},
        changes=[],
    )
    session.add(batch)
    session.flush()
    if progress:
        progress(0.65, "Adding new submissions")
    new_ids = _insert_new(session, plan.rows_with("add"), batch_id=batch.id, now=now)
    if progress:
        progress(0.8, "Updating changed submissions")
    _update_changed(session, plan.rows_with("update"), now=now)
    record_changes(session, plan.rows_with("update"), batch_id=batch.id, actor=actor, now=now)
    ids_by_row = {**{r.row: r.submission_id for r in plan.rows if r.submission_id is not None}, **new_ids}
    flags = flag_duplicates(session, plan, ids_by_row=ids_by_row, batch_id=batch.id, now=now)
    if progress:
        progress(0.9, "Recording what changed")

    counts = {**plan.counts, "flags": len(flags)}
    changes: list[dict[str, Any]] = [_how_read(plan)]
    entries: list[dict[str, Any]] = []
    detail = f"import batch {batch.id}"
    corrected = provenance(plan.corrections)
    for r in plan.rows:
        sid = ids_by_row[r.row]
        if r.row in corrected:  # the cells a person corrected, kept with the row's change
            changes.append(
                {"action": "corrected", "row": r.row, "reference": r.data.reference, "submission_id": sid,
                 "corrections": corrected[r.row]}
            )  # fmt: skip
        if r.action == "add":
            changes.append({"action": "added", "row": r.row, "reference": r.data.reference, "submission_id": sid})
            entries.append(
                {
                    "action": "submission.create",
                    "entity": "submission",
                    "entity_id": sid,
                    "new": {"reference": r.data.reference, "title": r.data.title},
                    "detail": f"{detail}, row {r.row}",
                }
            )
        elif r.action == "update":
            old = {name: before for name, (before, _after) in r.changes.items()}
            new = {name: after for name, (_before, after) in r.changes.items()}
            logged_old, logged_new = audit_values(r.changes, batch_id=batch.id)
            changes.append(
                {
                    "action": "updated",
                    "row": r.row,
                    "reference": r.data.reference,
                    "submission_id": sid,
                    "fields": audit.jsonable({name: {"old": old[name], "new": new[name]} for name in r.changes}),
                }
            )
            version = r.stored()[1]
            entries.append(
                {
                    "action": "submission.update",
                    "entity": "submission",
                    "entity_id": sid,
                    "old": logged_old,
                    "new": logged_new,
                    "detail": f"{detail}, row {r.row}, version {version} -> {version + 1}",
                }
            )
    for flag in flags:
        changes.append({"action": "flagged", **flag})
        entries.append(
            {
                "action": "duplicate_flag.create",
                "entity": "submission",
                "entity_id": flag["submission_id"],
                "new": flag,
                "detail": detail,
            }
        )
    batch.counts = counts
    batch.changes = changes
    audit.record(
        session,
        actor=actor,
        action="import.file",
        entity="import_batch",
        entity_id=batch.id,
        new={
            "filename": batch.filename,
            "sha256": digest,
            "size_bytes": len(content),
            "sheet": plan.table.sheet,
            "mapping": mapping_name,
            "key": plan.mapping.key,
            "counts": counts,
            "header_row": plan.table.header_row,
            "corrections": len(plan.corrections),  # how many, never the values
            # which fields the updates changed, by name, and how many submissions each: never values
            "updated_fields": updated_field_counts(plan.rows_with("update")),
        },
    )
    audit.record_many(session, actor=actor, entries=entries)
    session.flush()
    if progress:
        progress(1.0, "Imported")
    return ImportResult(batch.id, digest, counts, plan)


def _how_read(plan: ImportPlan) -> dict[str, Any]:
    """The first entry of an import's changes: how the file was read (its header row, picked by the
    person or found, and how many cells were corrected)."""
    return {
        "action": "read",
        "sheet": plan.table.sheet,
        "header_row": plan.table.header_row,
        "header_row_from": "picked" if plan.header_picked else ("guessed" if plan.table.header_unsure else "found"),
        "corrections": len(plan.corrections),
    }


def _scalar_values(row: PlannedRow) -> dict[str, Any]:
    data = row.data
    return {name: getattr(data, name) for name in SCALAR_FIELDS}


def _insert_new(session: Session, rows: Sequence[PlannedRow], *, batch_id: int, now: dt.datetime) -> dict[int, int]:
    """Bulk-insert new submissions with their codes and links; file row -> id."""
    if not rows:
        return {}
    params = [
        {
            "reference": r.data.reference,
            **_scalar_values(r),
            "anonymous": bool(r.data.anonymous),
            "source_key": r.source_key,
            "import_batch_id": batch_id,
            "contact_purged_at": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for r in rows
    ]
    # A plain executemany (with RETURNING, SQLAlchemy splices the returned
    # rows batch by batch, slowly); the new ids are read back by reference.
    session.execute(insert(_SUBMISSIONS), params)
    by_reference = dict(
        session.execute(select(Submission.reference, Submission.id).where(Submission.import_batch_id == batch_id)).all()
    )
    ids = [by_reference[r.reference()] for r in rows]
    _insert_codes_and_links(session, list(zip(ids, rows, strict=True)), fields=(*MULTI_VALUED, "links"))
    return {r.row: sid for sid, r in zip(ids, rows, strict=True)}


def _insert_codes_and_links(
    session: Session, pairs: Sequence[tuple[int, PlannedRow]], *, fields: Sequence[str]
) -> None:
    code_rows = [
        {"submission_id": sid, "field": name, "code": code, "position": i}
        for sid, r in pairs
        for name in fields
        if name in MULTI_VALUED
        for i, code in enumerate(getattr(r.data, name))
    ]
    link_rows = (
        [{"submission_id": sid, "position": i, "url": url} for sid, r in pairs for i, url in enumerate(r.data.links)]
        if "links" in fields
        else []
    )
    if code_rows:
        session.execute(insert(_CODES), code_rows)
    if link_rows:
        session.execute(insert(_LINKS), link_rows)


def _update_changed(session: Session, rows: Sequence[PlannedRow], *, now: dt.datetime) -> None:
    """Update changed submissions, grouped by which columns change; each
    update checks the version the plan saw and bumps it."""
    if not rows:
        return
    table = _SUBMISSIONS
    groups: dict[tuple[str, ...], list[PlannedRow]] = defaultdict(list)
    for r in rows:
        groups[tuple(name for name in (*SCALAR_FIELDS, SOURCE_KEY) if name in r.changes)].append(r)
    for columns, members in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {
                    **{name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns},
                    "version": table.c.version + 1,
                    "updated_at": bindparam("b_now", type_=table.c.updated_at.type),
                }
            )
        )
        params = [
            {
                "b_id": r.submission_id,
                "b_version": r.expected_version,
                "b_now": now,
                **{f"v_{name}": r.source_key if name == SOURCE_KEY else getattr(r.data, name) for name in columns},
            }
            for r in members
        ]
        if rows_matched(session, stmt, params) != len(params):
            raise StalePreview()
    for name in (*MULTI_VALUED, "links"):
        changed = [r for r in rows if name in r.changes]
        for start in range(0, len(changed), CHUNK):
            ids = [r.submission_id for r in changed[start : start + CHUNK]]
            if name == "links":
                session.execute(delete(_LINKS).where(_LINKS.c.submission_id.in_(ids)))
            else:
                session.execute(delete(_CODES).where(_CODES.c.submission_id.in_(ids), _CODES.c.field == name))
        _insert_codes_and_links(session, [(r.stored()[0], r) for r in changed], fields=(name,))
