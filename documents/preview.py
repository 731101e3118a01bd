"""What a page shows of a document: one PDF page as a picture, a picture within bounds.

A PDF is read in the app one page at a time: `pdf_page` renders only the
page asked for (a 100-page report shows its first page as fast as a
one-page note), with PDFium (pypdfium2), at `PAGE_WIDTH` pixels across
(reads well on a laptop) and never more than `MAX_PIXELS` pixels in all,
whatever size the page says it is. `picture` does the same for a PNG or a
JPEG: decoded within the same pixel bound and sent as a fresh PNG, so what
reaches the browser is pixels only.

Bounded and plain: the page number is checked against the document's pages
before anything is drawn, a page that cannot be drawn is `PreviewError` with
a sentence for people (never a traceback), and nothing of the document runs:
PDFium draws the page's content, annotations' appearance and form fields;
it runs no script (pypdfium2 loads no JavaScript engine).

PDFium is not thread-safe, not even across documents, and Streamlit runs
each session's script in its own thread: every call into it here holds one
lock, and every document and page is closed inside it (never left to the
garbage collector, which may run in any thread).
"""

from __future__ import annotations

import io
import math
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any

PAGE_WIDTH = 1100  # pixels across: a laptop's reading column, sharp enough to read small print
MAX_PIXELS = 4_000_000  # per picture sent: about 16 MB of pixels decoded, a few hundred KB of PNG
# A picture is decoded whole before it is scaled down (a JPEG at up to 1/8 of its size): at most this many
# pixels (about 100 MB as RGBA). A 9,400 x 9,400 PNG of one colour is 360 KB, and decoding it took 750 MB.
MAX_DECODED_PIXELS = 24_000_000

DAMAGED_PAGE = "Page {number} of this document cannot be shown: it is damaged. Download the document to read it."
DAMAGED_PDF = "This PDF cannot be shown: it is damaged. Download it to read it, or read its text below."
DAMAGED_PICTURE = "This picture cannot be shown: it is damaged. Download it to look at it."
PICTURE_TOO_LARGE = (
    "This picture cannot be shown here: it is {width:,} x {height:,} pixels, more than the page can decode. "
    "Download it to look at it."
)
NO_SUCH_PAGE = "This document has no page {number}: it has {count} page{s}."
TOO_COMPLEX = (
    "Page {number} of this document cannot be shown: it draws more figures, or the same ones more often, than "
    "any page needs (it may have been made to stall the app). Download the document to read it."
)
MAX_FORM_DRAWS = 100_000  # form XObjects drawn on one page, counted through their nesting (0.1 s of PDFium)
MAX_FORM_DEPTH = 64
MAX_CONTENT_BYTES = 4 * 1024 * 1024  # content drawn on one page: a dense chart is a few hundred KB (0.5 s of PDFium)
_DO = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s*Do(?![^\s/\[\]<>(){}%])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

_PDFIUM = threading.Lock()


class PreviewError(ValueError):
    """A page or picture that cannot be shown; `str(exc)` says so for people."""


@dataclass(frozen=True)
class Picture:
    png: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PdfPage(Picture):
    number: int  # 1-based
    count: int  # pages in the document


def _bounded_size(width: float, height: float, *, target_width: int, max_pixels: int) -> float:
    """The scale that draws a `width` x `height` page `target_width` pixels across within `max_pixels`."""
    if not (width > 0 and height > 0):
        raise ValueError("a page without a size")
    scale = min(target_width / width, (max_pixels / (width * height)) ** 0.5)
    while math.ceil(width * scale) * math.ceil(height * scale) > max_pixels:  # the renderer rounds up
        scale *= 0.99
    return scale


def page_count(content: bytes) -> int:
    """How many pages the PDF has (`PreviewError` if PDFium cannot open it)."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError as exc:
            raise PreviewError(DAMAGED_PDF) from exc
        try:
            return len(document)
        finally:
            document.close()


@dataclass(frozen=True)
class PageCost:
    """What drawing a page asks of PDFium, counted by pypdf before PDFium touches it;
    a figure past its bound is the bound + 1."""

    draws: int  # form XObjects drawn, each nested one as often as it is drawn
    content_bytes: int  # content stream bytes drawn (a form's as often as it is drawn)


def page_cost(
    content: bytes, number: int, *, max_draws: int = MAX_FORM_DRAWS, max_bytes: int = MAX_CONTENT_BYTES
) -> PageCost:
    """The cost of page `number`: its content and its annotations' appearances, with the
    forms they draw, through their nesting (a form drawing itself, or nesting past
    MAX_FORM_DEPTH, is past both bounds). A form drawn ten times by a form drawn ten
    times, nine deep, is a 2 KB file that PDFium takes many minutes to draw; 50 MB of
    rectangles compressed into 100 KB took 6.5 s and 1.4 GB, at each view, holding the
    one lock every page view needs. A stream pypdf will not unpack (past its own limit)
    is past the bounds; PreviewError if pypdf cannot read the page (the copy reviewers
    see was written by pypdf)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    counter = _Counter(max_draws, max_bytes)
    try:
        page = PdfReader(io.BytesIO(content)).pages[number - 1]
        streams = [(page.get_contents(), page.get("/Resources"), 0)]
        for annotation in page.get("/Annots") or ():
            appearance = (annotation.get_object().get("/AP") or {}).get("/N")
            appearance = appearance.get_object() if appearance is not None else None
            drawn = [appearance] if hasattr(appearance, "get_data") else list((appearance or {}).values())
            streams += [(stream, stream.get_object().get("/Resources"), 1) for stream in drawn if stream is not None]
        total = (0, 0)
        for stream, resources, draws in streams:
            data = _stream_data(stream)
            inner = counter.count(data, resources, ())
            total = counter.add(total, (draws + inner[0], len(data) + inner[1]))
    except LimitReachedError:
        total = counter.over
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise PreviewError(DAMAGED_PAGE.format(number=number)) from exc
    return PageCost(*total)


