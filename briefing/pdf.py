"""The briefing as PDF: WeasyPrint lays out the same HTML, fetching nothing but `data:` URIs.

WeasyPrint (pure Python on Pango, which Debian ships) draws the figures' SVG as
vectors and paginates the tables by the stylesheet's print rules (headers
repeat on each page, a row is never split). Its URL fetcher is limited to the
`data:` scheme: a reference to anything else, were one to slip into the HTML,
is refused rather than fetched.
"""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: the HTML format needs no Pango
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
