"""The Commissioner's briefing: one document, HTML or PDF, from plain content (docs/briefing.md).

Pure (no Streamlit, no SQLAlchemy): `content` declares what a briefing holds,
`figures` turns the pages' own plotly figures into SVG (kaleido driving the
system's Chromium, offline), `render` writes the self-contained HTML (Jinja2,
autoescape on) and `pdf` the PDF (WeasyPrint, fetching nothing but `data:`).
`data_access.briefing` gathers the content from the database.
"""
