"""Reading a ZIP of documents that arrives beside an import, entry by entry.

`Bundle(source)` opens the ZIP (a path, or a seekable binary file such as an
upload) and checks its listing against `BundleLimits` (entries, bytes it
unpacks to, ratio of unpacked to packed bytes: `formats.archives.UnpackBudget`)
before anything is unpacked. `bundle.match(rows)` is `documents.bundle.match_bundle`
on its entry names. `bundle.entry(name, limits)` unpacks ONE entry, counted
against the bundle's budget and cut at the document size limit, into a
temporary file that spills to disk past 1 MB: only one document is ever held,
never the bundle's contents (issue 15: 500 files, 200 MB, under 500 MB of
memory).

`check_bundle(bundle, match, existing_bytes=..., attached=..., limits=...)`
is the preview: each matched entry goes through `documents.prepare.prepare`
in turn and is forgotten; it returns a `BundleReport` listing what would be
attached and every refusal. The data layer attaches the same way, one entry
after the other (`data_access.imports`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from config.settings import DocumentLimits
from documents.bundle import MAX_ENTRIES, BundleMatch, BundleRow, match_bundle
from documents.errors import PARSER_ERRORS, DocumentRefused
from documents.kinds import KINDS
from documents.prepare import prepare
from formats.archives import ArchiveTooLarge, UnpackBudget

SPOOL_BYTES = 1024 * 1024  # an entry past this size is spooled to disk, not held
_MB = 1024 * 1024
# The Import page's uploader: Streamlit holds an upload in the server's memory, whole.
BUNDLE_UPLOAD_MB = 256


@dataclass(frozen=True)
class BundleLimits:
    """What the ZIP beside an import may hold (a whole batch of documents)."""

    max_zip_bytes: int = 1024 * _MB  # the ZIP itself (the command line reads it from disk)
    max_entries: int = MAX_ENTRIES
    max_expanded_bytes: int = 2 * 1024 * _MB  # 2 GB unpacked in all
    max_ratio: float = 200.0  # unpacked / packed, for the whole ZIP (checked past 16 MB)


def entry_file_name(entry: str) -> str:
    """The entry's file name without its folders (what `prepare` compares with the content)."""
    return entry.replace("\\", "/").rsplit("/", 1)[-1]


def _bomb_message(exc: ArchiveTooLarge) -> str:
    if exc.what == "entries":
        return (
            f"The attachments ZIP holds {int(exc.found):,} entries; the most one import may bring is "
            f"{int(exc.limit):,}. Split the import in parts, each with its own ZIP."
        )
    if exc.what == "ratio":
        return (
            f"The attachments ZIP unpacks to {int(exc.found):,} times its own size; the most accepted is "
            f"{int(exc.limit):,} times. It looks like an archive bomb: make the ZIP again from the documents."
        )
    return (
        f"The attachments ZIP unpacks to more than {exc.limit / _MB:,.0f} MB, the most one import may bring. "
        "Split the import in parts, each with its own ZIP."
    )


class Bundle:
    """An open attachments ZIP, its listing checked; use as a context manager."""

    def __init__(self, source: str | Path | BinaryIO, *, limits: BundleLimits | None = None) -> None:
        self.limits = limits or BundleLimits()
        try:
            self.archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            raise DocumentRefused(
                "unsupported",
                "The attachments file is not a ZIP archive (or it is damaged). Put the documents in a ZIP "
                "(on Windows: select them, right-click, Send to, Compressed folder) and try again.",
            ) from None
        self.infos = self.archive.infolist()
        self._by_name = {info.filename: info for info in self.infos}
        packed = _size_of(source)
        if packed > self.limits.max_zip_bytes:
            self.archive.close()
            raise DocumentRefused(
                "too_large",
                f"The attachments ZIP is {packed / _MB:,.0f} MB; the most one import may bring is "
                f"{self.limits.max_zip_bytes / _MB:,.0f} MB. Split the import in parts, each with its own ZIP.",
            )
        self.budget = UnpackBudget(
            max_expanded_bytes=self.limits.max_expanded_bytes,
            max_entries=self.limits.max_entries,
            max_ratio=self.limits.max_ratio,
            packed_bytes=packed,
        )
        try:
            self.budget.check_listing(self.infos)
        except ArchiveTooLarge as exc:
            self.archive.close()
            raise DocumentRefused(
                "archive_bomb" if exc.what != "entries" else "too_many_files", _bomb_message(exc)
            ) from None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.archive.close()

    @property
    def names(self) -> list[str]:
        return [info.filename for info in self.infos]

    def match(self, rows: Sequence[BundleRow]) -> BundleMatch:
        return match_bundle(self.names, rows, max_entries=self.limits.max_entries)

    @contextlib.contextmanager
    def entry(self, name: str, limits: DocumentLimits) -> Iterator[Spooled]:
        """One entry unpacked into a temporary file (rewound), with its SHA-256;
        `DocumentRefused` for an entry too large, password-protected or damaged,
        or when the bundle passes its bounds."""
        info = self._by_name[name]
        if info.flag_bits & 0x1:
            raise DocumentRefused(
                "encrypted",
                "This file is password-protected inside the ZIP. Make the ZIP again without a password.",
            )
        if info.file_size > limits.max_bytes:
            raise _too_large(info.file_size, limits)
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            size = 0
            try:
                for chunk in self.budget.chunks(self.archive, info):
                    size += len(chunk)
                    if size > limits.max_bytes:
                        raise _too_large(size, limits)
                    digest.update(chunk)
                    spool.write(chunk)
            except ArchiveTooLarge as exc:
                raise DocumentRefused("archive_bomb", _bomb_message(exc)) from None
            except DocumentRefused:
                raise
            except PARSER_ERRORS:
                raise DocumentRefused(
                    "damaged", "This file is damaged inside the ZIP (it cannot be unpacked). Make the ZIP again."
                ) from None
            spool.seek(0)
            yield Spooled(spool, size, digest.hexdigest())  # type: ignore[arg-type]


