"""Expertise and bids (reviewers): the themes and focus areas a reviewer knows
well, and their bids on submissions (`ui.expertise`, docs/reviewing.md
"Expertise and bids"). Bids are the reviewer's alone."""

import streamlit as st

from ui import context
from ui import expertise as views
from ui.guard import require_page

viewer = require_page("my_expertise")
st.title("Expertise and bids", anchor=False)
views.page(context.database(), viewer, context.call_config())
