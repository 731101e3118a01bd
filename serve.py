"""How the app is served: `streamlit run serve.py` (make run, docs/deploy.md, the tests).

Streamlit finds the `st.App` below and serves `app.py` through it, with
`ui.streamlit_adapter`'s gate in front of its own routes: WebSockets only from
the app's own origin or a listed one, a signed-in session resumed only with its
sign-in cookie, uploads only from a signed-in admin, and no outbound requests.
`app.py` refuses to run behind a server started any other way
(`streamlit run app.py`).
"""

import streamlit as st

from ui.streamlit_adapter import middleware

app = st.App("app.py", middleware=middleware())