@dataclass(frozen=True)
class Spooled:
    stream: BinaryIO
    size: int
    sha256: str


def _too_large(size: int, limits: DocumentLimits) -> DocumentRefused:
    return DocumentRefused(
        "too_large",
        f"This file is {size / _MB:.1f} MB (or more); the most one document may be is {limits.max_bytes / _MB:.1f} MB "
        "(setting EVIDENCE_DOCUMENT_MAX_BYTES). Put a smaller copy in the ZIP (a PDF without large pictures, say).",
    )


def _size_of(source: str | Path | BinaryIO) -> int:
    if isinstance(source, str | Path):
        return os.path.getsize(source)
    position = source.tell()
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(position)
    return size


@dataclass(frozen=True)
class BundleDocument:
    """A matched file that would be (or was) attached."""

    reference: str
    entry: str
    kind: str  # documents.kinds id
    size: int
    already_attached: bool = False  # the same bytes are already on the submission: left as they are


@dataclass(frozen=True)
class RefusedDocument:
    reference: str
    entry: str
    reason: str  # documents.errors.REASONS code
    message: str


@dataclass
class BundleReport:
    """What the ZIP beside an import would do (or did): the preview's lists."""

    match: BundleMatch
    documents: list[BundleDocument] = field(default_factory=list)
    refused: list[RefusedDocument] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """All or nothing: any refused or ambiguous entry, or refused document, refuses the whole import."""
        return self.match.clean and not self.refused

    def by_reference(self) -> dict[str, list[BundleDocument]]:
        out: dict[str, list[BundleDocument]] = {}
        for doc in self.documents:
            out.setdefault(doc.reference, []).append(doc)
        return out

    def reasons(self) -> list[str]:
        """Why the import is refused, one sentence each (empty when it is not)."""
        out = [f"{name}: refused, {why}." for name, why in self.match.refused]
        out += [
            f"{name}: claimed by {' and '.join(refs)} (by its folder or the file-name column); it can go to only one."
            for name, refs in self.match.ambiguous
        ]
        out += [f"{doc.entry} (for {doc.reference}): {doc.message}" for doc in self.refused]
        return out

    def warnings(self) -> list[str]:
        """What does not refuse the import but deserves a look."""
        out = [f"{name}: no row claims this file; it will not be attached." for name in self.match.unmatched_files]
        out += [f"{ref}: no file in the ZIP for this row." for ref in self.match.rows_without_files]
        out += [f"{ref}: lists {name}, which is not in the ZIP." for ref, name in self.match.missing]
        return out

    def counts(self) -> dict[str, int]:
        new = [doc for doc in self.documents if not doc.already_attached]
        return {
            "documents": len(new),
            "documents_bytes": sum(doc.size for doc in new),
            "documents_already_attached": len(self.documents) - len(new),
        }


def kind_words(kind: str) -> str:
    """ "a PDF document", for the preview."""
    spec = KINDS.get(kind)
    return spec.words if spec is not None else kind


