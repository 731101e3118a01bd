"""Damaged copies of valid documents: whatever the sniffer accepts, cleaning
and reading either work or refuse in words; nothing else escapes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.errors import DocumentRefused
from documents.metadata import clean
from documents.sniff import sniff
from documents.text import extract_text
from tests.documents import builders as b

SEEDS = {
    "pdf": b.identifying_pdf(),
    "docx": b.identifying_docx(),
    "pptx": b.plain_pptx(),
    "xlsx": b.identifying_xlsx(),
    "odt": b.identifying_odt(),
    "png": b.make_png(text_chunk=b"x"),
    "jpeg": b.make_jpeg(comment=b"x"),
}


def damaged(content: bytes, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(content)
    for at, value in flips:
        data[at % len(data)] = value
    return bytes(data)


@pytest.mark.parametrize("kind", sorted(SEEDS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_document_is_read_or_refused_never_crashes(kind, flips):
    content = damaged(SEEDS[kind], flips)
    try:
        found = sniff(content, f"evidence.{kind}")
        cleaned = clean(content, found.kind)
        extract_text(cleaned.content, found.kind)
    except DocumentRefused:
        pass
