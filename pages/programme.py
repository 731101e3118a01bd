"""Programme (office and admin): sign off a saved line-up, invite its presenters
through the outbox and follow their replies (`ui.programme`, `data_access.invitations`).

The office reads and signs off; the admin also queues invitations and records
replies received another way. Every action is checked again on the server.
"""

import streamlit as st

from ui import context
from ui.guard import require_page
from ui.programme import render

viewer = require_page("programme")
st.title("Programme", anchor=False)
st.caption(
    "From a saved line-up to the programme: sign off the line-up, invite its presenters, and follow their replies."
)
render(context.database(), viewer, context.settings(), context.call_config())
