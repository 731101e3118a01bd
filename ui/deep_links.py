"""Links into the app: any page's address (with `?submission=REF`) survives
sign-in, and an address that names no page says so in words. The page of
one-time links (`/set_password?token=...`, `ui.one_time_links`) and that of
presenters' reply links (`/reply?reply=...`, `ui.presenter_reply`) are there
only signed out; signed in, they open the front page.

Signed out, the navigation holds the sign-in form as its front page and, when
the address names one of our pages (`ui.navigation.PAGES`), a hidden page at
that address that draws nothing: the address stays as it is (no "Page not
found") and the sign-in form is shown. The sign-in reruns the same page, so
the person lands on exactly that page, whose own guard decides whether their
role may open it. The query is cut down to `ui.navigation.link_query` while
signed out, so only a plain submission reference is carried through sign-in,
never another key. Nothing here redirects: the only addresses ever opened are
our pages' own.
"""

from __future__ import annotations

import streamlit as st

from data_access.invitations import REPLY_PAGE
from data_access.tokens import LINK_PAGE
from ui import navigation
from ui import streamlit_adapter as adapter
from ui.navigation import PageSpec, link_query

NO_PAGE = "There is no page at this address."
NO_PAGE_SIGNED_OUT = NO_PAGE + " Sign in to see the pages you may open."
NO_PAGE_SIGNED_IN = NO_PAGE + " Here is the Overview; the menu lists the pages you may open."


def requested() -> PageSpec | None:
    """The page of ours this run's address names, or None (the front page,
    or an address that names no page)."""
    page_hash, name = adapter.requested_page()
    if page_hash:
        return next((spec for spec in navigation.PAGES if adapter.page_hash(spec.url_path) == page_hash), None)
    return navigation.PAGES_BY_URL.get(name)


def unknown_address() -> bool:
    """True if this run's address names no page of ours. The address is then
    forgotten, so that the navigation opens its front page instead of
    Streamlit's "Page not found" box, and the caller says so in words."""
    page_hash, name = adapter.requested_page()
    if page_hash or not name or name in navigation.PAGES_BY_URL or name in LINK_PAGES:
        return False
    adapter.forget_requested_page()
    return True


LINK_PAGES = {LINK_PAGE: "Set your password", REPLY_PAGE: "Your invitation to present"}  # signed out only


def at_link_page() -> bool:
    """True if this run's address is a page of links (`link_page`)."""
    return link_page() is not None


def link_page() -> str | None:
    """The page of links this run's address is (`LINK_PAGES`: one-time links to set a password,
    `ui.one_time_links`, or presenters' reply links, `ui.presenter_reply`), or None."""
    page_hash, name = adapter.requested_page()
    for page in LINK_PAGES:
        if (page_hash == adapter.page_hash(page)) if page_hash else name == page:
            return page
    return None


def leave_link_page() -> None:
    """Signed in: the page of one-time links is not one of theirs; open the front page instead."""
    if at_link_page():
        adapter.forget_requested_page()


def keep_link_query() -> None:
    """Signed out: cut the address's query down to what may survive sign-in."""
    current = {key: st.query_params.get(key) for key in st.query_params}
    kept = link_query(current)
    if kept != current:
        st.query_params.from_dict(kept)


def signed_out_pages() -> list[st.Page]:
    """The signed-out navigation: the sign-in form's page, and a hidden page
    at the address asked for when it is one of ours (drawing nothing)."""
    pages = [st.Page(lambda: None, title="Sign in", url_path="sign-in", default=True)]
    spec = requested()
    if spec is not None:
        pages.append(st.Page(lambda: None, title="Sign in", url_path=spec.url_path, visibility="hidden"))
    elif (page := link_page()) is not None:
        pages.append(st.Page(lambda: None, title=LINK_PAGES[page], url_path=page, visibility="hidden"))
    return pages
