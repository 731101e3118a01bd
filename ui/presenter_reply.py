"""A presenter's reply to their invitation, through their personal link
(`/reply?reply=TOKEN`, `data_access.invitations`), without an account.

As with the one-time links to set a password (`ui.one_time_links`), the token
is taken from the address on the first run that sees it, kept in this
session's state only, and removed from the address bar at once; it is never
shown or logged. The page shows only the presenter's own invitation (its
reference, title, the format offered and the date to reply by): never another
presenter, a score, or anything of the review. The title is the contributor's
text, shown with st.text. Every wrong, expired or used link gets the same
sentence (`invitations.INVALID_REPLY_LINK`). Only the formats with a place
left are offered; an acceptance refused because the last place went meanwhile
changes nothing, says so, and the link stays usable. Signed in, a reply link is
dropped unused, saying so: the page is for presenters, who have no account.
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import invitations
from data_access.db import Database, is_database_unavailable

log = logging.getLogger("evidence_review")

LINK_KEY = "reply.link"  # the link's token, taken from the address
DONE_KEY = "reply.done"  # what was recorded, to thank them for
ERROR_KEY = "reply.error"
TITLE = "Your invitation to present"
CHOICE_LABELS = {
    "in_person": "I accept, and will present in person",
    "virtual": "I accept, and will present virtually (online)",
    "declined": "I cannot present, and decline",
}
DONE = "Thank you: your reply is recorded ({choice}). If anything changes, answer the invitation's email."
SIGNED_IN = "You are signed in, so the reply link was not used. The reply page is for presenters, without an account."
PLACES_TAKEN = "All the places to present {format} are taken by presenters who have accepted."
UNAVAILABLE = "Your reply cannot be recorded at the moment: try again in a while, or answer the invitation's email."


def take_token() -> None:
    """Move a reply link's token from the address into this session's state, and out of the address bar."""
    token = st.query_params.get(invitations.REPLY_PARAM)
    if token is None:
        return
    del st.query_params[invitations.REPLY_PARAM]
    for key in (DONE_KEY, ERROR_KEY):
        st.session_state.pop(key, None)
    st.session_state[LINK_KEY] = token


def active() -> bool:
    """Whether this session opened a reply link (the reply page is shown instead of the sign-in form)."""
    return LINK_KEY in st.session_state or DONE_KEY in st.session_state


def signed_in_at_link() -> None:
    """Signed in: a reply link's token is dropped unused, saying so."""
    st.session_state.pop(DONE_KEY, None)
    if st.session_state.pop(LINK_KEY, None) is not None:
        st.info(SIGNED_IN, icon=":material/link_off:")


def view(db: Database) -> None:
    """The presenter's own invitation and the reply form; or the one sentence for a link that does not work."""
    st.header(TITLE, anchor=False)
    done = st.session_state.get(DONE_KEY)
    if done:
        st.success(DONE.format(choice=invitations.CHOICE_WORDS[done].lower()), icon=":material/check_circle:")
        return
    with db.read() as session:
        shown = invitations.check_link(session, token=st.session_state.get(LINK_KEY) or "")
    if shown is None:
        st.error(invitations.INVALID_REPLY_LINK)
        return
    st.text(f"{shown.reference}: {shown.title}")  # the contributor's text: as text
    st.text(
        f"You are invited to present {invitations.FORMAT_WORDS[shown.format_offered]}. "
        f"Please reply by {invitations.reply_by_words(shown.reply_by)}."
    )
    # Only the formats with a place left are offered (the line-up's caps; `invitations.open_formats`).
    choices = [c for c in CHOICE_LABELS if c == "declined" or c in shown.open_formats]
    for full in (f for f in invitations.PRESENTATION_FORMATS if f not in shown.open_formats):
        st.info(PLACES_TAKEN.format(format=invitations.FORMAT_WORDS[full]), icon=":material/event_busy:")
    if st.session_state.get("reply.choice") not in choices:
        st.session_state.pop("reply.choice", None)
    with st.form("reply.form"):
        st.radio("Your reply", choices, format_func=CHOICE_LABELS.get, index=None, key="reply.choice")
        st.text_area(
            "Access needs (optional): anything that would help you take part",
            max_chars=invitations.ACCESS_NEEDS_MAX,
            key="reply.access_needs",
        )
        st.text_area("A note for the organisers (optional)", max_chars=invitations.NOTE_MAX, key="reply.note")
        st.caption("This link records one reply. To change it afterwards, answer the invitation's email.")
        st.form_submit_button("Send my reply", type="primary", on_click=_on_reply, args=(db,))
    error = st.session_state.pop(ERROR_KEY, None)
    if error:
        st.error(error)


def _on_reply(db: Database) -> None:
    choice = st.session_state.get("reply.choice")
    try:
        with db.write() as session:
            invitations.reply_by_link(
                session,
                token=st.session_state.get(LINK_KEY) or "",
                choice=choice or "",
                access_needs=st.session_state.get("reply.access_needs", ""),
                note=st.session_state.get("reply.note", ""),
            )
    except (invitations.ReplyLinkInvalid, invitations.InvitationError) as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    except DBAPIError as exc:
        if not is_database_unavailable(exc):
            raise
        log.error("database error on the reply page", exc_info=exc)
        st.session_state[ERROR_KEY] = UNAVAILABLE
        return
    st.session_state.pop(LINK_KEY, None)
    st.session_state[DONE_KEY] = choice
