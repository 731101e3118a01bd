"""The demo call's synthetic documents: valid files of each kind, per theme,
saying they are synthetic, with no one's name in their metadata."""

from __future__ import annotations

from collections import Counter

from config.call_config import load_call_config
from documents.generate import NOTICE, demo_documents, make_pdf
from documents.metadata import clean
from documents.sniff import sniff
from documents.text import extract_text


def test_each_theme_gets_pdfs_and_a_word_document_that_open_and_say_they_are_synthetic():
    themes = load_call_config().vocabulary("themes").ids
    documents = demo_documents(themes)
    assert Counter((d.theme, d.kind) for d in documents) == Counter(
        {**{(t, "pdf"): 2 for t in themes}, **{(t, "docx"): 1 for t in themes}}
    )
    for document in documents:
        assert sniff(document.content, document.filename).kind == document.kind
        text = extract_text(document.content, document.kind).text
        assert NOTICE in " ".join(text.split())
    assert len({d.filename for d in documents}) == len(documents)


def test_the_same_seed_gives_the_same_texts():
    def texts(seed: int) -> list[str]:
        return [extract_text(d.content, d.kind).text for d in demo_documents(["support_responses"], seed=seed)]

    assert texts(1) == texts(1)
    assert texts(1) != texts(2)


def test_the_demo_documents_carry_no_author():
    for document in demo_documents(["sources_of_harm"]):
        removed = clean(document.content, document.kind).removed
        assert not [r for r in removed if "creator" in r or "Author" in r or "lastModifiedBy" in r], removed


def test_the_hand_written_pdf_escapes_its_text():
    content = make_pdf(["A (bracketed) line with a \\ backslash and ünïcode"])
    assert "A (bracketed) line with a \\ backslash and ünïcode" in extract_text(content, "pdf").text
