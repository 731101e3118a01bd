"""What a file really is, decided from its content, never from its name.

`sniff(source, filename, limits=...)` takes the bytes (or a seekable binary
file object, read in place) and returns a `Sniffed` (the kind, its media
type, the size and the SHA-256 of the content), or raises `DocumentRefused`
with a reason code and a sentence for people. Accepted: PDF, DOCX, PPTX, XLSX,
ODT, plain text (UTF-8, or UTF-8/UTF-16 with a byte-order mark), PNG and JPEG.
Refused: empty files, files over the size limit, programs and scripts,
macros, password-protected files, archive bombs, plain archives, old Office
formats, files that are two kinds at once, anything else unreadable, and a
file whose name says another kind than its content (saying what it really
is). docs/documents.md lists every rule and why.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from config.settings import DocumentLimits
from documents.errors import PARSER_ERRORS, DocumentRefused
from documents.kinds import KINDS, extension, kind_of_name
from documents.packages import OLE_MAGIC, refuse_ole, zip_kind

Source = bytes | BinaryIO

HEAD = 8 * 1024
TAIL = 64 * 1024 + 22  # a zip archive's end record sits in the last 64 KB
MAX_PIXELS = 100_000_000
CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# Programs and scripts, by their first bytes.
EXECUTABLES = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a Java or macOS program"),
    (b"dex\n", "an Android program"),
    (b"\x00asm", "a WebAssembly program"),
    (b"#!", "a script"),
    (b"\xef\xbb\xbf#!", "a script"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "a Windows shortcut"),
)
# Other kinds, refused with what to do instead.
OTHERS = (
    (b"\x1f\x8b", "archive", "a compressed archive (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "a compressed archive (7-Zip)"),
    (b"Rar!\x1a\x07", "archive", "a compressed archive (RAR)"),
    (b"GIF8", "unsupported", "a GIF image"),
    (b"{\\rtf", "unsupported", "a Rich Text document (RTF)"),
)
ACCEPTED_WORDS = "PDF, Word (DOCX), PowerPoint (PPTX), Excel (XLSX), OpenDocument text (ODT), plain text, PNG or JPEG"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # a code of documents.kinds.KINDS
    size: int
    sha256: str

    @property
    def media_type(self) -> str:
        return KINDS[self.kind].media_type

    @property
    def words(self) -> str:
        return KINDS[self.kind].words


def as_stream(source: Source) -> BinaryIO:
    """A seekable binary stream over `source` (the same object when it is one)."""
    return io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source


def stream_size(stream: BinaryIO) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def sniff(source: Source, filename: str, *, limits: DocumentLimits | None = None) -> Sniffed:
    """The file's kind, from its content; or `DocumentRefused` saying why not."""
    limits = limits or DocumentLimits()
    stream = as_stream(source)
    size = stream_size(stream)
    if size == 0:
        raise DocumentRefused("empty", "This file is empty (0 bytes). Attach the document itself.")
    if size > limits.max_bytes:
        raise DocumentRefused(
            "too_large",
            f"This file is {size / (1024 * 1024):.1f} MB; the most one document may be is "
            f"{limits.max_bytes / (1024 * 1024):.1f} MB (setting EVIDENCE_DOCUMENT_MAX_BYTES). Attach a smaller "
            "copy (a PDF without large pictures, say).",
        )
    kind = detect(stream, size, limits)
    check_name(kind, filename)
    return Sniffed(kind=kind, size=size, sha256=sha256_of(stream))


def sha256_of(stream: BinaryIO) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _ends(stream: BinaryIO, size: int) -> tuple[bytes, bytes]:
    stream.seek(0)
    head = stream.read(HEAD)
    stream.seek(max(0, size - TAIL))
    tail = stream.read(TAIL)
    stream.seek(0)
    return head, tail


def detect(stream: BinaryIO, size: int, limits: DocumentLimits) -> str:
    """The kind code, or a refusal; `stream` is left at its start."""
    head, tail = _ends(stream, size)
    for magic, words in EXECUTABLES:
        if head.startswith(magic):
            raise DocumentRefused(
                "executable", f"This file is {words}, not a document, whatever its name says. It cannot be attached."
            )
    try:
        if head.startswith(b"PK\x03\x04"):
            return zip_kind(stream, size, limits)
        if head.startswith(OLE_MAGIC):
            raise refuse_ole(stream)
        for magic, check, kind in (
            (b"%PDF-", _check_pdf, "pdf"),
            (b"\x89PNG\r\n\x1a\n", _check_png, "png"),
            (b"\xff\xd8\xff", _check_jpeg, "jpeg"),
        ):
            if head.startswith(magic):
                _refuse_polyglot(tail, kind)
                check(stream)
                return kind
        for magic, reason, words in OTHERS:
            if head.startswith(magic):
                raise DocumentRefused(reason, f"This file is {words}, which the app does not accept. {_instead()}")
        _check_text(stream, limits)
        return "text"
    finally:
        stream.seek(0)


