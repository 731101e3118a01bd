"""A document's page or picture as the page shows it (`documents.preview`): only the page asked
for, within a pixel bound, and a sentence (never a traceback) for what cannot be drawn."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from documents import preview
from documents.generate import make_pdf
from tests.documents import builders as tests_builders
from tests.documents.builders import make_jpeg, make_png


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png), formats=["PNG"])
    image.load()
    return image


def _inked_rows(image: Image.Image) -> int:
    """How many rows of the picture hold anything darker than paper."""
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()
    return sum(1 for y in range(height) if any(pixels[x, y] < 128 for x in range(0, width, 2)))


def _sized_pdf(width: int, height: int) -> bytes:
    """A one-page PDF whose page says it is `width` x `height` points."""
    return make_pdf(["Size test"]).replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 %d %d]" % (width, height))


def test_the_page_asked_for_is_drawn_at_reading_width_with_its_number_and_the_count():
    content = make_pdf(["First page words"] + [""] * 98 + ["\n".join(["Last page, full of lines"] * 40)])
    first = preview.pdf_page(content, 1)
    last = preview.pdf_page(content, 100)
    assert (first.number, first.count, last.number, last.count) == (1, 100, 100, 100)
    assert first.width == preview.PAGE_WIDTH and first.height == round(preview.PAGE_WIDTH * 842 / 595)
    assert _image(first.png).size == (first.width, first.height)
    # Each is its own page: the first has one line of text, the last forty.
    assert 0 < _inked_rows(_image(first.png)) < _inked_rows(_image(last.png))
    assert preview.page_count(content) == 100


@pytest.mark.parametrize("number", [0, -1, 3, 10**9])
def test_a_page_number_outside_the_document_is_a_sentence(number):
    content = make_pdf(["one", "two"])
    with pytest.raises(preview.PreviewError, match=rf"^This document has no page {number}: it has 2 pages\.$"):
        preview.pdf_page(content, number)


@pytest.mark.parametrize(("width", "height"), [(14400, 14400), (200, 14400), (14400, 3)])
def test_a_page_of_any_claimed_size_stays_within_the_pixel_bound(width, height):
    page = preview.pdf_page(_sized_pdf(width, height), 1, max_pixels=1_000_000)
    assert page.width * page.height <= 1_000_000
    assert page.width <= preview.PAGE_WIDTH
    assert _image(page.png).size == (page.width, page.height)


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\nnot really a PDF", b"", b"\x00" * 100, make_pdf(["x"])[:200]],
    ids=["junk", "empty", "zeros", "truncated"],
)
def test_a_damaged_pdf_is_a_sentence_not_a_traceback(content):
    with pytest.raises(preview.PreviewError, match="damaged"):
        preview.pdf_page(content, 1)
    with pytest.raises(preview.PreviewError, match="damaged"):
        preview.page_count(content)


def test_pages_are_drawn_one_at_a_time_from_many_threads():
    """PDFium is not thread-safe: sessions rendering at once must each get their own page, intact."""
    documents = [make_pdf([f"Document {i}"] * 3) for i in range(6)]
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                results[i] = preview.pdf_page(documents[i], 1 + i % 3).png
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(_image(results[i]).size[0] == preview.PAGE_WIDTH for i in range(6))


@pytest.mark.parametrize("make", [make_png, make_jpeg], ids=["png", "jpeg"])
def test_a_small_picture_is_sent_as_a_fresh_png_of_its_own_size(make):
    shown = preview.picture(make())
    image = _image(shown.png)
    assert image.format == "PNG" and image.size == (40, 30) == (shown.width, shown.height)
    assert not image.text  # pixels only: no text chunk travels on


def test_a_large_picture_is_scaled_within_width_and_pixels():
    out = io.BytesIO()
    Image.new("RGB", (5000, 400), (10, 120, 10)).save(out, "JPEG")
    shown = preview.picture(out.getvalue(), width=800, max_pixels=100_000)
    assert shown.width <= 800 and shown.width * shown.height <= 100_000
    assert _image(shown.png).size == (shown.width, shown.height)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\nbroken", b"GIF89a......", b""], ids=["png", "gif", "empty"])
def test_a_damaged_picture_is_a_sentence(content):
    with pytest.raises(preview.PreviewError, match="damaged"):
        preview.picture(content)


@pytest.mark.parametrize(
    "options", [{}, {"in_annotation": True}, {"escaped_name": True}], ids=["content", "annotation", "escaped name"]
)
def test_a_page_that_draws_a_form_a_million_times_is_a_sentence_not_minutes_of_pdfium(options):
    """A form drawn ten times by a form drawn ten times, six deep, is a few KB; PDFium draws it in
    about a second (and nine deep in many minutes, holding the lock every page view needs). It is
    refused before PDFium touches the page, however deep; a page that draws a form a few times is drawn."""
    from documents.prepare import prepare

    for depth in (6, 12):
        bomb = tests_builders.form_bomb_pdf(10, depth, **options)
        assert len(bomb) < 8_000
        reviewer_copy = prepare(bomb, "report.pdf").cleaned  # accepted at attach: the copy reviewers read
        for content in (bomb, reviewer_copy):
            with pytest.raises(preview.PreviewError, match=r"^Page 1 of this document cannot be shown: it draws"):
                preview.pdf_page(content, 1)
        assert preview.form_draws(bomb, 1) > preview.MAX_FORM_DRAWS
    modest = tests_builders.form_bomb_pdf(3, 3, **options)
    appearance = 1 if options.get("in_annotation") else 0  # an annotation's appearance is a form drawn once
    assert preview.form_draws(modest, 1) == appearance + 1 + 3 + 9
    page = preview.pdf_page(modest, 1)
    assert (page.number, page.count, page.width) == (1, 1, preview.PAGE_WIDTH)


def test_a_small_file_that_decodes_to_a_huge_picture_is_a_sentence_never_decoded():
    """A PNG of one colour is tiny whatever its size: 9,400 x 9,400 is 360 KB and took 750 MB and
    2 s of the server at each view. Past MAX_DECODED_PIXELS the page says so and decodes nothing;
    a camera's 12-megapixel picture is still shown."""
    from documents.prepare import prepare

    huge = tests_builders.plain_png(5_000, 5_000)
    assert len(huge) < 200_000
    reviewer_copy = prepare(huge, "photo.png").cleaned  # accepted at attach
    with pytest.raises(preview.PreviewError, match=r"^This picture cannot be shown here: it is 5,000 x 5,000 pixels"):
        preview.picture(reviewer_copy)
    shown = preview.picture(tests_builders.plain_png(4_000, 3_000))
    assert (shown.width, shown.height) == (preview.PAGE_WIDTH, 825)
    assert 4_000 * 3_000 < preview.MAX_DECODED_PIXELS < 5_000 * 5_000


def test_a_page_of_millions_of_compressed_figures_is_a_sentence_not_seconds_and_gigabytes_of_pdfium():
    """50 MB of rectangles compress into 100 KB; PDFium took 6.5 s and 1.4 GB to draw them, at
    each view. Past MAX_CONTENT_BYTES drawn, nothing is drawn; a page of ordinary size is."""
    from documents.prepare import prepare

    dense = tests_builders.dense_pdf(8 * 1024 * 1024)
    assert len(dense) < 100_000
    for content in (dense, prepare(dense, "map.pdf").cleaned):  # accepted at attach
        with pytest.raises(preview.PreviewError, match=r"^Page 1 of this document cannot be shown: it draws"):
            preview.pdf_page(content, 1)
    past = tests_builders.dense_pdf(200 * 1024 * 1024)  # past what pypdf will unpack: past the bound too
    assert preview.page_cost(past, 1).content_bytes > preview.MAX_CONTENT_BYTES
    ordinary = tests_builders.dense_pdf(200 * 1024)
    assert preview.page_cost(ordinary, 1) == preview.PageCost(draws=0, content_bytes=len(b"0 0 1 1 re f\n") * 20_000)
    assert preview.pdf_page(ordinary, 1).number == 1
