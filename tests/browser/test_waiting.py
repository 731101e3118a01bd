"""`tests.support.browser.wait_idle` waits for the run a click asked for to end, however long it takes
and however little it redraws: on a page whose button's run draws the button again at once and then
works a while before it writes its outcome, the outcome is there as soon as wait_idle returns.
(It once waited a fixed 150 ms and then for Streamlit's status widget, which appears only after half a
second of running: a run with nothing stale on the page was taken for finished.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import wait_idle
from tests.support.live import LiveServer

SCRIPT = """
import time
import streamlit as st

st.session_state.setdefault("runs", 0)
if st.button("Work"):
    time.sleep(1.5)  # the app's work (this script is the server under test), not a wait in the test
    st.session_state["runs"] += 1
    st.write(f"worked {st.session_state['runs']}")
"""


@pytest.fixture(scope="module")
def slow_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("waiting")
    script = folder / "slow.py"
    script.write_text(SCRIPT)
    server = LiveServer.start("sqlite://", folder, script=Path(script))
    yield server
    server.stop()


def test_wait_idle_returns_only_once_the_run_a_click_asked_for_has_ended(page, slow_page):
    page.goto(slow_page.url)
    page.get_by_role("button", name="Work").wait_for()
    wait_idle(page)
    for n in (1, 2):
        page.get_by_role("button", name="Work").click()
        wait_idle(page)
        assert page.get_by_text(f"worked {n}", exact=True).count() == 1, page.inner_text("body")
