"""The briefing's HTML file opened in Chromium with the network cut off: it asks for nothing but
itself, draws every figure (from its data: URIs), runs no contributor's script, and is screenshot
(test-artifacts/screenshots/briefing*.png) to be looked at."""

from __future__ import annotations

from config import load_call_config
from data_access.briefing import BriefingOptions
from data_access.briefing_files import make_briefing
from tests.browser.conftest import SCREENSHOTS, demo_database
from tests.support.briefing import NON_LATIN, make_hostile


def test_the_html_briefing_opens_offline_and_draws_everything(page, tmp_path):
    config = load_call_config()
    db = demo_database(tmp_path / "demo.db")
    try:
        demo = make_hostile(db, config)
        file = make_briefing(db, config=config, options=BriefingOptions(), fmt="html")
    finally:
        db.dispose()
    path = tmp_path / file.filename
    path.write_bytes(file.content)

    asked: list[str] = []

    def only_the_file(route):
        asked.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_the_file)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert asked == [path.as_uri()]  # the file itself, and nothing else
    drawn = page.evaluate("() => [...document.images].map(i => ({alt: i.alt, ok: i.complete && i.naturalWidth > 0}))")
    assert len(drawn) == 5 and all(d["ok"] and d["alt"] for d in drawn)
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate("() => document.querySelectorAll('script, iframe, object, embed').length") == 0
    assert demo.anonymous_title in page.inner_text("#strongest") and NON_LATIN in page.inner_text("body")
    assert page.locator(".watermark").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for target in (SCREENSHOTS / "briefing.png", tmp_path / "briefing.png"):
        page.screenshot(path=str(target), full_page=True)
    page.locator("#gap_map").screenshot(path=str(SCREENSHOTS / "briefing-gap-map.png"))
    assert (tmp_path / "briefing.png").stat().st_size > 50_000
