"""What a briefing holds: plain, frozen data that `render` lays out.

Every string here is text: the template escapes it (contributor text included),
and nothing in it is read as HTML or Markdown. A contributor who chose to stay
anonymous appears only by their submission's title and `ANONYMOUS_LABEL`
(`data_access.briefing` decides, through `access.visibility.identity_exportable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANONYMOUS_LABEL = "Anonymous contributor"
# The sections a briefing may hold, in their order, with their headings. The call and its themes always open it.
SECTIONS: dict[str, str] = {
    "intake": "What came in",
    "gap_map": "The evidence and gap map",
    "strongest": "The strongest evidence",
    "line_up": "The line-up and the programme",
    "panel": "How the panel's scores were read",
    "methods": "Methods annex",
}

FIGURE_SECTIONS = frozenset({"intake", "gap_map", "panel"})  # the sections that hold figures


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    widths: tuple[int, ...] = ()  # per cent of the page's width, per column (none: the first wide, the rest equal)


@dataclass(frozen=True)
class Figure:
    """A plotly figure (`spec`: `go.Figure.to_dict()` of the figure a page shows), with words for those
    who cannot see it (`alt`), a caption in our words and the table behind it."""

    key: str
    title: str
    alt: str
    caption: str
    spec: dict[str, Any] = field(repr=False)
    table: Table | None = None


@dataclass(frozen=True)
class Entry:
    """One submission as the briefing names it: `contributor` is its organisation or ANONYMOUS_LABEL."""

    reference: str
    title: str
    contributor: str
    summary: str
    score: str
    reviews: int
    note: str = ""


@dataclass(frozen=True)
class Group:
    heading: str
    entries: tuple[Entry, ...]
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    groups: tuple[Group, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Briefing:
    title: str
    organisers: str
    conference: str
    generated: str  # when, in words (UK time)
    final: bool  # False: every page says DRAFT
    scope: tuple[str, ...]  # the choices it was made with, in words
    intro: tuple[str, ...]
    themes: tuple[tuple[str, tuple[str, ...]], ...]  # (theme, its focus areas)
    sections: tuple[Section, ...]

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]