def form_draws(content: bytes, number: int, *, cap: int = MAX_FORM_DRAWS) -> int:
    """How many form XObjects page `number` draws (`page_cost`), at most `cap + 1`."""
    return page_cost(content, number, max_draws=cap).draws


def _stream_data(stream) -> bytes:
    if stream is None:
        return b""
    return stream.get_object().get_data() or b""


class _Counter:
    """(forms drawn, content bytes drawn) by a content stream, through its forms' nesting, memoised per form."""

    def __init__(self, max_draws: int, max_bytes: int) -> None:
        self.over = (max_draws + 1, max_bytes + 1)
        self.memo: dict[object, tuple[int, int]] = {}

    def add(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return min(a[0] + b[0], self.over[0]), min(a[1] + b[1], self.over[1])

    def past(self, cost: tuple[int, int]) -> bool:
        return cost[0] >= self.over[0] or cost[1] >= self.over[1]

    def count(self, data: bytes, resources, stack: tuple) -> tuple[int, int]:
        if len(stack) > MAX_FORM_DEPTH:
            return self.over
        names = _DO.findall(data)
        if not names:
            return (0, 0)
        found = (resources.get_object() if resources is not None else {}).get("/XObject")
        xobjects: Any = found.get_object() if found is not None else {}
        total = (0, 0)
        for raw in names:
            name = "/" + _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
            ref = xobjects.raw_get(name) if name in xobjects else None
            form = ref.get_object() if ref is not None else None
            if form is None or form.get("/Subtype") != "/Form":
                continue
            key = getattr(ref, "idnum", None) or id(form)
            if key in stack:
                return self.over  # a form that draws itself
            if key not in self.memo:
                inner = form.get("/Resources")
                body = form.get_data() or b""
                nested = self.count(body, inner if inner is not None else resources, (*stack, key))
                self.memo[key] = self.add((1, len(body)), nested)
            total = self.add(total, self.memo[key])
            if self.past(total):
                return self.over
        return total


def pdf_page(content: bytes, number: int, *, width: int = PAGE_WIDTH, max_pixels: int = MAX_PIXELS) -> PdfPage:
    """Page `number` (1-based) of the PDF `content`, as a PNG `width` pixels across, at most `max_pixels`;
    a page that draws more than MAX_FORM_DRAWS forms is a sentence, never drawn."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError as exc:
            raise PreviewError(DAMAGED_PDF) from exc
        try:
            count = len(document)
            if not 1 <= number <= count:
                raise PreviewError(NO_SUCH_PAGE.format(number=number, count=count, s="" if count == 1 else "s"))
            cost = page_cost(content, number)
            if cost.draws > MAX_FORM_DRAWS or cost.content_bytes > MAX_CONTENT_BYTES:
                raise PreviewError(TOO_COMPLEX.format(number=number))
            try:
                page = document[number - 1]
                try:
                    page_width, page_height = page.get_size()
                    scale = _bounded_size(page_width, page_height, target_width=width, max_pixels=max_pixels)
                    bitmap = page.render(scale=scale)
                    try:
                        image = bitmap.to_pil()
                        out = io.BytesIO()
                        image.save(out, format="PNG", optimize=False, compress_level=3)
                        size = image.size
                    finally:
                        bitmap.close()
                finally:
                    page.close()
            except (pdfium.PdfiumError, ValueError, OSError, MemoryError) as exc:
                raise PreviewError(DAMAGED_PAGE.format(number=number)) from exc
        finally:
            document.close()
    return PdfPage(png=out.getvalue(), width=size[0], height=size[1], number=number, count=count)


def picture(
    content: bytes,
    *,
    width: int = PAGE_WIDTH,
    max_pixels: int = MAX_PIXELS,
    max_decoded_pixels: int = MAX_DECODED_PIXELS,
) -> Picture:
    """A PNG or JPEG drawn at most `width` pixels across and `max_pixels` in all, as a fresh PNG;
    one that would decode to more than `max_decoded_pixels` is a sentence, never decoded."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=["PNG", "JPEG"]) as image:
                w, h = image.size
                scale = min(1.0, _bounded_size(w, h, target_width=width, max_pixels=max_pixels))
                size = (max(1, int(w * scale)), max(1, int(h * scale)))
                if image.format == "JPEG":
                    image.draft("RGB", size)  # decode at a fraction of the size where it can
                decoded_w, decoded_h = image.size  # what decoding will hold (a JPEG's draft size)
                if decoded_w * decoded_h > max_decoded_pixels:
                    raise PreviewError(PICTURE_TOO_LARGE.format(width=w, height=h))
                shown = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                if shown.size != size:
                    shown = shown.resize(size, Image.Resampling.LANCZOS)
                out = io.BytesIO()
                shown.save(out, format="PNG", compress_level=3)
    except PreviewError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreviewError(DAMAGED_PICTURE) from exc
    return Picture(png=out.getvalue(), width=size[0], height=size[1])
