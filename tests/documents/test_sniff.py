"""The sniffer decides a file's kind from its content and refuses, in words,
what is dangerous or unreadable (docs/documents.md)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.settings import DocumentLimits
from documents.errors import REASONS, DocumentRefused
from documents.sniff import check_submission_total, decode_text, sniff
from tests.documents import builders as b


def refused(content: bytes, filename: str, **kwargs) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        sniff(content, filename, **kwargs)
    assert caught.value.reason in REASONS
    assert str(caught.value) == caught.value.message
    return caught.value


ACCEPTED = [
    (b.plain_pdf, "report.pdf", "pdf", "application/pdf"),
    (b.plain_docx, "toolkit.docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b.plain_pptx, "slides.pptx", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (b.plain_xlsx, "figures.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b.make_odt, "notes.odt", "odt", "application/vnd.oasis.opendocument.text"),
    (lambda: "Notes on the pilot\nwith ünïcode".encode(), "notes.txt", "text", "text/plain; charset=utf-8"),
    (lambda: "Notes on the pilot".encode("utf-16"), "notes.txt", "text", "text/plain; charset=utf-8"),
    (lambda: b"\xef\xbb\xbfNotes with a BOM", "notes.md", "text", "text/plain; charset=utf-8"),
    (b.make_png, "photo.png", "png", "image/png"),
    (b.make_jpeg, "photo.jpg", "jpeg", "image/jpeg"),
]


@pytest.mark.parametrize(("build", "filename", "kind", "media_type"), ACCEPTED)
def test_every_accepted_kind_is_sniffed_from_its_content(build, filename, kind, media_type):
    content = build()
    found = sniff(content, filename)
    assert (found.kind, found.media_type, found.size) == (kind, media_type, len(content))
    # The name does not decide: with no extension the content still does.
    assert sniff(content, "no-extension").kind == kind
    # A file object is read in place, and left at its start.
    stream = io.BytesIO(content)
    assert sniff(stream, filename) == found
    assert stream.tell() == 0


def test_the_hash_is_the_contents_sha256():
    import hashlib

    content = b.plain_pdf()
    assert sniff(content, "a.pdf").sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "a Windows program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "a Linux program"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "a macOS program"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 200, "a Java or macOS program"),
        (b"#!/bin/sh\nrm -rf ~\n", "a script"),
        (b"\xef\xbb\xbf#!/usr/bin/env python\n", "a script"),
    ],
)
def test_programs_and_scripts_are_refused_whatever_their_name(content, words):
    error = refused(content, "report.pdf")
    assert error.reason == "executable"
    assert words in error.message and "not a document" in error.message


def test_a_java_archive_is_refused_as_a_program():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Main-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe")
    assert refused(out.getvalue(), "evidence.docx").reason == "executable"


def test_a_docx_named_pdf_is_refused_saying_what_it_really_is():
    error = refused(b.plain_docx(), "report.pdf")
    assert error.reason == "name_mismatch"
    assert "ends in .pdf (a PDF document)" in error.message
    assert "its content is a Word document (DOCX)" in error.message
    assert "rename it to end in .docx" in error.message


def test_an_unknown_extension_is_not_repeated_back():
    error = refused(b.plain_pdf(), "report.[click](javascript:x)")
    assert error.reason == "name_mismatch"
    assert "javascript" not in error.message and "an extension the app does not accept" in error.message


def test_a_text_file_named_as_a_script_is_refused():
    assert refused(b"echo hello\r\n", "run.bat").reason == "name_mismatch"


@pytest.mark.parametrize(
    ("content_type", "part"),
    [
        ("application/vnd.ms-word.document.macroEnabled.main+xml", None),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/vbaProject.bin"),
    ],
)
def test_a_word_document_with_macros_is_refused(content_type, part):
    docx = b.plain_docx()
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", content_type
    )
    docm = b.rezip(docx, {"[Content_Types].xml": types.encode()}, add={part: b"VBA"} if part else None)
    for name in ("report.docm", "report.docx"):
        error = refused(docm, name)
        assert error.reason == "macros"
        assert "macros" in error.message and "Save it without macros" in error.message


def test_an_excel_workbook_with_macros_is_refused():
    xlsx = b.plain_xlsx()
    xlsm = b.rezip(xlsx, {}, add={"xl/vbaProject.bin": b"VBA"})
    assert refused(xlsm, "figures.xlsm").reason == "macros"


def test_an_opendocument_with_basic_macros_is_refused():
    odt = b.rezip(b.make_odt(), {}, add={"Basic/Standard/Module1.xml": b"<x/>"})
    assert refused(odt, "notes.odt").reason == "macros"


def test_an_encrypted_pdf_is_refused_as_password_protected():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(b.plain_pdf())))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    error = refused(out.getvalue(), "report.pdf")
    assert error.reason == "encrypted" and "password-protected" in error.message


def test_an_encrypted_office_document_is_refused_as_password_protected():
    # Office saves a password-protected DOCX as an OLE compound file holding an EncryptedPackage stream.
    error = refused(b.ole_file("EncryptionInfo", "EncryptedPackage"), "report.docx")
    assert error.reason == "encrypted" and "password-protected" in error.message


def test_an_encrypted_opendocument_is_refused_as_password_protected():
    manifest = b.ODF_MANIFEST % (
        b'<manifest:file-entry manifest:full-path="x.xml"><manifest:encryption-data '
        b'manifest:checksum-type="SHA1"/></manifest:file-entry>'
    )
    odt = b.rezip(b.make_odt(), {"META-INF/manifest.xml": manifest})
    error = refused(odt, "notes.odt")
    assert error.reason == "encrypted" and "password-protected" in error.message


def test_a_zip_with_encrypted_entries_is_refused_as_password_protected():
    docx = bytearray(b.plain_docx())
    at = docx.find(b"PK\x01\x02")  # the first central directory entry: set its "encrypted" flag
    docx[at + 8] |= 0x1
    assert refused(bytes(docx), "report.docx").reason == "encrypted"


@pytest.mark.parametrize(
    ("streams", "words"),
    [
        (("WordDocument",), "old-format Word document (.doc)"),
        (("Workbook",), "old-format Excel workbook (.xls)"),
        (("PowerPoint Document",), "old-format PowerPoint presentation (.ppt)"),
        (("Something",), "old-format Office file or another compound file"),
    ],
)
def test_old_office_formats_are_refused_asking_for_the_modern_one(streams, words):
    error = refused(b.ole_file(*streams), "old.doc")
    assert error.reason == "legacy_office"
    assert words in error.message


def test_a_zip_bomb_is_refused_from_its_listing():
    bomb = b.zip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    limits = DocumentLimits(max_expanded_bytes=32 * 1024 * 1024)
    error = refused(bomb, "report.docx", limits=limits)
    assert error.reason == "archive_bomb" and "archive bomb" in error.message


def test_a_zip_bomb_whose_listing_lies_is_refused_as_it_unpacks():
    bomb = b.zip_bomb(64 * 1024 * 1024, declared=10)
    limits = DocumentLimits(max_expanded_bytes=32 * 1024 * 1024, max_ratio=10_000)
    error = refused(bomb, "report.docx", limits=limits)
    # Either the bytes unpacked pass the limit, or zipfile notices the lie first: never accepted.
    assert error.reason in ("archive_bomb", "damaged")


def test_a_high_ratio_is_refused_even_under_the_size_limit():
    bomb = b.zip_bomb(64 * 1024 * 1024)
    error = refused(bomb, "report.docx", limits=DocumentLimits(max_ratio=100))
    assert error.reason == "archive_bomb" and "times its own size" in error.message


def test_too_many_entries_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(30):
            archive.writestr(f"word/part{i}.xml", b"<x/>")
    assert refused(out.getvalue(), "a.docx", limits=DocumentLimits(max_entries=20)).reason == "archive_bomb"


def test_a_plain_zip_archive_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("report.pdf", b.plain_pdf())
    error = refused(out.getvalue(), "bundle.zip")
    assert error.reason == "archive" and "one by one" in error.message


@pytest.mark.parametrize("content", [b"", b"   \n\t  \n"])
def test_an_empty_file_is_refused(content):
    assert refused(content, "notes.txt").reason == "empty"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    error = refused(b"x" * 2048, "notes.txt", limits=DocumentLimits(max_bytes=1024))
    assert error.reason == "too_large" and "EVIDENCE_DOCUMENT_MAX_BYTES" in error.message


def test_the_submission_total_is_bounded():
    limits = DocumentLimits(max_per_submission_bytes=1000)
    check_submission_total(600, 400, limits=limits)
    with pytest.raises(DocumentRefused) as caught:
        check_submission_total(600, 401, limits=limits)
    assert caught.value.reason == "too_large_total"
    assert "EVIDENCE_DOCUMENT_MAX_PER_SUBMISSION_BYTES" in caught.value.message


@pytest.mark.parametrize(("build", "name"), [(b.plain_pdf, "a.pdf"), (b.make_png, "a.png"), (b.make_jpeg, "a.jpg")])
def test_a_polyglot_with_a_zip_appended_is_refused(build, name):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", b"<script>alert(1)</script>")
    error = refused(build() + out.getvalue(), name)
    assert error.reason == "polyglot" and "also holds a zip archive" in error.message


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.7\n" + b"junk" * 50, "a.pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 50, "a.png"),
        (b"\xff\xd8\xff\xe0" + b"junk" * 50, "a.jpg"),
        (b"PK\x03\x04" + b"junk" * 50, "a.docx"),
    ],
)
def test_damaged_files_are_refused(content, name):
    assert refused(content, name).reason == "damaged"


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01\x02\x03binary", "Windows-1252 caf\xe9".encode("cp1252"), b"\x1f\x8b\x08\x00", b"{\\rtf1 hello}"],
)
def test_binary_junk_and_other_formats_are_refused(content):
    assert refused(content, "notes").reason in ("unsupported", "archive")


MAGICS = [b"%PDF-", b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b""]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(MAGICS), junk=st.binary(max_size=2048))
def test_random_bytes_never_crash_and_are_never_taken_for_a_binary_kind(prefix, junk):
    content = prefix + junk
    try:
        found = sniff(content, "upload")
    except DocumentRefused as error:
        assert error.reason in REASONS
        return
    # Only text may come out of random bytes: readable, without NULs or many control characters.
    assert found.kind == "text"
    text = decode_text(content)
    assert text is not None and text.strip() and "\x00" not in text


def test_an_office_listing_with_entity_declarations_is_refused_not_expanded():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;</Types>'
    )
    docx = b.rezip(b.plain_docx(), {"[Content_Types].xml": laughs})
    assert refused(docx, "report.docx").reason == "damaged"


def test_a_zip_needing_an_unknown_version_is_refused_as_damaged():
    # Found by tests/documents/test_hostile.py: zipfile raises NotImplementedError on opening it.
    docx = bytearray(b.plain_docx())
    at = docx.find(b"PK\x01\x02")
    docx[at + 6] = 64  # "version needed to extract": 6.4 (an encryption zipfile cannot read)
    docx[at + 8] |= 0x1
    assert refused(bytes(docx), "report.docx").reason == "damaged"
