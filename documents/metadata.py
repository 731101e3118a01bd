"""Removing identifying metadata from the copy of a document reviewers see.

`clean(content, kind)` (bytes or a seekable binary file object) returns a `Cleaned`: the new bytes and, in words, what
was removed (for the admin's notice). The body is left as it is: a report
that names its organisation in its text still does (docs/documents.md).

* PDF: the document information dictionary and the XMP metadata (the
  catalog's and every page's) are dropped, and so are scripts, launch
  actions and attached files (the catalog's open action, scripts and
  embedded files, pages' additional actions, annotations that run them): the pages (with their outline and
  named destinations) are copied into a new file by pypdf, so objects no page
  reaches (an old revision's metadata, say) are not carried over.
* DOCX, PPTX, XLSX: every property in docProps/core.xml but the two dates; the
  company, manager, template and link base in docProps/app.xml; every custom
  property; the authors and initials of tracked changes and comments (Word),
  comment authors (PowerPoint, Excel), the people list (userId, display
  names), the shared workbook's user name and an attached template's path.
* ODT: meta.xml's creators, title, subject, description, keywords, template
  and user-defined fields; the creators of tracked changes and annotations.
* PNG: text, EXIF and time chunks. JPEG: EXIF, XMP, IPTC and comment segments.
* Plain text: nothing to remove.

Every XML part is first parsed with defusedxml (no DTD entities, no external
references: a hostile part is refused, never expanded), then edited as text
so that the namespace prefixes Office relies on (`mc:Ignorable`) are kept as
they were, then parsed again to check it is still well formed. The archive
is rewritten entry by entry within `formats.archives.UnpackBudget`.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from config.settings import DocumentLimits
from documents.errors import PARSER_ERRORS, DocumentRefused
from documents.sniff import Source, as_stream, stream_size
from formats.archives import ArchiveTooLarge, UnpackBudget

NEUTRAL_AUTHOR = "Author"
NEUTRAL_INITIALS = "A"
_PREFIX = r"(?:[A-Za-z_][\w.\-]*:)?"
_KEEP_CORE = {"created", "modified"}
_CORE_NAMES = (
    "creator",
    "lastModifiedBy",
    "title",
    "subject",
    "keywords",
    "description",
    "category",
    "contentStatus",
    "identifier",
    "language",
    "version",
    "revision",
    "lastPrinted",
)
_APP_NAMES = ("Company", "Manager", "Template", "HyperlinkBase")
_ODF_META_NAMES = (
    "initial-creator",
    "creator",
    "printed-by",
    "title",
    "subject",
    "description",
    "keyword",
    "user-defined",
)


CLEAN_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    ParseError,
    DefusedXmlException,
    struct.error,
    zlib.error,
    *PARSER_ERRORS,
)


@dataclass(frozen=True)
class Cleaned:
    content: bytes
    removed: tuple[str, ...]  # what was removed, in words, one line each


def clean(source: Source, kind: str, *, limits: DocumentLimits | None = None) -> Cleaned:
    """The document (bytes, or a seekable binary file object read in place)
    without its identifying metadata, and what was removed."""
    limits = limits or DocumentLimits()
    stream = as_stream(source)
    stream.seek(0)
    cleaners: dict[str, Callable[[BinaryIO, DocumentLimits], Cleaned]] = {
        "pdf": _clean_pdf,
        "docx": _clean_package,
        "pptx": _clean_package,
        "xlsx": _clean_package,
        "odt": _clean_package,
        "png": lambda data, _: _clean_png(data.read()),
        "jpeg": lambda data, _: _clean_jpeg(data.read()),
    }
    cleaner = cleaners.get(kind)
    if cleaner is None:
        return Cleaned(stream.read(), ())
    try:
        return cleaner(stream, limits)
    except DocumentRefused:
        raise
    except ArchiveTooLarge:
        raise _damaged() from None
    except CLEAN_ERRORS:
        raise _damaged() from None


def _damaged() -> DocumentRefused:
    return DocumentRefused(
        "damaged", "This document's details (its author and similar) could not be removed safely, so it is not stored."
    )


# --- PDF ---------------------------------------------------------------------


def _clean_pdf(stream: BinaryIO, _limits: DocumentLimits) -> Cleaned:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(stream)
    removed = [f"PDF document information: {str(key).lstrip('/')}" for key in (reader.metadata or {})]
    if "/Metadata" in reader.root_object:
        removed.append("PDF XMP metadata (the document's)")
    for number, page in enumerate(reader.pages, start=1):  # before the copy: what it leaves is not copied
        for key in ("/Metadata", "/PieceInfo"):
            if NameObject(key) in page:
                del page[NameObject(key)]
                removed.append(f"PDF {key.lstrip('/')} of page {number}")
    removed += _strip_pdf_actions(reader)
    writer = PdfWriter()
    writer.append(reader)
    writer.metadata = None
    writer.xmp_metadata = None
    out = io.BytesIO()
    writer.write(out)
    return Cleaned(out.getvalue(), tuple(removed))


# Actions a PDF reader runs or opens by itself: scripts, programs, other files.
PDF_ACTIONS = {"/JavaScript", "/Launch", "/GoToE", "/ImportData", "/SubmitForm", "/Rendition"}


def _active(annotation: Any) -> bool:
    """An annotation that runs something: an action of PDF_ACTIONS, any
    additional action (/AA: on open, on focus...), or an attached file."""
    action = annotation.get("/A")
    kind = action.get_object().get("/S") if action is not None else None
    return "/AA" in annotation or annotation.get("/Subtype") == "/FileAttachment" or kind in PDF_ACTIONS


def _strip_pdf_actions(reader: Any) -> list[str]:
    """Remove, before the pages are copied, the pages' own additional actions and the
    annotations that run scripts or programs or carry files (the catalog's open action,
    scripts and embedded files are not copied at all). Links to web pages stay."""
    from pypdf.generic import ArrayObject, NameObject

    removed = []
    for number, page in enumerate(reader.pages, start=1):
        if NameObject("/AA") in page:
            del page[NameObject("/AA")]
            removed.append(f"PDF page action (page {number})")
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        kept = ArrayObject(a for a in annotations.get_object() if not _active(a.get_object()))
        if len(kept) != len(annotations.get_object()):
            page[NameObject("/Annots")] = kept
            removed.append(f"PDF script, program or attached file (page {number})")
    return removed


# --- Zip-based documents (OOXML and OpenDocument) --------------------------------


def _clean_package(stream: BinaryIO, limits: DocumentLimits) -> Cleaned:
    removed: list[str] = []
    out = io.BytesIO()
    budget = UnpackBudget(
        limits.max_expanded_bytes, limits.max_entries, limits.max_ratio, packed_bytes=stream_size(stream)
    )
    with zipfile.ZipFile(stream) as source, zipfile.ZipFile(out, "w") as target:
        budget.check_listing(source.infolist())
        for info in source.infolist():
            data = budget.read(source, info)
            if info.filename.endswith((".xml", ".rels")):
                data = _clean_part(info.filename, data, removed)
            target.writestr(_copy_info(info), data, compress_type=info.compress_type)
    return Cleaned(out.getvalue(), tuple(dict.fromkeys(removed)))


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    return copy


def _clean_part(name: str, data: bytes, removed: list[str]) -> bytes:
    fromstring(data)  # refuses a DTD's entities and external references before anything else
    text = data.decode("utf-8")
    before = len(removed)
    for edit in _EDITS:
        text = edit(name, text, removed)
    if len(removed) == before:
        return data
    cleaned = text.encode("utf-8")
    fromstring(cleaned)  # still well formed
    return cleaned


def _empty_elements(text: str, names: tuple[str, ...], what: str, removed: list[str], *, drop: bool = False) -> str:
    """Empty (or with `drop`, remove) the elements of these local names that hold something."""
    for local in names:
        pattern = re.compile(rf"<({_PREFIX}{re.escape(local)})(\s[^>]*)?>(.*?)</\1\s*>", re.DOTALL)

        def replace(match: re.Match[str], local: str = local) -> str:
            if not match.group(3).strip():
                return match.group(0)
            removed.append(f"{what}: {local}" if local != "property" else what)
            return "" if drop else f"<{match.group(1)}{match.group(2) or ''}></{match.group(1)}>"

        text = pattern.sub(replace, text)
    return text


def _neutral_attributes(text: str, names: dict[str, str], what: str, removed: list[str]) -> str:
    """Give every attribute of these local names a neutral value."""
    pattern = re.compile(rf"(\s{_PREFIX})({'|'.join(map(re.escape, names))})\s*=\s*(\"[^\"]*\"|'[^']*')")
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        neutral = names[match.group(2)]
        if match.group(3)[1:-1] in ("", neutral):
            return match.group(0)
        count += 1
        return f'{match.group(1)}{match.group(2)}="{neutral}"'

    text = pattern.sub(replace, text)
    if count:
        removed.append(f"{what} ({count})")
    return text


def _core(name: str, text: str, removed: list[str]) -> str:
    if name == "docProps/core.xml":
        return _empty_elements(text, _CORE_NAMES, "Document property", removed)
    if name == "docProps/app.xml":
        return _empty_elements(text, _APP_NAMES, "Application property", removed, drop=True)
    if name == "docProps/custom.xml":
        return _empty_elements(text, ("property",), "Custom property", removed, drop=True)
    return text


_AUTHOR_ATTRIBUTES = {"author": NEUTRAL_AUTHOR, "initials": NEUTRAL_INITIALS, "userId": NEUTRAL_AUTHOR}


def _authors(name: str, text: str, removed: list[str]) -> str:
    """Tracked-change and comment authors (Word), comment authors (PowerPoint,
    Excel), the people list and the shared workbook's user."""
    if not name.startswith(("word/", "ppt/", "xl/")):
        return text
    names = dict(_AUTHOR_ATTRIBUTES)
    if name.startswith("ppt/") and name.endswith(("commentAuthors.xml", "authors.xml")):
        names["name"] = NEUTRAL_AUTHOR
    if name.startswith("xl/persons/"):
        names["displayName"] = NEUTRAL_AUTHOR
    if name == "xl/workbook.xml":
        names["userName"] = NEUTRAL_AUTHOR
    text = _neutral_attributes(text, names, "Author or initials of a change or comment", removed)
    if re.match(r"xl/(?:comments/)?comments?\d*\.xml$", name):
        text = _empty_elements(text, ("author",), "Comment author", removed)
    if name == "word/settings.xml" and "attachedTemplate" in text:
        text = re.sub(rf"<{_PREFIX}attachedTemplate\b[^>]*/>", "", text)
        removed.append("Attached template")
    return text


