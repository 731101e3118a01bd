"""The demo call made hostile for the briefing's tests, and readers of the briefing's two formats.

`make_hostile(db, config)`, on a database holding the whole demo call (its line-up is
signed off and has a programme: the `demo_db` fixture), makes the best-scored submission anonymous, with an
identity found nowhere else and a title and summary carrying every trick of
`tests.support.security` plus accented and non-Latin text; and gives the
second-best (named) submission an organisation that is itself hostile markup.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from sqlalchemy import update

from data_access import lineups as lineups_da
from data_access.lineups import SCORE_COLUMN
from data_access.models import Submission
from tests.support.security import TRACKER, payload

NON_LATIN = "Łukasz Zoë Róisín · Ωμέγα · Москва · مرحبا"
HIDDEN = {
    "organisation": "Quillfeather Hidden Trust",
    "contact_name": "Perpetua Hiddenworth",
    "contact_email": "perpetua.hiddenworth@hidden.example",
}
HOSTILE_ORG = "Named Org <b>bold</b> <img src=x onerror=window.__xss=1>"


@dataclass(frozen=True)
class HostileDemo:
    anonymous_id: int
    anonymous_title: str
    named_id: int


def make_hostile(db, config) -> HostileDemo:
    """The demo call's best-scored submission made anonymous and hostile, the second's organisation hostile."""
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=config)
    best = scores[SCORE_COLUMN].sort_values(ascending=False, kind="stable").index
    anonymous_id, named_id = int(best[0]), int(best[1])
    title = f"{payload('BriefTitle')} {NON_LATIN}"
    with db.write() as s:
        s.execute(
            update(Submission)
            .where(Submission.id == anonymous_id)
            .values(anonymous=True, title=title, summary=payload("BriefSummary"), **HIDDEN)
        )
        s.execute(update(Submission).where(Submission.id == named_id).values(anonymous=False, organisation=HOSTILE_ORG))
    return HostileDemo(anonymous_id, title, named_id)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


@dataclass(frozen=True)
class ReadHtml:
    tags: list[tuple[str, dict[str, str | None]]]
    text: str
    style: str

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]

    def svgs(self) -> list[str]:
        """The figures' SVG documents, decoded from their data: URIs."""
        prefix = "data:image/svg+xml;base64,"
        sources = [a.get("src") or "" for a in self.elements("img")]
        return [base64.b64decode(s[len(prefix) :]).decode("utf-8") for s in sources if s.startswith(prefix)]


def read_html(html: str) -> ReadHtml:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return ReadHtml(reader.tags, " ".join(" ".join(reader.text).split()), "".join(reader.styles))


URL_ATTRIBUTES = ("src", "href", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]*)", re.IGNORECASE)
SVG_HREF = re.compile(r"(?:xlink:)?href\s*=\s*['\"]([^'\"]*)['\"]", re.IGNORECASE)


def external_references(read: ReadHtml) -> list[str]:
    """Every reference in the HTML (attributes, CSS, and inside the figures' SVG) that points anywhere
    but a data: URI or a fragment of the document itself."""

    def outside(ref: str) -> bool:
        ref = ref.strip()
        return not (ref.startswith("#") or ref.lower().startswith("data:"))

    found = [
        f"{tag} {name}={value}"
        for tag, attrs in read.tags
        for name, value in attrs.items()
        if name in URL_ATTRIBUTES and value is not None and outside(value)
    ]
    found += [f"css url({u})" for u in CSS_URL.findall(read.style) if outside(u)]
    found += ["css @import" for _ in re.finditer(r"@import", read.style, re.IGNORECASE)]
    for svg in read.svgs():
        found += [f"svg href={h}" for h in SVG_HREF.findall(svg) if outside(h)]
        found += [f"svg url({u})" for u in CSS_URL.findall(svg) if outside(u)]
        found += ["svg @import" for _ in re.finditer(r"@import", svg, re.IGNORECASE)]
        found += [f"svg mentions {TRACKER}" for _ in re.finditer(re.escape(TRACKER), svg)]
    return found
