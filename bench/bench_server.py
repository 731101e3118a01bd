"""serve.py for the browser bench: the app behind the same gate, with the
bench's empty page (bench/empty_page.py) registered at `/bench_empty`.

    streamlit run bench/bench_server.py     # started by bench/submit_next_bench.py

Only the bench's throwaway server runs this; `make run` and deployments serve
serve.py, where the empty page does not exist.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from bench.bench_page import register_empty_page  # noqa: E402
from ui.streamlit_adapter import middleware  # noqa: E402

register_empty_page()
app = st.App(str(ROOT / "app.py"), middleware=middleware())
