"""One call for one attached file: sniff it, check the submission's total,
clean the reviewers' copy, extract its text (docs/documents.md, "The API the
data layer will call"). The data layer stores what `prepare` returns, or
nothing when it raises `DocumentRefused`."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import DocumentLimits
from documents.metadata import clean
from documents.sniff import Sniffed, Source, as_stream, check_submission_total, sniff
from documents.text import Extracted, extract_text


@dataclass(frozen=True)
class Prepared:
    sniffed: Sniffed  # kind, size and SHA-256 of the original (deduplication: the same file twice is stored once)
    cleaned: bytes  # the copy reviewers see
    removed: tuple[str, ...]  # what metadata (and PDF scripts) the copy lost, for the admin's notice
    text: Extracted  # the copy's text, for reading and search


def prepare(
    source: Source, filename: str, *, existing_bytes: int = 0, limits: DocumentLimits | None = None
) -> Prepared:
    """Everything to store for one document, or `DocumentRefused` (store nothing).

    `existing_bytes` is what the submission's documents already hold."""
    limits = limits or DocumentLimits()
    stream = as_stream(source)
    found = sniff(stream, filename, limits=limits)
    check_submission_total(existing_bytes, found.size, limits=limits)
    cleaned = clean(stream, found.kind, limits=limits)
    return Prepared(found, cleaned.content, cleaned.removed, extract_text(cleaned.content, found.kind, limits=limits))
