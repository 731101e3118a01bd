"""The Users page (admin): the list of people, adding one, changing one.

Nobody is given a password chosen by someone else (`data_access.account_links`):
a person added with an email address is sent an invitation with a one-time
link to set their own; without one, the admin is shown the link once, to hand
over in person or by phone, with when it expires. "Reset password" queues a
reset message with a link, or shows a link the same way; "Send a new
invitation" / "Make a new link" replaces a person's unused invitation link.
A link shown is kept in this session's state only until the next run draws
it, then dropped: reloading the page does not show it again (make a new one).

Every action re-checks in its own unit of work that the viewer is still an
active admin. Words built from what was typed (a refusal quoting an address,
a username) are shown as plain text (`st.text`), never as Markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.roles import ROLES, Role
from access.visibility import Viewer
from config import CallConfig, Settings, limits
from data_access import account_links, tokens
from data_access import users as users_da
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.users import require_role
from ui.errors import renewed
from ui.render import ROLE_LABELS, format_when

NOTICE = "users.notice"  # (our words, a line of plain text) for the next run
LINK = "users.link"  # a link to hand over, until the next run shows it once
ADD_FORM = "users.add.form"  # the add form's number: a fresh form after each addition
ADD_FIELDS = ("username", "name", "role", "email", "organisation", "capacity")
INVITED = (
    "Added, and queued their invitation in the outbox: a one-time link to set their own password. "
    "It is sent with the next messages (python manage.py send-queued)."
)
RESENT = "Queued a new invitation in the outbox; the links sent before no longer work."
RESET_QUEUED = (
    "Queued a password reset in the outbox: a one-time link to choose a new password. "
    "Their current password works until they use it; then their sign-ins end."
)
LINK_HEADING = "A one-time link to set a password, shown only this once. Give it to the person yourself."
LINK_HOW = (
    "It works once, until {when}. Give it in person or by phone, never by a channel others read. "
    "Nobody else knows the password they choose with it; a new link for them ends this one."
)
NO_PUBLIC_ADDRESS = (
    "No public address is set (EVIDENCE_PUBLIC_URL, docs/settings.md), so no one-time link can be made: "
    "nobody can be added, invited or have their password reset here until it is set."
)
PASSWORD_COLUMN = {True: "invited, not set yet", False: "set"}
ADD_CAPTION = (
    "Nobody chooses a password for someone else. With an email address, the person is sent an invitation "
    "with a one-time link to set their own. Without one, the link is shown to you once, to give them in "
    "person or by phone."
)
RESET_CAPTION = (
    "Reset password: a one-time link to choose a new one, sent to the person's email address, or shown to you "
    "once if they have none. Their password works until the link is used; then every sign-in of theirs ends."
)


def users_page(db: Database, settings: Settings, config: CallConfig, viewer: Viewer) -> None:
    st.title("Users", anchor=False)
    if not settings.public_url:
        st.warning(NO_PUBLIC_ADDRESS, icon=":material/link_off:")
    _show_link()
    _show_notice()
    with db.read() as session:
        people = users_da.list_users(session)
        invited = users_da.invited_user_ids(session)
    _table(people, invited)
    add_tab, edit_tab = st.tabs(["Add a user", "Change a user"])
    with add_tab:
        _add_form(db, settings, config, viewer)
    with edit_tab:
        _change(db, settings, config, viewer, people, invited)


def _table(people: list[users_da.UserRecord], invited: set[int]) -> None:
    rows = [
        {
            "Username": u.username,
            "Name": u.name,
            "Role": ROLE_LABELS.get(u.role, u.role),
            "Active": u.active,
            "Email": u.email or "",
            "Organisation": u.organisation or "",
            "Most reviews": "no limit" if u.capacity is None else str(u.capacity),
            "Last sign-in": format_when(u.last_sign_in_at),
            "Password": PASSWORD_COLUMN[u.id in invited],
        }
        for u in people
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


# --- what an action did ---------------------------------------------------------


def _notice(words: str, line: str) -> None:
    st.session_state[NOTICE] = (words, line)


def _show_notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        words, line = notice
        st.success(words)
        st.text(line)


def _refused(heading: str, exc: Exception) -> None:
    """A refusal: our heading, then the reason as plain text (it may quote what was typed)."""
    st.error(heading, icon=":material/block:")
    st.text(str(exc))


def _done(sent: account_links.LinkSent, queued_words: str) -> None:
    """Keep for the next run what an action did: the message queued, or the link to show once."""
    if sent.link is not None:
        st.session_state[LINK] = sent.link
    else:
        _notice(queued_words, f"{sent.user.username}: to {sent.user.email}")


def _show_link() -> None:
    link: account_links.HandedLink | None = st.session_state.pop(LINK, None)
    if link is None:
        return
    st.warning(LINK_HEADING, icon=":material/key:")
    what = "an invitation" if link.purpose == tokens.INVITATION else "a password reset"
    st.text(f"For {link.username} ({what}). " + LINK_HOW.format(when=account_links.expiry_words(link.expires_at)))
    st.code(link.url, language=None, wrap_lines=True)


# --- add a user -----------------------------------------------------------------


def _add_form(db: Database, settings: Settings, config: CallConfig, viewer: Viewer) -> None:
    # The form keeps its input until the person is added (a refused or failed add
    # leaves it to correct); a fresh form, under new keys, follows each addition.
    number = st.session_state.setdefault(ADD_FORM, 0)
    key, typed = renewed(f"users.add.{number}", ADD_FIELDS)
    with st.form(f"users.add.{number}"):
        cols = st.columns(2)
        values = {
            "username": cols[0].text_input(
                "Username", value=typed.get("username", ""), max_chars=limits.USERNAME, key=key + "username"
            ),
            "name": cols[1].text_input(
                "Full name", value=typed.get("name", ""), max_chars=limits.USER_NAME, key=key + "name"
            ),
            "role": cols[0].selectbox(
                "Role",
                ROLES,
                index=ROLES.index(typed.get("role", Role.REVIEWER)),
                format_func=ROLE_LABELS.get,
                key=key + "role",
            ),
            "email": cols[1].text_input(
                "Email (optional)", value=typed.get("email", ""), max_chars=limits.USER_EMAIL, key=key + "email"
            ),
            "organisation": cols[0].text_input(
                "Organisation (reviewers: used to avoid same-organisation conflicts)",
                value=typed.get("organisation", ""),
                max_chars=limits.USER_ORGANISATION,
                key=key + "organisation",
            ),
            "capacity": cols[1].number_input(
                "Most reviews (reviewers; 0 = no limit)",
                min_value=0,
                value=typed.get("capacity", 0),
                step=1,
                key=key + "capacity",
            ),
        }
        st.caption(ADD_CAPTION)
        if not st.form_submit_button("Add user", type="primary"):
            return
    values["capacity"] = values["capacity"] or None
    try:
        with db.write() as session:
            require_role(session, viewer, Role.ADMIN, to="add users")
            sent = account_links.add_user(session, settings=settings, config=config, actor=viewer.username, **values)
    except (users_da.UserError, AccessDenied) as exc:
        _refused("Nobody was added:", exc)
        return
    _done(sent, INVITED)
    st.session_state[ADD_FORM] = number + 1
    st.rerun()


# --- change a user ----------------------------------------------------------------


def _change(
    db: Database,
    settings: Settings,
    config: CallConfig,
    viewer: Viewer,
    people: list[users_da.UserRecord],
    invited: set[int],
) -> None:
    by_name = {u.username: u for u in people}
    chosen = st.selectbox("User", list(by_name), key="users.edit.username")
    if not chosen:
        return
    user = by_name[chosen]
    cols = st.columns(3)
    new_role = cols[0].selectbox(
        "Role", ROLES, index=ROLES.index(user.role), format_func=ROLE_LABELS.get, key=f"users.role.{user.id}"
    )
    new_capacity = cols[1].number_input(
        "Most reviews (0 = no limit)", min_value=0, value=user.capacity or 0, key=f"users.capacity.{user.id}"
    )
    new_org = cols[2].text_input(
        "Organisation", value=user.organisation or "", max_chars=limits.USER_ORGANISATION, key=f"users.org.{user.id}"
    )
    new_email = cols[0].text_input(
        "Email (invitations and resets are sent to it)",
        value=user.email or "",
        max_chars=limits.USER_EMAIL,
        key=f"users.email.{user.id}",
    )
    actions = st.columns(4)
    link_label = "Send a new invitation" if user.email else "Make a new link"
    try:
        if actions[0].button("Save changes", key="users.save"):
            with db.write() as session:
                require_role(session, viewer, Role.ADMIN, to="change users")
                users_da.set_role(session, user_id=user.id, role=new_role, actor=viewer.username)
                users_da.update_details(
                    session,
                    user_id=user.id,
                    actor=viewer.username,
                    organisation=new_org,
                    email=new_email,
                    capacity=new_capacity or None,
                    clear_capacity=new_capacity == 0,
                )
            _notice("Saved the changes.", user.username)
            st.rerun()
        if actions[1].button("Deactivate" if user.active else "Reactivate", key="users.toggle"):
            with db.write() as session:
                require_role(session, viewer, Role.ADMIN, to="change users")
                users_da.set_active(session, user_id=user.id, active=not user.active, actor=viewer.username)
            words = "Deactivated: signed out everywhere at their next action." if user.active else "Reactivated."
            _notice(words, user.username)
            st.rerun()
        # A person who has not set a password gets a new invitation; anyone else, a reset.
        action, words, label, key = (
            (account_links.new_invitation, RESENT, link_label, "users.invite")
            if user.id in invited
            else (account_links.reset, RESET_QUEUED, "Reset password", "users.reset")
        )
        if actions[2].button(label, key=key):
            with db.write() as session:
                require_role(session, viewer, Role.ADMIN, to="send links to set a password")
                sent = action(session, user_id=user.id, settings=settings, config=config, actor=viewer.username)
            _done(sent, words)
            st.rerun()
    except (users_da.UserError, AccessDenied) as exc:
        _refused("Nothing was changed:", exc)
    st.caption(RESET_CAPTION)
