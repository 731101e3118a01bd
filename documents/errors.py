"""The one exception of the documents package, and its reason codes."""

from __future__ import annotations

import zipfile
import zlib

from pypdf.errors import PyPdfError

# Why a document is refused: a stable code (for the data layer, the audit log
# and tests) and, on each exception, a sentence for people.
REASONS = {
    "empty": "the file is empty",
    "too_large": "the file is larger than the limit",
    "too_large_total": "the submission's documents would pass their limit",
    "executable": "the file is a program or a script",
    "macros": "the file holds macros",
    "encrypted": "the file is password-protected",
    "archive_bomb": "the file unpacks to far more than it holds",
    "archive": "the file is an archive of other files",
    "too_many_files": "the attachments ZIP holds too many files",
    "name_mismatch": "the file's content contradicts its name",
    "legacy_office": "the file is in an old Office format",
    "polyglot": "the file is two kinds of file at once",
    "unsupported": "the file is of a kind the app does not accept",
    "damaged": "the file is damaged",
    # Refusals of the data layer (data_access.documents), in the same family so that callers catch one exception.
    "unreadable": "the file could not be read from the disk",
    "already_attached": "the same file is already attached to this submission",
    "wrong_kind": "a redacted version is not of the same kind as the document it replaces",
}


class DocumentRefused(ValueError):
    """A document that is not stored: `reason` is a code of `REASONS`,
    `message` a sentence a non-programmer can act on."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason code {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


# What a parser of hostile input may raise besides its own errors: a refusal,
# never a crash of the page.
PARSER_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    zlib.error,  # a damaged compressed stream (zip entries, PDF streams)
    zipfile.BadZipFile,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    ZeroDivisionError,
    OSError,
    EOFError,
    RecursionError,
    NotImplementedError,
    LookupError,
    UnicodeError,
)
