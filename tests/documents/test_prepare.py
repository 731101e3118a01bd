"""prepare: one attached file from its bytes to what the data layer stores."""

from __future__ import annotations

import hashlib
import io

import pytest

from config.settings import DocumentLimits
from documents.errors import DocumentRefused
from documents.prepare import prepare
from tests.documents import builders as b


def test_a_document_is_sniffed_cleaned_and_read_in_one_call():
    original = b.identifying_docx()
    prepared = prepare(io.BytesIO(original), "Acme report.docx")
    assert prepared.sniffed.kind == "docx"
    assert prepared.sniffed.sha256 == hashlib.sha256(original).hexdigest()  # of the original, for deduplication
    assert [s for s in b.IDENTIFYING if s.lower() in b.every_text(prepared.cleaned)] == []
    assert "Document property: creator" in prepared.removed
    assert b.BODY in prepared.text.text


def test_a_refused_file_gives_nothing_to_store():
    with pytest.raises(DocumentRefused) as caught:
        prepare(b"MZ\x90\x00" + b"\x00" * 100, "report.pdf")
    assert caught.value.reason == "executable"


def test_the_submissions_total_is_checked_before_anything_is_cleaned():
    content = b.plain_pdf()
    limits = DocumentLimits(max_per_submission_bytes=len(content) + 10)
    assert prepare(content, "a.pdf", existing_bytes=10, limits=limits).sniffed.size == len(content)
    with pytest.raises(DocumentRefused) as caught:
        prepare(content, "a.pdf", existing_bytes=11, limits=limits)
    assert caught.value.reason == "too_large_total"
