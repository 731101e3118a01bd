"""Real-browser tests: Playwright driving Debian's Chromium against a real
Streamlit server on a free port, on a SQLite database seeded with the demo
call. Screenshots go to test-artifacts/screenshots/ (ignored by git)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from data_access.db import Database
from data_access.demo import N_SUBMISSIONS
from tests.conftest import ROOT, unavailable
from tests.support.accounts import give_test_passwords
from tests.support.browser import CHROMIUM_ARGS, Watched, wait_idle
from tests.support.demo_copies import sqlite_copy, sqlite_template
from tests.support.live import LiveServer
from tests.support.postgres import free_port

CHROMIUM = "/usr/bin/chromium"
# `expect(...)` waits as long as a page's own waits (`set_default_timeout(30_000)`), not Playwright's 5 s:
# on CI's two busy cores a page's charts drew after 5 s (tests/browser/test_rankings.py, a whole run at 4
# workers). A check that holds returns at once; only a failing one waits the whole time.
expect.set_options(timeout=30_000)
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        unavailable("Debian's Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield Watched(browser)  # every context it makes carries the wire watch wait_idle reads
        browser.close()


_template: Path | None = None  # this process's seeded demo call, copied for each database a test asks for


def _demo_template() -> Path:
    """The demo call with the tests' passwords, made once per test process (from the demo call
    tests.support.demo_copies seeds once per process)."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="evidence-demo-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        db = sqlite_copy(sqlite_template(N_SUBMISSIONS), folder / "demo.db")
        give_test_passwords(db)
        db.dispose()
        _template = folder / "demo.db"
    return _template


def demo_database(path: Path) -> Database:
    """A new SQLite database at `path` with the demo call and the tests' passwords (dispose of it after):
    a consistent copy (SQLite's backup) of the demo call seeded once per test process."""
    return sqlite_copy(_demo_template(), path)


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("browser-db") / "demo.db"
    demo_database(path).dispose()
    return f"sqlite:///{path}"


@contextlib.contextmanager
def own_demo_server(
    folder: Path,
    *,
    prepare: Callable[[Database, str], None] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[LiveServer, Database]]:
    """A server of its own on a fresh demo call in `folder`, for a module
    whose changes must reach no other test's data. With `prepare`, the server's
    address is known beforehand (its EVIDENCE_PUBLIC_URL, from which message
    links are made) and `prepare(db, address)` readies the call before it starts."""
    db = demo_database(folder / "demo.db")
    try:
        port, env = None, dict(extra_env or {})
        if prepare is not None:
            port = free_port()
            env = {"EVIDENCE_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
            prepare(db, env["EVIDENCE_PUBLIC_URL"])
        server = LiveServer.start(f"sqlite:///{folder / 'demo.db'}", folder, extra_env=env, port=port)
        try:
            yield server, db
        finally:
            server.stop()
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def live_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer.start(demo_db_url, tmp_path_factory.mktemp("logs"))
    yield server
    server.stop()


@pytest.fixture
def page(chromium) -> Iterator:
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    """A full-page picture once the run has finished and, as far as it goes
    within a few seconds, every visible table has drawn its grid (a canvas):
    a picture of loading placeholders shows nothing. The picture is for people;
    the tests assert on the page itself."""
    wait_idle(page)
    with contextlib.suppress(PlaywrightTimeout):  # an empty or hidden table may draw no canvas
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
                      .filter(frame => frame.getClientRects().length > 0)
                      .every(frame => frame.querySelector('canvas'))""",
            timeout=3_000,
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
