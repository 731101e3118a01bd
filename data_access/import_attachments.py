"""A ZIP of documents beside an import (issue 15): the database side.

    report = preview_attachments(session, plan, bundle, limits=...)   # writes nothing
    result, report = apply_import_with_attachments(session, bundle=..., document_limits=..., **apply_import_args)

The ZIP's entries go to the import's rows by `documents.bundle.match_bundle`:
a folder named after a row's reference, or a name the row's file-name column
lists (the template's `links` column, "URLs or file names of attached
documents": its cells that are not web addresses are file names). The
preview prepares each matched entry in turn (`documents.bundle_reader`);
the import writes the rows (`data_access.imports.apply_import`) and then
attaches the entries one after the other through
`data_access.documents.attach_document`, in the same write unit. Any
refused or ambiguous entry, or refused document, raises
`AttachmentsRefused` with every reason, and the caller's write unit rolls
all of it back: no submission, no document (all or nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config.settings import DocumentLimits
from data_access import documents as documents_da
from data_access import imports
from data_access.db import Database
from data_access.models import Submission, SubmissionDocument
from documents.bundle import BundleMatch, BundleRow
from documents.bundle_reader import (
    Bundle,
    BundleDocument,
    BundleReport,
    RefusedDocument,
    check_bundle,
    entry_file_name,
    walk_bundle,
)
from documents.errors import DocumentRefused
from importing import ImportPlan
from importing.plan import Progress

_WEB = ("http://", "https://", "www.", "ftp://", "mailto:")


class AttachmentsRefused(ValueError):
    """The ZIP beside the import has refused or ambiguous entries or refused documents: nothing was imported."""

    def __init__(self, report: BundleReport) -> None:
        self.report = report
        n = len(report.reasons())
        super().__init__(
            f"The documents ZIP has {n} problem{'s' if n != 1 else ''}, so nothing was imported "
            "(neither the submissions nor any document)."
        )


def file_names(links: Iterable[str]) -> tuple[str, ...]:
    """The cells of the file-name (links) column that name files, not web pages."""
    return tuple(link for link in links if not link.strip().lower().startswith(_WEB))


def bundle_rows(plan: ImportPlan) -> list[BundleRow]:
    """Each planned row's reference (as it will be stored) and the file names it lists."""
    return [BundleRow(r.reference(), file_names(r.data.links)) for r in plan.rows]


def _stored(session: Session, references: Iterable[str]) -> tuple[dict[str, int], dict[str, set[str]]]:
    """The stored submissions' document totals and originals' SHA-256, by reference."""
    totals: dict[str, int] = defaultdict(int)
    shas: dict[str, set[str]] = defaultdict(set)
    wanted = sorted(set(references))
    for start in range(0, len(wanted), imports.CHUNK):
        rows = session.execute(
            select(Submission.reference, SubmissionDocument.size, SubmissionDocument.original_sha256)
            .join(SubmissionDocument, SubmissionDocument.submission_id == Submission.id)
            .where(Submission.reference.in_(wanted[start : start + imports.CHUNK]))
        )
        for reference, size, sha in rows:
            totals[reference] += size
            shas[reference].add(sha)
    return dict(totals), dict(shas)


def preview_attachments(session: Session, plan: ImportPlan, bundle: Bundle, *, limits: DocumentLimits) -> BundleReport:
    """What the ZIP would attach to the plan's rows, and every refusal; writes nothing.

    Raises `DocumentRefused` when the ZIP holds more entries than an import may bring."""
    match = bundle.match(bundle_rows(plan))
    totals, shas = _stored(session, {reference for reference, _ in match.matched})
    return check_bundle(bundle, match, existing_bytes=totals, attached=shas, limits=limits)


def attach_bundle(
    session: Session,
    plan: ImportPlan,
    bundle: Bundle,
    *,
    actor: Viewer | str,
    limits: DocumentLimits,
    progress: Progress | None = None,
) -> BundleReport:
    """Attach every matched entry, one at a time, to the submissions the plan
    wrote (or left unchanged); `AttachmentsRefused` with every reason if
    anything is refused (the caller's write unit then rolls everything back)."""
    match = bundle.match(bundle_rows(plan))
    if not match.clean:
        raise AttachmentsRefused(BundleReport(match))
    return _attach(session, match, bundle, actor=actor, limits=limits, progress=progress)


