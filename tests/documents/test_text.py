"""Text comes out of every accepted kind, bounded, in reading order."""

from __future__ import annotations

import pytest

from config.settings import DocumentLimits
from documents.errors import DocumentRefused
from documents.generate import make_docx, make_pdf
from documents.text import IMAGE_NOTE, extract_text
from tests.documents import builders as b


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (b.plain_pdf, "pdf"),
        (b.plain_docx, "docx"),
        (b.plain_pptx, "pptx"),
        (b.plain_xlsx, "xlsx"),
        (b.make_odt, "odt"),
        (lambda text: text.encode("utf-16"), "text"),
    ],
)
def test_the_body_text_of_every_kind_is_extracted(build, kind):
    extracted = extract_text(build("Guardianship advocates in Brackford"), kind)
    assert "Guardianship advocates in Brackford" in extracted.text
    assert not extracted.truncated


def test_pdf_pages_come_in_order():
    text = extract_text(make_pdf(["First page text", "Second page text", "Third page text"]), "pdf").text
    assert text.index("First") < text.index("Second") < text.index("Third")


def test_word_tables_are_read_in_place():
    content = make_docx(["Before the table", "After the table"], table=[["Measure", "Result"], ["Referrals", "34"]])
    text = extract_text(content, "docx").text
    assert "Measure\tResult" in text and "Referrals\t34" in text


def test_images_have_no_text_and_say_so():
    extracted = extract_text(b.make_png(), "png")
    assert (extracted.text, extracted.note) == ("", IMAGE_NOTE)


def test_the_text_is_cut_at_its_bound_and_says_so():
    content = ("word " * 5000).encode()
    extracted = extract_text(content, "text", limits=DocumentLimits(max_text_chars=1000))
    assert len(extracted.text) <= 1000 and extracted.truncated
    assert "cut at 1,000 characters" in (extracted.note or "")


def test_only_the_first_pdf_pages_are_read():
    content = make_pdf([f"Page {i}" for i in range(1, 6)])
    extracted = extract_text(content, "pdf", limits=DocumentLimits(max_pdf_pages=2))
    assert "Page 2" in extracted.text and "Page 3" not in extracted.text
    assert "first 2 of its 5 pages" in (extracted.note or "")


def test_only_the_first_cells_of_a_workbook_are_read():
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for i in range(100):
        book.active.append([f"row{i}", i])
    out = io.BytesIO()
    book.save(out)
    extracted = extract_text(out.getvalue(), "xlsx", limits=DocumentLimits(max_sheet_cells=20))
    assert "row9\t9" in extracted.text and "row10" not in extracted.text
    assert "first 20 cells" in (extracted.note or "")


def test_opendocument_annotations_are_not_part_of_the_text():
    text = extract_text(b.identifying_odt(), "odt").text
    assert "Check this" not in text and b.BODY in text


def test_a_damaged_document_is_refused():
    with pytest.raises(DocumentRefused) as caught:
        extract_text(b"PK\x03\x04 not really", "docx")
    assert caught.value.reason == "damaged"


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown document kind"):
        extract_text(b"x", "exe")


@pytest.mark.parametrize(("build", "kind"), [(b.plain_pdf, "pdf"), (b.plain_docx, "docx"), (b.plain_xlsx, "xlsx")])
def test_a_file_object_is_read_in_place_like_bytes(build, kind):
    import io

    content = build()
    stream = io.BytesIO(content)
    stream.seek(5)
    assert extract_text(stream, kind) == extract_text(content, kind)
