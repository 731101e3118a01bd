"""A page that does nothing but the sign-in check: the baseline of bench/pages_bench.py.

Registered by the bench for its own process only; the app never lists it.
"""

import streamlit as st

from ui.guard import require_page

viewer = require_page("bench_empty")
st.title("Empty")
