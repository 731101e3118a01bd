"""A page that does nothing but the sign-in check: the baseline of bench/pages_bench.py
and bench/submit_next_bench.py (whose browser clicks its one button and waits for the
run's count to move).

Registered by the bench for its own process only (bench/bench_page.py); the app never lists it.
"""

import streamlit as st

from ui.guard import require_page

viewer = require_page("bench_empty")
st.title("Empty", anchor=False)
st.session_state["bench.runs"] = st.session_state.get("bench.runs", 0) + 1
st.button("Run again")
st.caption(f"Run {st.session_state['bench.runs']}")
