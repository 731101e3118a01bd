"""Messages (admin): the outbox of every message the app sends, and the templates they are written from.

The Outbox tab is `ui.outbox_views`, the Templates tab `ui.template_editor`
(docs/messages.md, "The Messages page"). Everything on the page is the
admin's alone, checked here at every run and again by each data function.
"""

import streamlit as st

from ui import context
from ui.guard import require_page
from ui.outbox_views import outbox_tab
from ui.template_editor import templates_tab

viewer = require_page("messages")
db = context.database()
settings = context.settings()

st.title("Messages", anchor=False)
outbox, templates = st.tabs(["Outbox", "Templates"])
with outbox:
    outbox_tab(db, viewer, settings)
with templates:
    templates_tab(db, viewer, settings, context.call_config())
