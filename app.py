"""The front door: configuration, sign-in, and the role-filtered navigation.

Run with `make run` (demo) or `streamlit run serve.py`, which serves this
script behind `ui.streamlit_adapter`'s gate (and this script refuses to run
behind a server started without it). Every run:
1. reads the settings and the call's configuration (stopping with a message
   naming the file, key and problem if either is broken);
2. resolves who is signed in, checking the server-side session record;
3. builds `st.navigation` from `ui.navigation.PAGES` for that person's role
   (the other pages registered but hidden, so that their guard refuses and
   logs a typed URL), and runs the page, which checks the role again itself;
   signed out, it shows the sign-in form at whatever page address was opened,
   so that the link survives sign-in (`ui.deep_links`), and after a sign-in it
   shows the page only once the browser holds the sign-in's cookie; signed out,
   a one-time link sets a password and "Forgot your password?" asks for one
   (`ui.one_time_links`), and a presenter's reply link opens their invitation
   (`ui.presenter_reply`).
"""

from __future__ import annotations

import logging

import streamlit as st

from ui import (
    auth,
    context,
    deep_links,
    memory,
    one_time_links,
    phone_menu,
    presenter_reply,
    review_form,
    streamlit_adapter,
    style,
)
from ui.errors import run_safely
from ui.navigation import DEFAULT_PAGE, pages_for, pages_refused

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
memory.keep_bounded()  # no collection after every run (.streamlit/config.toml): a periodic one instead

# An emoji icon becomes an inline data: URL; a ":material/...:" page icon would
# make every browser fetch the favicon from a font CDN, telling a third party
# who uses the app and when (tests/browser/test_security_inert.py watches).
APP_NAME = "Evidence review"
st.set_page_config(page_title=APP_NAME, page_icon="📋", layout="wide")
style.apply()  # keyboard focus on score groups; no Tab stops on heading anchors

if streamlit_adapter.unguarded_server():
    # Without serve.py's gate, a signed-in session could be resumed without its
    # cookie, uploads would be taken from anyone and origins on any local port
    # accepted: refuse to serve rather than serve that way.
    st.error("This server was started the wrong way: start it with `streamlit run serve.py` (docs/deploy.md).")
    st.stop()

settings = context.settings()
if not settings.demo_mode:
    st.set_option("client.showErrorDetails", "none")
config = context.call_config()


def navigation(role: str | None):
    """This role's pages from ui.navigation.PAGES, and every other page hidden;
    signed out, the sign-in form's page (and, hidden, the page the address
    names, so that a link survives sign-in: `ui.deep_links`).

    The other pages are registered (hidden from the menu) so that one opened
    by its URL runs its guard, which logs the refusal and says so in words,
    instead of Streamlit's "Page not found". Every run must declare the
    navigation, or Streamlit would list the files in pages/ for a signed-out
    visitor."""
    if role is None:
        return titled(st.navigation(deep_links.signed_out_pages(), position="hidden"))
    pages = [
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.key == DEFAULT_PAGE)
        for spec in pages_for(role)
    ]
    pages += [  # hidden: opened by their address, they reach their guard
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, visibility="hidden")
        for spec in pages_refused(role)
    ]
    # One list, without sections: with sections Streamlit puts each section's heading (a <div>)
    # straight inside the menu's <ul>, markup a screen reader miscounts (axe-core's list and listitem,
    # serious; docs/accessibility.md). The pages keep their order: Call, Review, Administration.
    # expanded: every page of the role listed (by default, with more than twelve, the menu would
    # show ten and fold the others away behind "View more": the admin's Users, Messages, Audit log).
    return titled(st.navigation(pages, expanded=True))


def titled(page: st.Page) -> st.Page:
    """The browser tab names the page this run shows ("My reviews · Evidence
    review"), so that someone with several tabs open can tell them apart.
    (Left unset, Streamlit would title the tab with the bare page title.)"""
    st.set_page_config(page_title=f"{page.title} · {APP_NAME}")
    return page


def keep_place() -> None:
    """The database is down: declare the navigation the person last had (the
    role last verified), without running a page, so that they stay on their
    page and find their unsaved input there when the database is back."""
    signed_in = st.session_state.get(auth.SESSION_KEY) is not None and auth.signed_in_here(settings)
    roles = st.session_state.get("roles") if signed_in else None
    navigation(roles[0] if roles else None)


def front_door() -> None:
    db = context.database()
    viewer = auth.authenticate(db, settings)
    one_time_links.take_token()  # a one-time link's token leaves the address bar at once
    presenter_reply.take_token()  # and so does a presenter's reply link's
    unknown = deep_links.unknown_address()
    if viewer is not None:
        deep_links.leave_link_page()  # the page of one-time links is for signed-out visitors only
        if auth.account_sidebar(db, settings, viewer):
            viewer = None
        elif not auth.write_pending_cookie(settings):
            # The sign-in's cookie first, then the page: a reload then finds it.
            navigation(viewer.role)
            auth.signing_in()
            st.stop()

    if viewer is None:
        if unknown:
            st.session_state[auth.NOTICE_KEY] = deep_links.NO_PAGE_SIGNED_OUT
        deep_links.keep_link_query()
        st.title(APP_NAME, anchor=False)
        st.caption(config.title)
        if settings.demo_mode:
            st.info(
                "Demo call with synthetic data. The demo sign-ins are printed in the console by `make run`.",
                icon=":material/science:",
            )
        if presenter_reply.active():
            presenter_reply.view(db)  # a presenter's reply, without an account
        else:
            one_time_links.signed_out(db, settings, config)
        # (A successful sign-in happens in the form's callback, so the next run starts signed in.)
        navigation(None).run()
        st.stop()

    if unknown:
        st.warning(deep_links.NO_PAGE_SIGNED_IN, icon=":material/link_off:")
    one_time_links.signed_in_at_link()
    presenter_reply.signed_in_at_link()
    page = navigation(viewer.role)
    phone_menu.close_menu_after_choice()
    review_form.keep_press_only_on(page.url_path)
    with auth.verified_for_this_run(viewer):  # the page's gate reads no sign-in again in this run
        run_safely(page.run)


run_safely(front_door, on_database_down=keep_place)