def _template_links(name: str, text: str, removed: list[str]) -> str:
    """An attached template's relationship (its target is a path on someone's computer)."""
    if not name.endswith(".rels") or "attachedTemplate" not in text:
        return text
    removed.append("Attached template's path")
    return re.sub(r"<Relationship\b[^>]*attachedTemplate[^>]*/>", "", text)


def _odf(name: str, text: str, removed: list[str]) -> str:
    if name == "meta.xml":
        text = _empty_elements(text, _ODF_META_NAMES, "Document property", removed, drop=True)
        if re.search(rf"<{_PREFIX}template\b", text):
            text = re.sub(rf"<{_PREFIX}template\b[^>]*/>", "", text)
            removed.append("Document property: template")
        return text
    if name in ("content.xml", "styles.xml"):
        text = _empty_elements(text, ("creator",), "Author of a change or comment", removed)
        return _neutral_attributes(text, {"creator-initials": NEUTRAL_INITIALS}, "Initials of a comment", removed)
    return text


_EDITS = (_core, _authors, _template_links, _odf)


# --- Images --------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _clean_png(content: bytes) -> Cleaned:
    out, removed, at = [PNG_SIGNATURE], [], len(PNG_SIGNATURE)
    while at < len(content):
        (length,) = struct.unpack(">I", content[at : at + 4])
        chunk_type = content[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(content):
            raise _damaged()
        if chunk_type in PNG_DROP:
            removed.append(f"PNG {chunk_type.decode('ascii')} chunk")
        else:
            out.append(content[at:end])
        at = end
        if chunk_type == b"IEND":
            break
    return Cleaned(b"".join(out), tuple(removed))


JPEG_DROP = {0xE1: "EXIF or XMP", 0xED: "IPTC", 0xFE: "comment"}


def _clean_jpeg(content: bytes) -> Cleaned:
    out, removed, at = [content[:2]], [], 2
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            raise _damaged()
        marker = content[at + 1]
        if marker == 0xDA:  # start of scan: the image data runs to the end
            out.append(content[at:])
            break
        (length,) = struct.unpack(">H", content[at + 2 : at + 4])
        end = at + 2 + length
        if marker in JPEG_DROP:
            removed.append(f"JPEG {JPEG_DROP[marker]} segment")
        else:
            out.append(content[at:end])
        at = end
    return Cleaned(b"".join(out), tuple(removed))
