"""Links: evidence links in a submission, and links to a submission's detail.

Evidence links are contributor text. `evidence_link` decides whether one may
become a live link: only an `http` or `https` address with a plain host name
(or an IPv4 address), no user name or password before the host, no
whitespace, control or invisible characters and no backslash anywhere. Its
host is shown as punycode (so a look-alike such as `exаmple.org` with a
Cyrillic `а` reads `xn--exmple-4nf.org`), and the address is re-serialised
from its parts, ASCII only, so what is shown is where the link goes. Anything
else stays plain text (`st.text`).

A live link is drawn with `st.html` from an anchor whose every value passes
through `html.escape(..., quote=True)`: it opens in a new tab with
`rel="noopener noreferrer"` (neither `st.markdown` nor `st.link_button` is
used: Markdown would read contributor text, and `st.link_button` sets
`rel="noreferrer"` only). The browser fetches nothing until the link is
clicked.

`open_submission` links a list's row to the submission's detail on the
Submissions page (`?submission=REF`, same tab); that page checks the
viewer's rights again.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import streamlit as st

SCHEMES = ("http", "https")
MAX_LENGTH = 2048
SUBMISSION_PARAM = "submission"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?$")
_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$")
# Characters kept as they are in the path, query and fragment (RFC 3986's
# unreserved and sub-delimiters, ':' and '@', and '%' of an existing escape).
_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True)
class EvidenceLink:
    """A link that may be live: where it goes (`href`) and its host as shown."""

    href: str
    domain: str

    @property
    def text(self) -> str:
        return f"{self.domain} — {self.href}"


def hidden_characters(text: str) -> bool:
    """Whitespace, control, format (zero-width, bidi) or unassigned characters."""
    return any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in text)


def _ascii_host(host: str) -> str | None:
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if len(ascii_host) > 253 or not (_IPV4.match(ascii_host) or _DOMAIN.match(ascii_host)):
        return None
    return ascii_host


def evidence_link(raw: object) -> EvidenceLink | None:
    """The live link for `raw`, or None if it must stay plain text."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > MAX_LENGTH or hidden_characters(text) or "\\" in text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not text[len(parts.scheme) :].startswith("://"):
        return None
    netloc = parts.netloc
    if not netloc or "@" in netloc or netloc.startswith("["):
        return None
    host = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    ascii_host = _ascii_host(host)
    if ascii_host is None or port == 0:
        return None
    domain = ascii_host if port is None else f"{ascii_host}:{port}"
    href = urlunsplit(
        (
            parts.scheme.lower(),
            domain,
            quote(parts.path, safe=_SAFE) or "/",
            quote(parts.query, safe=_SAFE + "?"),
            quote(parts.fragment, safe=_SAFE + "?#"),
        )
    )
    return EvidenceLink(href=href, domain=domain)


def anchor(link: EvidenceLink) -> str:
    """The link as an HTML anchor: every value escaped, new tab, no opener, no referrer."""
    return (
        f'<a href="{html.escape(link.href, quote=True)}" target="_blank" rel="noopener noreferrer" '
        f'data-evidence-link="1">{html.escape(link.text, quote=True)}</a>'
    )


def evidence_links(links: list[str], *, container=None) -> None:
    """Each link live if `evidence_link` allows it, otherwise as plain text."""
    target = container or st
    for raw in links:
        link = evidence_link(raw)
        if link is None:
            target.text(raw)
        else:
            target.html(anchor(link))


def open_submission(reference: str) -> None:
    """A link to this submission's detail on the Submissions page (same tab).

    The label is our own words (a page link's label is Markdown); the
    reference travels in the URL only."""
    st.page_link(
        "pages/submissions.py",
        label="Open its detail on the Submissions page",
        icon=":material/open_in_new:",
        query_params={SUBMISSION_PARAM: reference},
    )
