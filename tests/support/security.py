"""Hostile contributor text, and checks that a page in Chromium kept it inert.

`payload(field)` is one string carrying every trick that would run, fetch or
restyle something if the text were rendered as Markdown or HTML: a script, an
image with an error handler, `javascript:` and `data:` links, a remote image,
an HTML link, LaTeX and a colour directive. Each trick sets `window.__xss` or
points at `tracker.invalid` (a name that never resolves), so whether anything
ran or was fetched is observable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TRACKER = "tracker.invalid"
TRICKS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "[click](javascript:window.__xss=1)",
    "[d](data:text/html,<script>window.__xss=1</script>)",
    f"![img](http://{TRACKER}/pixel.png)",
    "$\\color{red}{X}$",
    ":red[coloured]",
    f'<a href="http://{TRACKER}/">x</a>',
    f'<iframe src="http://{TRACKER}/frame"></iframe>',
    f"<style>@import url(http://{TRACKER}/style.css);</style>",
    "<svg onload=window.__xss=1></svg>",
)
PAYLOAD = " ".join(TRICKS)
# Links are stored as given: the worst schemes people could type stay text; the http one is a live
# link (ui.links) that the browser must not fetch before a click.
PAYLOAD_LINKS = [
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=1</script>",
    f"http://{TRACKER}/document.pdf",
]


def payload(marker: str, longest: int | None = None) -> str:
    """The hostile text for one field; `marker` (letters and digits only) says which field it is.

    With `longest` (a field's limit, config/limits.py), as many tricks as fit, in order."""
    text = marker
    for trick in TRICKS:
        if longest is not None and len(text) + 1 + len(trick) > longest:
            break
        text += " " + trick
    return text


# What each frame of the page holds that would betray rendered payload text.
DOM_PROBE = r"""() => {
    const attr = (el, name) => el.getAttribute(name) || el.getAttribute('xlink:href') || '';
    const all = (sel) => Array.from(document.querySelectorAll(sel));
    return {
        xss: typeof window.__xss !== 'undefined',
        scripts: all('script').filter(s => (s.textContent || '').includes('__xss')).length,
        handlers: all('[onerror], [onload]').map(el => el.outerHTML.slice(0, 120)),
        images: all('img, image, source').map(el => attr(el, 'src') || attr(el, 'href'))
            .filter(src => src === 'x' || src.includes('tracker.invalid')),
        // An evidence link that ui.links made live (http/https, new tab, no opener, no referrer) is meant
        // to be there; it may point at the tracker, whose host is then never asked (see NetworkWatch).
        links: all('a').filter(a => !(a.matches('a[data-evidence-link][target="_blank"]')
                && a.rel === 'noopener noreferrer' && /^https?:\/\//.test(attr(a, 'href'))))
            .map(a => attr(a, 'href'))
            .filter(href => /^\s*(javascript|data|vbscript):/i.test(href) || href.includes('tracker.invalid')),
        frames: all('iframe').map(f => f.getAttribute('src') || '').filter(src => src.includes('tracker.invalid')),
        styles: all('style').filter(s => (s.textContent || '').includes('tracker.invalid')).length,
        katex: all('.katex, .katex-display').filter(k => (k.textContent || '').includes('X')).length,
        coloured: all('[class*="colored"], span[style*="color"]')
            .filter(el => (el.textContent || '').trim() === 'coloured').length,
    };
}"""
CLEAN = {
    "xss": False,
    "scripts": 0,
    "handlers": [],
    "images": [],
    "links": [],
    "frames": [],
    "styles": 0,
    "katex": 0,
    "coloured": 0,
}
# Same-origin requests a Streamlit page makes by itself: the page (or a page
# path), its health and host-config checks, bundled assets and components.
OWN_PATHS = re.compile(
    r"^/(?:[a-z_]+)?$"
    r"|^/(?:[a-z_]+/)?_stcore/(?:health|host-config|stream|upload_file/.*|metrics)$"
    r"|^/static/[\w./-]+$"
    r"|^/component/[\w./-]+$"
    r"|^/favicon\.png$"
    r"|^/media/[\w./-]+$"
)


@dataclass
class NetworkWatch:
    """Every request a browser context makes; any to another origin is aborted
    (so nothing leaves the machine even if a page were vulnerable) and kept."""

    origin: str
    foreign: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    seen: int = 0

    def attach(self, context) -> None:
        context.route("**/*", self._route)
        context.on("websocket", self._websocket)

    def _route(self, route) -> None:
        url = route.request.url
        self.seen += 1
        if url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        elif not url.startswith(self.origin + "/") and url != self.origin:
            self.foreign.append(url)
            route.abort()
        else:
            path = url[len(self.origin) :].split("?", 1)[0].split("#", 1)[0] or "/"
            if not OWN_PATHS.match(path):
                self.unexpected.append(url)
            route.continue_()

    def _websocket(self, ws) -> None:
        ws_origin = self.origin.replace("http://", "ws://", 1)
        if not ws.url.startswith(ws_origin + "/"):
            self.foreign.append(ws.url)


def probe(page) -> list[tuple[str, dict]]:
    """DOM_PROBE in the page and in every frame inside it: (frame url, findings) where anything was found."""
    from playwright.sync_api import Error as PlaywrightError

    found = []
    for frame in page.frames:
        try:
            result = frame.evaluate(DOM_PROBE)
        except PlaywrightError as exc:  # a frame that went away while probing
            if "detached" in str(exc) or "destroyed" in str(exc):
                continue
            raise
        if result != CLEAN:
            found.append((frame.url, result))
    return found
