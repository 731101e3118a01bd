"""The front door: configuration, sign-in, and the role-filtered navigation.

Run with `make run` (demo) or `streamlit run app.py`. Every run:
1. reads the settings and the call's configuration (stopping with a message
   naming the file, key and problem if either is broken);
2. resolves who is signed in, checking the server-side session record;
3. builds `st.navigation` from `ui.navigation.PAGES` for that person's role,
   and runs the page, which checks the role again itself.
"""

from __future__ import annotations

import logging

import streamlit as st

from ui import auth, context
from ui.errors import run_safely
from ui.navigation import DEFAULT_PAGE, pages_for

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

# An emoji icon becomes an inline data: URL; a ":material/...:" page icon would
# make every browser fetch the favicon from a font CDN, telling a third party
# who uses the app and when (tests/browser/test_security_inert.py watches).
st.set_page_config(page_title="Evidence review", page_icon="📋", layout="wide")

settings = context.settings()
if not settings.demo_mode:
    st.set_option("client.showErrorDetails", "none")
config = context.call_config()
db = context.database()

viewer = auth.authenticate(db, settings)
if viewer is not None:
    cookies = auth.cookie_authenticator(settings)
    if auth.account_sidebar(db, cookies, viewer):
        viewer = None
    else:
        auth.write_pending_cookie(cookies, settings)

if viewer is None:
    st.title("Evidence review")
    st.caption(config.title)
    if settings.demo_mode:
        st.info(
            "Demo call with synthetic data. The demo sign-ins are printed in the console by `make run`.",
            icon=":material/science:",
        )
    auth.sign_in_form(db, settings)
    # Every run must declare the navigation, or Streamlit would list the
    # files in pages/ for a signed-out visitor. (A successful sign-in happens
    # in the form's callback, so the next run starts signed in.)
    st.navigation([st.Page(lambda: None, title="Sign in", url_path="sign-in")], position="hidden").run()
    st.stop()

sections: dict[str, list[st.Page]] = {}
for spec in pages_for(viewer.role):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.key == DEFAULT_PAGE)
    )
page = st.navigation(sections)
run_safely(page.run)
