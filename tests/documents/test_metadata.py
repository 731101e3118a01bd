"""Identifying metadata leaves the copy reviewers see; the body survives and
the file still opens (docs/documents.md)."""

from __future__ import annotations

import io
import zipfile

import pytest

from documents.errors import DocumentRefused
from documents.metadata import clean
from documents.sniff import sniff
from documents.text import extract_text
from tests.documents import builders as b

IDENTIFYING_FILES = [
    (b.identifying_pdf, "pdf"),
    (b.identifying_docx, "docx"),
    (b.identifying_pptx, "pptx"),
    (b.identifying_xlsx, "xlsx"),
    (b.identifying_odt, "odt"),
]


@pytest.mark.parametrize(("build", "kind"), IDENTIFYING_FILES)
def test_no_identifying_string_is_left_anywhere_in_the_cleaned_file(build, kind):
    original = build()
    # The fixture does carry the identity, where a search that unpacks everything finds it.
    assert b.NAME.lower() in b.every_text(original)
    assert b.ORGANISATION.lower() in b.every_text(original)
    cleaned = clean(original, kind)
    left = [s for s in b.IDENTIFYING if s.lower() in b.every_text(cleaned.content)]
    assert left == []
    assert cleaned.removed  # the admin is told what went


@pytest.mark.parametrize(("build", "kind"), IDENTIFYING_FILES)
def test_the_cleaned_file_still_opens_and_its_body_survives(build, kind):
    cleaned = clean(build(), kind).content
    assert sniff(cleaned, f"evidence.{kind}").kind == kind
    assert b.BODY in extract_text(cleaned, kind).text


def test_the_pdf_reopens_with_no_document_information_or_xmp():
    from pypdf import PdfReader

    cleaned = clean(b.identifying_pdf(), "pdf")
    reader = PdfReader(io.BytesIO(cleaned.content))
    assert not reader.metadata or b.NAME not in str(dict(reader.metadata))
    assert "/Metadata" not in reader.trailer["/Root"]
    assert all("/Metadata" not in page for page in reader.pages)
    assert len(reader.pages) == 2
    assert "PDF document information: Author" in cleaned.removed
    assert "PDF XMP metadata (the document's)" in cleaned.removed


def test_word_properties_comments_and_tracked_changes_are_anonymous():
    import docx

    cleaned = clean(b.identifying_docx(), "docx")
    document = docx.Document(io.BytesIO(cleaned.content))
    props = document.core_properties
    assert (props.author, props.last_modified_by, props.comments, props.title) == ("", "", "", "")
    assert [c.author for c in document.comments] == ["Author"]
    with zipfile.ZipFile(io.BytesIO(cleaned.content)) as archive:
        body = archive.read("word/document.xml").decode()
        app = archive.read("docProps/app.xml").decode()
        custom = archive.read("docProps/custom.xml").decode()
    assert 'w:author="Author"' in body and " and on Saturdays" in body  # the change stays, its author goes
    assert "<Company>" not in app and "<Template>" not in app
    assert "<property" not in custom
    for what in ("Document property: creator", "Application property: Company", "Custom property"):
        assert what in cleaned.removed


def test_the_namespace_prefixes_office_relies_on_are_kept():
    original = b.identifying_docx()
    cleaned = clean(original, "docx").content
    with zipfile.ZipFile(io.BytesIO(original)) as before, zipfile.ZipFile(io.BytesIO(cleaned)) as after:
        head_before = before.read("word/document.xml")[:2000]
        head_after = after.read("word/document.xml")[:2000]
        assert before.namelist() == after.namelist()
    assert b"mc:Ignorable" in head_after
    assert head_before.split(b">", 2)[:2] == head_after.split(b">", 2)[:2]


def test_an_excel_comment_keeps_its_text_but_not_its_author():
    import openpyxl

    cleaned = clean(b.identifying_xlsx(), "xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(cleaned))
    comment = book.active["B2"].comment
    assert comment is not None and "Please check" in comment.text
    assert book.properties.creator in (None, "")


def test_an_opendocument_keeps_its_annotation_text_but_not_its_author():
    cleaned = clean(b.identifying_odt(), "odt").content
    with zipfile.ZipFile(io.BytesIO(cleaned)) as archive:
        content = archive.read("content.xml").decode()
        meta = archive.read("meta.xml").decode()
        assert archive.infolist()[0].filename == "mimetype"
        assert archive.infolist()[0].compress_type == zipfile.ZIP_STORED
    assert "Check this" in content and "<dc:creator></dc:creator>" in content
    assert "initial-creator" not in meta and "creation-date" in meta


def test_images_lose_text_and_comment_segments():
    png = b.make_png(text_chunk=b"Jane Identifiable")
    jpeg = b.make_jpeg(comment=b"Jane Identifiable")
    for content, kind in ((png, "png"), (jpeg, "jpeg")):
        assert b.NAME.encode() in content
        cleaned = clean(content, kind)
        assert b.NAME.encode() not in cleaned.content and cleaned.removed
        assert sniff(cleaned.content, f"photo.{kind}").kind == kind


def test_plain_text_is_returned_as_it_is():
    assert clean(b"Notes by Jane", "text").content == b"Notes by Jane"


def test_a_part_with_entity_declarations_is_refused_not_expanded():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<cp:coreProperties xmlns:cp="x"><dc:creator xmlns:dc="y">&lol2;</dc:creator></cp:coreProperties>'
    )
    docx = b.rezip(b.plain_docx(), {"docProps/core.xml": laughs})
    with pytest.raises(DocumentRefused) as caught:
        clean(docx, "docx")
    assert caught.value.reason == "damaged"


def test_an_external_entity_is_refused_not_fetched():
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Properties>&e;</Properties>'
    docx = b.rezip(b.plain_docx(), {"docProps/app.xml": xxe})
    with pytest.raises(DocumentRefused):
        clean(docx, "docx")


@pytest.mark.parametrize(("build", "kind"), [*IDENTIFYING_FILES, (lambda: b.make_png(text_chunk=b"JIdent"), "png")])
def test_a_file_object_is_cleaned_in_place_like_bytes(build, kind):
    content = build()
    from_bytes = clean(content, kind)
    stream = io.BytesIO(content)
    stream.read(10)  # wherever it was left, it is read from its start
    from_stream = clean(stream, kind)
    assert from_stream.removed == from_bytes.removed
    assert extract_text(from_stream.content, kind).text == extract_text(from_bytes.content, kind).text


def test_pdf_scripts_launch_actions_and_attached_files_are_removed_and_web_links_kept():
    original = b.scripted_pdf()
    active = (b"/JavaScript", b"/JS", b"/Launch", b"calc", b"/EmbeddedFile", b"MZpayload", b"/OpenAction", b"/AA")
    assert all(marker in original for marker in active)
    cleaned = clean(original, "pdf")
    # The cleaned file is written by pypdf without object streams: every key is in the plain bytes.
    assert [marker for marker in active if marker in cleaned.content] == []
    assert b"/URI" in cleaned.content and b"example" in cleaned.content  # pypdf writes "." as \\056
    assert "PDF script, program or attached file (page 1)" in cleaned.removed
    assert b.BODY in extract_text(cleaned.content, "pdf").text
