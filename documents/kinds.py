"""The kinds of document the app accepts, and the words and names for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    code: str  # stored in the database: "pdf", "docx", ...
    words: str  # for people: "a PDF document"
    media_type: str  # what a download is served as
    extensions: tuple[str, ...]  # the names it may have; the first is the one to suggest


KINDS = {
    k.code: k
    for k in (
        Kind("pdf", "a PDF document", "application/pdf", (".pdf",)),
        Kind(
            "docx",
            "a Word document (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        Kind(
            "pptx",
            "a PowerPoint presentation (PPTX)",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            (".pptx",),
        ),
        Kind(
            "xlsx",
            "an Excel workbook (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
        Kind("odt", "an OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", (".odt",)),
        Kind("text", "plain text", "text/plain; charset=utf-8", (".txt", ".text", ".md", ".csv", ".tsv")),
        Kind("png", "a PNG image", "image/png", (".png",)),
        Kind("jpeg", "a JPEG image", "image/jpeg", (".jpg", ".jpeg", ".jpe")),
    )
}

# Names of kinds the app refuses, to say what a misnamed file really is.
OTHER_EXTENSIONS = {
    ".exe": "a Windows program",
    ".dll": "a Windows library",
    ".msi": "a Windows installer",
    ".scr": "a Windows program",
    ".com": "a program",
    ".bat": "a Windows script",
    ".cmd": "a Windows script",
    ".ps1": "a PowerShell script",
    ".vbs": "a Visual Basic script",
    ".js": "a JavaScript file",
    ".sh": "a shell script",
    ".jar": "a Java program",
    ".apk": "an Android app",
    ".html": "a web page",
    ".htm": "a web page",
    ".svg": "an SVG drawing",
    ".docm": "a Word document with macros",
    ".xlsm": "an Excel workbook with macros",
    ".pptm": "a PowerPoint presentation with macros",
    ".doc": "an old-format Word document",
    ".xls": "an old-format Excel workbook",
    ".ppt": "an old-format PowerPoint presentation",
    ".zip": "a zip archive",
    ".rtf": "a Rich Text document",
    ".ods": "an OpenDocument spreadsheet",
    ".odp": "an OpenDocument presentation",
}


def extension(filename: str) -> str:
    """The name's extension, lower case with its dot ("" if it has none)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def kind_of_name(filename: str) -> str | None:
    """What the name says the file is, in words, or None when it says nothing we know."""
    ext = extension(filename)
    for kind in KINDS.values():
        if ext in kind.extensions:
            return kind.words
    return OTHER_EXTENSIONS.get(ext)
