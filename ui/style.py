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
* Every other control shows where the keyboard is too (WCAG 2.4.7): links,
  buttons, tabs, expanders and anything else in the Tab order get a 2 px
  near-black outline (the theme's text colour, #111111: 18:1 on white, 16:1 on
  the sidebar's grey; `currentColor` would be white on a primary button) while
  they have the keyboard's focus; text boxes, select boxes and checkboxes,
  whose real input Streamlit wraps or hides, draw it on their frame.
  Streamlit's own varies (a faint shadow on some buttons, nothing on the
  sidebar's links). The tables (st.dataframe) draw their cell focus inside
  their canvas. tests/browser/test_accessibility.py tabs round the pages and
  checks each stop looks different focused.
* A disabled control's words stay readable (the issue asks for AA contrast for
  disabled states too, though WCAG 1.4.3 exempts them): Streamlit draws them
  at 40% of the text colour (2.6:1 on white); here they are #5c5c5c, 6.7:1 on
  white and 6.0:1 on the sidebar's grey, still plainly lighter than the
  near-black of a control that works. tests/browser/test_accessibility.py
  measures every disabled control's text on every page it checks.
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
:is(a, button, summary, [role="tab"], [role="button"], [role="link"], [tabindex]:not([tabindex="-1"])):focus-visible {
  outline: 2px solid #111111 !important;
  outline-offset: 2px;
}
:is([data-baseweb="input"], [data-baseweb="textarea"], [data-baseweb="select"], [data-baseweb="checkbox"]):has(:focus-visible) {
  outline: 2px solid #111111;
  outline-offset: 2px;
}
:is(button, input, textarea):disabled,
button:disabled *,
[data-testid="stElementContainer"]:has(:disabled) :is(label, p, span, small, li) {
  color: #5c5c5c !important;
  -webkit-text-fill-color: #5c5c5c;
}
[data-testid="stHeaderActionElements"] a[href^="#"] {
  display: none;
}
</style>"""


def apply() -> None:
    """Send the stylesheet (a constant) for this run."""
    st.html(STYLE)
