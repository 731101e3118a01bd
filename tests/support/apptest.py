"""Running the real app in Streamlit's AppTest, signed in as someone.

    at = run_app(db_url, viewer)                 # app.py, default page
    at = run_app(db_url, viewer, page="pages/users.py")

Signing in follows the documented AppTest route (session state), and the app
binds it to a server-side session on its first run, so revocation applies.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import streamlit.testing.v1.app_test as app_test_module
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from access.visibility import Viewer
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


class _ServerPagesManager(PagesManager):
    """AppTest forgets before every run that app.py calls st.navigation, and
    would run a page file directly (Streamlit's older `pages/` mode) on every
    run after the first. A real server forgets it only until the first
    st.navigation call; reproduce that. (The app also guards against the
    direct run itself: see ui.guard.through_front_door.)"""


app_test_module.PagesManager = _ServerPagesManager
PagesManager.uses_pages_directory = False

# AppTest makes a new media file manager for every run and forgets it after;
# a server keeps one. Keep one, so that a download made after a run (as the
# browser asks for it after the page is drawn) and a later sign-out meet the
# same files.
MEDIA = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
app_test_module.MediaFileManager = lambda _storage: MEDIA


class _ComponentsFoundOnce(BidiComponentManager):
    """A server looks for installed custom components (v2) once, as it starts;
    AppTest again for every new AppTest, reading the metadata of every installed
    package (about 0.1 s of CPU each time, most of a short page test). Look once
    per test process, as the server does: what is installed does not change
    during a run."""

    _found = False

    def discover_and_register_components(self, *, start_file_watching: bool = True) -> None:
        if not self._found:
            super().discover_and_register_components(start_file_watching=False)
            self._found = True


COMPONENTS = _ComponentsFoundOnce()
app_test_module.BidiComponentManager = lambda: COMPONENTS


def stored_file_ids() -> set[str]:
    """The ids of every file the media file manager holds, downloadable at /media/<id>."""
    return set(MEDIA._file_metadata)


def download(button) -> tuple[str, bytes]:
    """Click a download button as the browser does: ask the server for the file
    (Streamlit runs the button's callable, outside the script run) and fetch it.
    Returns the file's URL and content; raises if the server refused."""
    file_id = button.proto.deferred_file_id
    assert file_id and not button.proto.url, "the button carries its file: it is at a URL before the click"
    url = MEDIA.execute_deferred(file_id)
    stored = MEDIA.read_file(url.rsplit("/", 1)[-1])
    assert stored is not None
    return url, stored.content


def serves(url: str) -> bool:
    """Whether a GET of `url` would return a file now."""
    return MEDIA.read_file(url.rsplit("/", 1)[-1]) is not None


@contextmanager
def database_env(db_url: str):
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = db_url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


def sign_in_state(at: AppTest, viewer: Viewer) -> None:
    at.session_state["authentication_status"] = True
    at.session_state["username"] = viewer.username
    at.session_state["name"] = viewer.name
    at.session_state["roles"] = [viewer.role]


def run_app(db_url: str, viewer: Viewer | None = None, *, page: str | None = None) -> AppTest:
    """Run app.py (then `page`, if given) against `db_url`; returns the AppTest."""
    at = AppTest.from_file(APP, default_timeout=30)
    if viewer is not None:
        sign_in_state(at, viewer)
    with database_env(db_url):
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
    return at


def rerun(at: AppTest, db_url: str) -> AppTest:
    with database_env(db_url):
        at.run()
    return at


def confirm_cookie(at: AppTest, db_url: str) -> AppTest:
    """The browser's answer after a sign-in through the form: its cookie
    component has stored the cookie (the component's value turns true, as the
    real component reports it), and the run that answer starts."""
    from ui import auth

    at.session_state[auth.cookie_component_key(at.session_state[auth.PENDING_COOKIE_KEY])] = True
    return rerun(at, db_url)


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for assertions about leaks."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "error",
        "warning",
        "info",
        "success",
        "metric",
        "html",  # live evidence links (ui.links): their text and address
    ):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")))
            label = getattr(el, "label", None)
            if label:
                parts.append(str(label))
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)