def _instead() -> str:
    return f"Attach the document as {ACCEPTED_WORDS}."


def _refuse_polyglot(tail: bytes, kind: str) -> None:
    """A zip archive's end record after the start of a PDF or an image: a file
    that is two kinds at once (each reader sees a different file)."""
    if b"PK\x05\x06" in tail:
        raise DocumentRefused(
            "polyglot",
            f"This file starts as {KINDS[kind].words} but also holds a zip archive, so different programs would "
            "open it as different files. Save the document again (print it to PDF, say) and attach that.",
        )


def _check_pdf(stream: BinaryIO) -> None:
    from pypdf import PdfReader  # imported here: most callers of sniff need no PDF reader
    from pypdf.errors import PyPdfError

    errors: tuple[type[Exception], ...] = (PyPdfError, *PARSER_ERRORS)
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise DocumentRefused(
                "encrypted",
                "This PDF is password-protected (encrypted), so no one could read it here. Save a copy "
                "without the password (or print it to a new PDF) and attach that.",
            )
        if len(reader.pages) < 1:
            raise DocumentRefused("empty", "This PDF has no pages. Attach the document itself.")
    except DocumentRefused:
        raise
    except errors:
        raise DocumentRefused(
            "damaged", "This PDF is damaged and cannot be read. Save it again (or print it to PDF) and attach that."
        ) from None


def _check_image(stream: BinaryIO, fmt: str, kind: str) -> None:
    from PIL import Image

    errors: tuple[type[Exception], ...] = (
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        SyntaxError,
        *PARSER_ERRORS,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=[fmt]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise DocumentRefused(
                        "damaged",
                        f"This image claims {width:,} by {height:,} pixels, which the app does not open. "
                        "Attach a smaller copy.",
                    )
                if fmt == "JPEG":  # decode it, at an eighth of its size, to know it is whole
                    image.draft("L", (max(1, width // 8), max(1, height // 8)))
                    image.load()
                else:
                    image.verify()  # every chunk's checksum
    except DocumentRefused:
        raise
    except errors:
        raise DocumentRefused(
            "damaged", f"This {KINDS[kind].words.removeprefix('a ')} is damaged and cannot be read. Attach a new copy."
        ) from None


def _check_png(stream: BinaryIO) -> None:
    _check_image(stream, "PNG", "png")


def _check_jpeg(stream: BinaryIO) -> None:
    _check_image(stream, "JPEG", "jpeg")


def decode_text(data: bytes) -> str | None:
    """The text of UTF-8 bytes (with or without a byte-order mark) or of UTF-16
    bytes with one; None when the bytes are not such text."""
    if data.startswith(b"\xff\xfe\x00\x00") or data.startswith(b"\x00\x00\xfe\xff"):
        return None  # UTF-32: not accepted
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            data, encoding = data[len(bom) :], codec
            break
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def is_text(text: str) -> bool:
    """No NUL, and control characters (other than tab, line breaks and form feed) rare."""
    if "\x00" in text:
        return False
    return len(_CONTROL.findall(text)) <= CONTROL_SHARE * len(text)


def _check_text(stream: BinaryIO, limits: DocumentLimits) -> None:
    text = decode_text(stream.read(limits.max_bytes + 1))
    if text is None or not is_text(text):
        raise DocumentRefused(
            "unsupported",
            f"This file is not a document the app can read: it is not {ACCEPTED_WORDS}. If it is plain text, "
            "save it as UTF-8 and attach it again.",
        )
    if not text.strip():
        raise DocumentRefused("empty", "This file holds nothing but blank space. Attach the document itself.")


def check_name(kind: str, filename: str) -> None:
    """Refuse a name that says another kind than the content (no extension says nothing)."""
    ext = extension(filename)
    if not ext or ext in KINDS[kind].extensions:
        return
    said = kind_of_name(filename)
    # Only an extension we know is repeated back: the name is the sender's text.
    named = f"ends in {ext} ({said})" if said else "ends in an extension the app does not accept"
    raise DocumentRefused(
        "name_mismatch",
        f"This file's name {named}, but its content is {KINDS[kind].words}. Check that it is the file you "
        f"meant; if it is, rename it to end in {KINDS[kind].extensions[0]} and attach it again.",
    )


def check_submission_total(existing_bytes: int, new_bytes: int, *, limits: DocumentLimits | None = None) -> None:
    """Refuse a document that would take a submission's documents past their limit."""
    limits = limits or DocumentLimits()
    if existing_bytes + new_bytes > limits.max_per_submission_bytes:
        raise DocumentRefused(
            "too_large_total",
            f"This submission already holds {existing_bytes / (1024 * 1024):.1f} MB of documents; with this one "
            f"it would pass the limit of {limits.max_per_submission_bytes / (1024 * 1024):.1f} MB (setting "
            "EVIDENCE_DOCUMENT_MAX_PER_SUBMISSION_BYTES). Remove a document or attach a smaller copy.",
        )