def _attach(
    session: Session,
    match: BundleMatch,
    bundle: Bundle,
    *,
    actor: Viewer | str,
    limits: DocumentLimits,
    progress: Progress | None,
) -> BundleReport:
    references = {reference for reference, _ in match.matched}
    ids = dict(
        session.execute(select(Submission.reference, Submission.id).where(Submission.reference.in_(references))).all()
    )
    _totals, shas = _stored(session, references)
    report = BundleReport(match)
    for n, step in enumerate(walk_bundle(bundle, match, attached=shas, limits=limits)):
        if progress:
            progress(n / len(match.matched), f"Attaching document {n + 1} of {len(match.matched)}")
        if step.refused is not None:
            report.refused.append(step.refused)
            continue
        assert step.spooled is not None  # a step is refused or has its content
        if step.already_attached:
            report.documents.append(
                BundleDocument(step.reference, step.entry, "", step.spooled.size, already_attached=True)
            )
            continue
        try:
            info = documents_da.attach_document(
                session,
                submission_id=ids[step.reference],
                name=entry_file_name(step.entry),
                content=step.spooled.stream,
                actor=actor,
                limits=limits,
            )
        except DocumentRefused as exc:
            report.refused.append(RefusedDocument(step.reference, step.entry, exc.reason, exc.message))
            continue
        report.documents.append(BundleDocument(step.reference, step.entry, info.kind, info.size))
    if not report.ok:
        raise AttachmentsRefused(report)
    return report


def apply_import_with_attachments(
    session: Session,
    *,
    bundle: Bundle,
    document_limits: DocumentLimits,
    actor: str,
    attach_as: Viewer | str | None = None,
    **import_args,
) -> tuple[imports.ImportResult, BundleReport]:
    """`imports.apply_import`, then the ZIP's documents attached to its rows, in
    the caller's write unit: raises (`ImportHasProblems`, `StalePreview`,
    `AttachmentsRefused`, ...) and the caller rolls back, or both are written.
    `attach_as` is whom `attach_document` checks now (the signed-in admin's
    Viewer, or `data_access.documents.COMMAND_LINE`); by default `actor`, as
    the username of an active admin."""
    progress: Progress | None = import_args.pop("progress", None)
    result = imports.apply_import(
        session, actor=actor, progress=(lambda f, m: progress(0.5 * f, m)) if progress else None, **import_args
    )
    report = attach_bundle(
        session,
        result.plan,
        bundle,
        actor=attach_as if attach_as is not None else actor,
        limits=document_limits,
        progress=(lambda f, m: progress(0.5 + 0.5 * f, m)) if progress else None,
    )
    return result, report


def run_import(
    db: Database,
    *,
    bundle_path: Path | None,
    dry_run: bool,
    document_limits: DocumentLimits,
    actor: str,
    mapping_name: str | None = None,
    after: Callable[[Session, imports.ImportResult], object] | None = None,
    **import_args,
) -> tuple[ImportPlan, imports.ImportResult | None, BundleReport | None]:
    """The command line's import (documents attached as `COMMAND_LINE`), with or without a ZIP of documents:
    (plan, result, report); a dry run has no result, a file with problems
    returns its plan and no result. Raises `ImportRefused`, `DocumentRefused`
    (the ZIP itself), `AttachmentsRefused` (with every reason, dry run or not),
    writing nothing. `after(session, result)` runs in the import's unit of work
    once it is written (the acknowledgements); if it raises, nothing is written."""
    bundle = Bundle(bundle_path) if bundle_path is not None else None
    report = None
    try:
        if dry_run:
            with db.read() as session:
                plan = imports.preview_import(session, **import_args)
                if bundle is not None and plan.ok:
                    report = preview_attachments(session, plan, bundle, limits=document_limits)
            if report is not None and not report.ok:
                raise AttachmentsRefused(report)
            return plan, None, report
        with db.write() as session:
            if bundle is None:
                result = imports.apply_import(session, actor=actor, mapping_name=mapping_name, **import_args)
            else:
                result, report = apply_import_with_attachments(
                    session,
                    bundle=bundle,
                    document_limits=document_limits,
                    actor=actor,
                    attach_as=documents_da.COMMAND_LINE,
                    mapping_name=mapping_name,
                    **import_args,
                )
            if after is not None:
                after(session, result)
        return result.plan, result, report
    except imports.ImportHasProblems as exc:
        return exc.plan, None, None
    finally:
        if bundle is not None:
            bundle.close()
