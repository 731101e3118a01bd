"""Which evidence links may be live, and the anchor they become."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from ui.links import EvidenceLink, anchor, evidence_link

LIVE = [
    ("https://example.org/report.pdf", "https://example.org/report.pdf", "example.org"),
    ("http://example.org", "http://example.org/", "example.org"),
    ("  https://example.org/a  ", "https://example.org/a", "example.org"),
    ("HTTPS://EXAMPLE.ORG/Report.PDF", "https://example.org/Report.PDF", "example.org"),
    ("https://sub.example.co.uk:8443/x?y=1&z=2#part", "https://sub.example.co.uk:8443/x?y=1&z=2#part", None),
    ("https://bücher.example/übersicht", "https://xn--bcher-kva.example/%C3%BCbersicht", "xn--bcher-kva.example"),
    # A Cyrillic "а" in a look-alike of example.org: shown as punycode, never as "example.org".
    ("https://exаmple.org/", "https://xn--exmple-4nf.org/", "xn--exmple-4nf.org"),
    ("https://xn--exmple-4nf.org/", "https://xn--exmple-4nf.org/", "xn--exmple-4nf.org"),
    ("https://example.org/a\"b'<c>", "https://example.org/a%22b'%3Cc%3E", "example.org"),
    ("http://192.168.10.20/doc", "http://192.168.10.20/doc", "192.168.10.20"),
]

PLAIN = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
    "vbscript:msgbox(1)",
    "ftp://example.org/file",
    "mailto:someone@example.org",
    "/relative/path",
    "relative/report.pdf",
    "//example.org/protocol-relative",
    "example.org/report.pdf",
    "see the report we sent",
    "",
    "   ",
    "https://good.org@evil.example/",
    "https://user:pass@example.org/",
    "https://good.org%40evil.example/",
    "https://good.org\\@evil.example/",
    "https:\\\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https:///evil.example",
    "https://",
    "https://exa mple.org/",
    "https://example.org/a b",
    "https://example.org/\u200b",
    "https://exa\u200bmple.org/",
    "https://example.org/\u202egpj.exe",
    "ht\ttps://example.org/",
    "https://example.org\x7f/",
    "https://localhost/",
    "https://example.org./",
    "https://-example.org/",
    "https://[::1]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "https://example.org:99999/",
    "https://example.org:0/",
    "https://example.org:port/",
    "https://" + "a" * 64 + ".org/",
    "https://example.org/" + "a" * 2100,
    "https://ex<ample.org/",
    'https://example.org"onmouseover="alert(1)',
    "https://example.org\ufeff/",
]


@pytest.mark.parametrize(("raw", "href", "domain"), LIVE)
def test_http_and_https_links_become_live_with_their_domain_shown(raw, href, domain):
    link = evidence_link(raw)
    assert link is not None
    assert link.href == href
    if domain is not None:
        assert link.domain == domain
        assert link.text == f"{domain} — {href}"
    assert link.href.isascii()


@pytest.mark.parametrize("raw", PLAIN)
def test_anything_else_stays_plain_text(raw):
    assert evidence_link(raw) is None


@pytest.mark.parametrize("raw", [None, 42, b"https://example.org/", ["https://example.org/"]])
def test_a_value_that_is_not_text_is_never_a_link(raw):
    assert evidence_link(raw) is None


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize("raw", [raw for raw, _href, _domain in LIVE])
def test_the_anchor_is_one_escaped_link_to_a_new_tab_without_opener_or_referrer(raw):
    link = evidence_link(raw)
    parser = _Anchors()
    parser.feed(anchor(link))
    [(tag, attrs)] = parser.tags
    assert tag == "a"
    assert attrs == {
        "href": link.href,
        "target": "_blank",
        "rel": "noopener noreferrer",
        "data-evidence-link": "1",
    }
    assert parser.text == link.text


def test_the_anchor_escapes_what_it_is_given():
    hostile = EvidenceLink(href='https://example.org/"><script>x</script>', domain="<b>example.org</b>")
    markup = anchor(hostile)
    assert "<script>" not in markup and "<b>" not in markup and '"><' not in markup
    parser = _Anchors()
    parser.feed(markup)
    assert [tag for tag, _attrs in parser.tags] == ["a"]
    assert parser.tags[0][1]["href"] == hostile.href
    assert html.unescape(markup).count("<a ") == 1
