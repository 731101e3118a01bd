"""What a zip-based file (DOCX, PPTX, XLSX, ODT) or an OLE compound file
(old Office formats, encrypted OOXML) really is, read within bounds.

`zip_kind` checks the archive's listing and then unpacks every entry in
pieces through `formats.archives.UnpackBudget` (declared and actual sizes,
entries, ratio), so a bomb is refused before any reader parses it; it refuses
encrypted entries, macros (vbaProject.bin, the macro-enabled content types,
ActiveX controls, OpenDocument Basic or scripts), encrypted OpenDocument
files, Java and Android programs and plain archives. `refuse_ole` says what
an OLE compound file is and refuses it.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from config.settings import DocumentLimits
from documents.errors import PARSER_ERRORS, DocumentRefused
from documents.kinds import KINDS
from formats.archives import ArchiveTooLarge, UnpackBudget

ZIP_ERRORS: tuple[type[Exception], ...] = (RuntimeError, *PARSER_ERRORS)  # RuntimeError: an encrypted entry
OOXML_MAIN = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx"}
OOXML_MACRO_WORDS = ("macroenabled", "vbaproject", "activex")
ODF_TEXT = b"application/vnd.oasis.opendocument.text"
# The small parts read whole to decide the kind; a larger one is not a real document's.
MAX_SMALL_PART = 4 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ARCHIVE_MESSAGE = (
    "This file is a zip archive of other files, not a document. Unpack it and attach the documents inside "
    "one by one (a batch of documents for an import goes beside the import, as its attachments)."
)
DAMAGED = "This {words} is damaged and cannot be read. Open it, save it again, and attach the new copy."


def _damaged(words: str = "file") -> DocumentRefused:
    return DocumentRefused("damaged", DAMAGED.format(words=words))


def _bomb(exc: ArchiveTooLarge) -> DocumentRefused:
    what = {
        "expanded": f"unpacks to more than {exc.limit / (1024 * 1024):,.0f} MB",
        "entries": f"holds more than {exc.limit:,.0f} parts",
        "ratio": f"unpacks to more than {exc.limit:,.0f} times its own size",
    }[exc.what]
    return DocumentRefused(
        "archive_bomb",
        f"This file {what}, far more than a real document: it could be an archive bomb, built to fill the "
        "server's memory. Save the document again (or as PDF) and attach that.",
    )


def zip_kind(stream: BinaryIO, size: int, limits: DocumentLimits) -> str:
    """The kind of a zip-based document ("docx", "pptx", "xlsx" or "odt"), or a refusal."""
    try:
        archive = zipfile.ZipFile(stream)
    except ZIP_ERRORS:  # NotImplementedError, say: a damaged "version needed" field
        raise _damaged() from None
    budget = UnpackBudget(limits.max_expanded_bytes, limits.max_entries, limits.max_ratio, packed_bytes=size)
    with archive:
        try:
            infos = archive.infolist()
            budget.check_listing(infos)
            if any(info.flag_bits & 0x1 for info in infos):
                raise DocumentRefused(
                    "encrypted",
                    "This file is password-protected (its contents are encrypted), so no one could read it "
                    "here. Save a copy without the password and attach that.",
                )
            names = {info.filename.lower(): info for info in infos}
            kind = _kind_of_package(archive, names, budget)
            for info in infos:  # every byte, counted: a listing can lie
                for _ in budget.chunks(archive, info):
                    pass
        except DocumentRefused:
            raise
        except ArchiveTooLarge as exc:
            raise _bomb(exc) from None
        except ZIP_ERRORS:
            raise _damaged() from None
    return kind


def _kind_of_package(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: UnpackBudget) -> str:
    if "[content_types].xml" in names:
        return _ooxml_kind(archive, names, budget)
    if "mimetype" in names:
        return _odf_kind(archive, names, budget)
    if "classes.dex" in names or "androidmanifest.xml" in names or any(n.endswith(".class") for n in names):
        raise DocumentRefused(
            "executable", "This file is a program (a Java or Android package), not a document. It cannot be attached."
        )
    raise DocumentRefused("archive", ARCHIVE_MESSAGE)


def _small_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: UnpackBudget) -> bytes:
    if info.file_size > MAX_SMALL_PART:
        raise _damaged()
    data = budget.read(archive, info)
    if len(data) > MAX_SMALL_PART:
        raise _damaged()
    return data


def _ooxml_kind(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: UnpackBudget) -> str:
    kind = next((k for part, k in OOXML_MAIN.items() if part in names), None)
    words = KINDS[kind].words if kind else "Office file"
    try:
        root = fromstring(_small_part(archive, names["[content_types].xml"], budget))
    except (ParseError, DefusedXmlException):
        raise _damaged(words.removeprefix("a ").removeprefix("an ")) from None
    types = [str(el.get("ContentType", "")).lower() for el in root.iter()]
    macro_part = any(n.endswith(("vbaproject.bin", "vbadata.xml")) or "/activex/" in f"/{n}" for n in names)
    if macro_part or any(word in t for t in types for word in OOXML_MACRO_WORDS):
        raise DocumentRefused(
            "macros",
            f"This file is {words} with macros (program code that runs when it is opened, as in .docm, .xlsm "
            "or .pptm files). Documents with macros are not accepted. Save it without macros (as .docx, .xlsx "
            "or .pptx, or as PDF) and attach that.",
        )
    if kind is None:
        raise DocumentRefused(
            "unsupported",
            "This is an Office file of a kind the app does not read. Save it as PDF, DOCX, PPTX or XLSX and "
            "attach that.",
        )
    return kind


def _odf_kind(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], budget: UnpackBudget) -> str:
    mimetype = _small_part(archive, names["mimetype"], budget)[:200].strip()
    manifest = names.get("meta-inf/manifest.xml")
    if manifest is not None and b"encryption-data" in _small_part(archive, manifest, budget):
        raise DocumentRefused(
            "encrypted",
            "This OpenDocument file is password-protected, so no one could read it here. Save a copy without "
            "the password and attach that.",
        )
    if any(n.startswith(("basic/", "scripts/")) for n in names):
        raise DocumentRefused(
            "macros",
            "This OpenDocument file holds macros (program code that runs when it is opened). Save it without "
            "macros (or as PDF) and attach that.",
        )
    if mimetype != ODF_TEXT:
        raise DocumentRefused(
            "unsupported",
            "This OpenDocument file is not a text document (it may be a spreadsheet or a presentation). Save it "
            "as PDF, XLSX or PPTX and attach that.",
        )
    return "odt"


OLE_KINDS = (
    ("WordDocument", "an old-format Word document (.doc)", ".docx"),
    ("PowerPoint Document", "an old-format PowerPoint presentation (.ppt)", ".pptx"),
    ("Workbook", "an old-format Excel workbook (.xls)", ".xlsx"),
    ("Book", "an old-format Excel workbook (.xls)", ".xlsx"),
)


def refuse_ole(stream: BinaryIO) -> DocumentRefused:
    """The refusal for an OLE compound file: a password-protected Office file
    (its EncryptedPackage stream), an old-format Office file, or another kind
    (an installer, say). The stream names are UTF-16 in the file's directory."""
    data = stream.read()
    if "EncryptedPackage".encode("utf-16-le") in data:
        return DocumentRefused(
            "encrypted",
            "This Office document is password-protected, so no one could read it here. Open it, remove the "
            "password (File, Info, Protect), save it and attach the new copy.",
        )
    for stream_name, words, modern in OLE_KINDS:
        if stream_name.encode("utf-16-le") in data:
            return DocumentRefused(
                "legacy_office",
                f"This is {words}, a format the app does not open safely. Open it in Office or LibreOffice, "
                f"save it as {modern} or PDF, and attach that.",
            )
    return DocumentRefused(
        "legacy_office",
        "This is an old-format Office file or another compound file (such as an installer), which the app does "
        "not open. Save the document as PDF, DOCX, PPTX or XLSX and attach that.",
    )