@dataclass(frozen=True)
class Step:
    """One matched entry as the walk reaches it: refused before `prepare`, or
    its spooled content (valid until the next step)."""

    reference: str
    entry: str
    spooled: Spooled | None
    refused: RefusedDocument | None = None
    already_attached: bool = False


def walk_bundle(
    bundle: Bundle, match: BundleMatch, *, attached: Mapping[str, set[str]] | None, limits: DocumentLimits
) -> Iterator[Step]:
    """Each matched entry in the ZIP's order, unpacked one at a time. Refused
    here: an entry too large, password-protected or damaged, the bundle past
    its bounds, and the same bytes twice for one submission (it would be
    stored once: keep one). Bytes the submission already holds (a re-import
    with the same ZIP) are `already_attached`: left as they are."""
    seen: dict[tuple[str, str], str] = {}
    for reference, name in match.matched:
        try:
            with bundle.entry(name, limits) as spooled:
                if spooled.sha256 in (attached or {}).get(reference, set()):
                    yield Step(reference, name, spooled, already_attached=True)
                    continue
                first = seen.setdefault((reference, spooled.sha256), name)
                if first != name:
                    message = f"This is the same file as {first}, for the same submission: keep one of the two."
                    yield Step(reference, name, None, RefusedDocument(reference, name, "duplicate", message))
                    continue
                yield Step(reference, name, spooled)
        except DocumentRefused as exc:
            yield Step(reference, name, None, RefusedDocument(reference, name, exc.reason, exc.message))


def check_bundle(
    bundle: Bundle,
    match: BundleMatch,
    *,
    existing_bytes: Mapping[str, int] | None = None,
    attached: Mapping[str, set[str]] | None = None,
    limits: DocumentLimits | None = None,
) -> BundleReport:
    """The preview: every matched entry prepared in turn (one at a time, then
    forgotten), as the import would attach it. `existing_bytes` and `attached`
    are the stored submissions' document totals and SHA-256s, by reference."""
    limits = limits or DocumentLimits()
    report = BundleReport(match)
    totals = dict(existing_bytes or {})
    for step in walk_bundle(bundle, match, attached=attached, limits=limits):
        if step.refused is not None:
            report.refused.append(step.refused)
            continue
        assert step.spooled is not None  # a step is refused or has its content
        size = step.spooled.size
        if step.already_attached:
            report.documents.append(BundleDocument(step.reference, step.entry, "", size, already_attached=True))
            continue
        before = totals.get(step.reference, 0)
        try:
            prepared = prepare(step.spooled.stream, entry_file_name(step.entry), existing_bytes=before, limits=limits)
        except DocumentRefused as exc:
            report.refused.append(RefusedDocument(step.reference, step.entry, exc.reason, exc.message))
            continue
        totals[step.reference] = before + size
        report.documents.append(BundleDocument(step.reference, step.entry, prepared.sniffed.kind, size))
    return report


def _size_words(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size >= _MB else f"{max(1, round(size / 1024))} KB"


def report_lines(report: BundleReport, *, done: bool = False) -> list[str]:
    """The preview in plain lines (the command line prints them; the names are the sender's text:
    the caller makes them safe for its screen). `done`: after the import, not before."""
    found = {(doc.reference, doc.entry): doc for doc in report.documents}
    by_reference: dict[str, list[str]] = {}
    for reference, entry in report.match.matched:
        doc = found.get((reference, entry))
        what = ""
        if doc is not None:
            what = " (already attached: left as it is)" if doc.already_attached else f" ({kind_words(doc.kind)}, "
            what += "" if doc.already_attached else f"{_size_words(doc.size)})"
        by_reference.setdefault(reference, []).append(entry + what)
    counts = report.counts()
    verb = "attached" if done else "to attach"
    lines = [
        f"documents ZIP: {len(report.match.matched)} files matched to {len(by_reference)} rows, {verb} "
        f"{counts['documents']} ({_size_words(counts['documents_bytes'])}); "
        f"{len(report.match.unmatched_files)} unmatched files, {len(report.match.rows_without_files)} rows without files"
    ]
    for reference, entries in by_reference.items():
        lines.append(f"  {reference}: " + "; ".join(entries))
    warnings = report.warnings()
    if warnings:
        lines.append("warnings (they do not stop the import):")
        lines += [f"  {w}" for w in warnings]
    reasons = report.reasons()
    if reasons:
        lines.append(f"refused ({len(reasons)}): the whole import is refused, nothing is written:")
        lines += [f"  {r}" for r in reasons]
    return lines
