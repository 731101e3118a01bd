"""Line-up status (office and admin): a signed-off line-up at a glance: who replied how,
and whether the confirmed line-up keeps its rules (`ui.line_up_status`,
`data_access.line_up_status`). Read only; the role is checked again on the server.
"""

import streamlit as st

from ui import context
from ui.guard import require_page
from ui.line_up_status import render

viewer = require_page("line_up_status")
st.title("Line-up status", anchor=False)
st.caption("A signed-off line-up at a glance: the replies so far, and the balance of the confirmed line-up.")
render(context.database(), viewer, context.call_config())
