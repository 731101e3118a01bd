"""The app's one global style: what keyboard users need and Streamlit does not give.

`apply()` sends a constant stylesheet (never contributor text, never built
from data) as a style-only `st.html`, which Streamlit puts in its event
container, so it takes no space on the page. app.py calls it on every run.

* Score groups show where the keyboard is (WCAG 2.4.7, Focus Visible): when a
  radio input has keyboard focus (`:focus-visible`), its group gets a 3 px
  outline and the focused option a 2 px one. Streamlit hides the real input
  and shows only a faint change of the dot. The outline is drawn in the
  text's own colour (`currentColor`), which contrasts with the background in
  the light and the dark theme alike (well above the 3:1 of WCAG 1.4.11).
* Headings' link anchors ("Link to heading", the chain icon Streamlit puts
  after each title and header) are not drawn, so they add no Tab stops.
  Every heading of ours is also drawn with `anchor=False`; this rule keeps a
  heading that forgot it out of the Tab order too (tests/browser/test_keyboard.py).
"""

from __future__ import annotations

import streamlit as st

STYLE = """<style>
[data-testid="stRadioGroup"]:has(input:focus-visible) {
  outline: 3px solid currentColor;
  outline-offset: 4px;
  border-radius: 4px;
}
[data-testid="stRadioOption"]:has(input:focus-visible) {
  outline: 2px solid currentColor;
  outline-offset: 2px;
  border-radius: 2px;
}
[data-testid="stHeaderActionElements"] a[href^="#"] {
  display: none;
}
</style>"""


def apply() -> None:
    """Send the stylesheet (a constant) for this run."""
    st.html(STYLE)
