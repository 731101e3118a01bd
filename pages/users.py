"""Users (admin): add people, change roles, deactivate, reset passwords.

A person added with an email address gets no password from the admin: an
invitation is queued in the outbox with a one-time link to set their own
(`data_access.tokens`), and "Send a new invitation" queues a fresh link while
they have not set one. Without an address, a password is generated (16 random
characters that the password policy accepts, `data_access.passwords`) and
shown once, for the admin to pass on through a safe channel; so is a reset
password. Changing a password or deactivating signs the person out everywhere
at their next action.
"""

import pandas as pd
import streamlit as st

from access.roles import ROLES, Role
from config import limits
from data_access import passwords, tokens
from data_access import users as users_da
from ui import context
from ui.errors import renewed
from ui.guard import require_page
from ui.render import ROLE_LABELS, flash, format_when, show_flash

viewer = require_page("users")
settings = context.settings()
config = context.call_config()
db = context.database()


FLASH = "users.flash"
RESENT = "Queued a new invitation to {username}; the links sent to them before no longer work."
INVITED = (
    "Added {username}, and queued their invitation in the outbox: a one-time link to set their own password. "
    "It is sent with the next messages (python manage.py send-queued)."
)
st.title("Users", anchor=False)
shown = st.session_state.pop("users.password_notice", None)
if shown:
    st.success(f"Password for {shown[0]}: `{shown[1]}` (shown once; pass it on safely).", icon=":material/key:")
show_flash(FLASH)

with db.read() as session:
    people = users_da.list_users(session)
    invited = users_da.invited_user_ids(session)
st.dataframe(
    pd.DataFrame(
        [
            {
                "Username": u.username,
                "Name": u.name,
                "Role": ROLE_LABELS.get(u.role, u.role),
                "Active": u.active,
                "Email": u.email or "",
                "Organisation": u.organisation or "",
                "Most reviews": "no limit" if u.capacity is None else str(u.capacity),
                "Last sign-in": format_when(u.last_sign_in_at),
                "Password": "invited, not set yet" if u.id in invited else "set",
            }
            for u in people
        ]
    ),
    hide_index=True,
    width="stretch",
)

add_tab, edit_tab = st.tabs(["Add a user", "Change a user"])
# The form keeps its input until the person is added (a refused or failed add
# leaves it to correct); a fresh form, under new keys, follows each addition.
form_number = st.session_state.setdefault("users.add.form", 0)
key, typed = renewed(f"users.add.{form_number}", ("username", "name", "role", "email", "organisation", "capacity"))
with add_tab, st.form(f"users.add.{form_number}"):
    cols = st.columns(2)
    username = cols[0].text_input(
        "Username", value=typed.get("username", ""), max_chars=limits.USERNAME, key=key + "username"
    )
    name = cols[1].text_input("Full name", value=typed.get("name", ""), max_chars=limits.USER_NAME, key=key + "name")
    role = cols[0].selectbox(
        "Role",
        ROLES,
        index=ROLES.index(typed.get("role", Role.REVIEWER)),
        format_func=ROLE_LABELS.get,
        key=key + "role",
    )
    email = cols[1].text_input(
        "Email (optional)", value=typed.get("email", ""), max_chars=limits.USER_EMAIL, key=key + "email"
    )
    organisation = cols[0].text_input(
        "Organisation (reviewers: used to avoid same-organisation conflicts)",
        value=typed.get("organisation", ""),
        max_chars=limits.USER_ORGANISATION,
        key=key + "organisation",
    )
    capacity = cols[1].number_input(
        "Most reviews (reviewers; 0 = no limit)",
        min_value=0,
        value=typed.get("capacity", 0),
        step=1,
        key=key + "capacity",
    )
    st.caption(
        "With an email address, the person is sent an invitation with a one-time link to set their own "
        "password (nobody else knows it). Without one, a password is generated and shown to you once."
    )
    if st.form_submit_button("Add user", type="primary"):
        fields = {
            "username": username,
            "name": name,
            "role": role,
            "email": email,
            "organisation": organisation,
            "capacity": capacity or None,
            "actor": viewer.username,
        }
        password = None if email.strip() else passwords.generate_password(username=username)
        try:
            with db.write() as session:
                if password is None:
                    tokens.create_and_invite(session, settings=settings, config=config, **fields)
                else:
                    password_hash = users_da.hash_password(
                        password, username=username, rounds=settings.bcrypt_rounds, demo_mode=settings.demo_mode
                    )
                    users_da.create_user(session, password_hash=password_hash, **fields)
        except users_da.UserError as exc:
            st.error(f"{exc} Nobody was added.")
        else:
            added = users_da.normalise_username(username)
            if password is None:
                flash(FLASH, "success", INVITED.format(username=added))
            else:
                st.session_state["users.password_notice"] = (added, password)
            st.session_state["users.add.form"] = form_number + 1
            st.rerun()

with edit_tab:
    by_name = {u.username: u for u in people}
    chosen = st.selectbox("User", list(by_name), key="users.edit.username")
    if chosen:
        user = by_name[chosen]
        cols = st.columns(3)
        new_role = cols[0].selectbox(
            "Role", ROLES, index=ROLES.index(user.role), format_func=ROLE_LABELS.get, key=f"users.role.{user.id}"
        )
        new_capacity = cols[1].number_input(
            "Most reviews (0 = no limit)", min_value=0, value=user.capacity or 0, key=f"users.capacity.{user.id}"
        )
        new_org = cols[2].text_input(
            "Organisation",
            value=user.organisation or "",
            max_chars=limits.USER_ORGANISATION,
            key=f"users.org.{user.id}",
        )
        actions = st.columns(4)
        try:
            if actions[0].button("Save changes", key="users.save"):
                with db.write() as session:
                    users_da.set_role(session, user_id=user.id, role=new_role, actor=viewer.username)
                    users_da.update_details(
                        session,
                        user_id=user.id,
                        actor=viewer.username,
                        organisation=new_org,
                        capacity=new_capacity or None,
                        clear_capacity=new_capacity == 0,
                    )
                flash(FLASH, "success", f"Saved the changes to {user.username}.")
                st.rerun()
            label = "Deactivate" if user.active else "Reactivate"
            if actions[1].button(label, key="users.toggle"):
                with db.write() as session:
                    users_da.set_active(session, user_id=user.id, active=not user.active, actor=viewer.username)
                flash(
                    FLASH,
                    "success",
                    f"Deactivated {user.username}: signed out everywhere at their next action."
                    if user.active
                    else f"Reactivated {user.username}.",
                )
                st.rerun()
            if actions[2].button("Reset password", key="users.reset"):
                password = passwords.generate_password(username=user.username)
                with db.write() as session:
                    users_da.set_password(
                        session,
                        user_id=user.id,
                        actor=viewer.username,
                        password_hash=users_da.hash_password(
                            password,
                            username=user.username,
                            rounds=settings.bcrypt_rounds,
                            demo_mode=settings.demo_mode,
                        ),
                    )
                st.session_state["users.password_notice"] = (user.username, password)
                st.rerun()
            if user.id in invited and actions[3].button("Send a new invitation", key="users.invite"):
                with db.write() as session:
                    tokens.invite(session, user_id=user.id, settings=settings, config=config, actor=viewer.username)
                flash(FLASH, "success", RESENT.format(username=user.username))
                st.rerun()
        except users_da.UserError as exc:
            st.error(str(exc))
