"""The review workspace's layout where Streamlit has no option for it: the
submission held in view beside the form on a wide screen, and an outcome
message brought into view.

Both are fixed text of ours (no value from anyone's input goes into them):
a style sheet, and a script that scrolls one of our own elements into view.
"""

from __future__ import annotations

import streamlit as st

SUBMISSION_KEY = "my_reviews.submission"  # the container's CSS class: st-key-my_reviews-submission
OUTCOME_KEY = "my_reviews.outcome"
NONCE = "my_reviews.outcome_nonce"

# On a wide screen (Streamlit stacks columns below 640 px) the submission's
# box stays in view while the page scrolls through the form, and scrolls on
# its own; on a phone the two simply stack.
_STYLE = """<style>
@media (min-width: 641px) {
  [data-testid="stColumn"]:has(.st-key-my_reviews-submission) > [data-testid="stVerticalBlock"] { height: 100%; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-my_reviews-submission) { position: sticky; top: 4rem; }
  .st-key-my_reviews-submission { max-height: calc(100vh - 5rem); overflow-y: auto; }
}
</style>"""

# Scroll the outcome (the message under the buttons) into view once drawn,
# moving the page as little as possible. With FOCUS (where the form has
# been replaced by the submitted review, so the button pressed is gone), the
# keyboard's focus goes to the message rather than back to the page's top;
# otherwise it stays where it is.
_BRING_INTO_VIEW = """<script>
(() => {
  let tries = 0;
  const look = () => {
    const box = document.querySelector(".st-key-my_reviews-outcome [data-testid='stAlert']");
    if (box) {  // for a moment, while the page settles; then the person's scrolling is theirs
      const at = box.getBoundingClientRect();
      if (at.top < 0 || at.bottom > window.innerHeight) box.scrollIntoView({block: "nearest"});
      const active = document.activeElement;
      if (FOCUS && (!active || active === document.body)) { box.setAttribute("tabindex", "-1"); box.focus({preventScroll: true}); }
    }
    if (++tries < 20) setTimeout(look, 50);
  };
  look();
})();
</script>"""


def style() -> None:
    st.html(_STYLE)


def bring_outcome_into_view(*, focus: bool = False) -> None:
    """Call in the run that shows an outcome message; `focus` where the form is gone."""
    # A different text each time (the sanitiser drops comments), or the same
    # element would stay in place and its script would not run again.
    nonce = st.session_state.get(NONCE, 0) + 1
    st.session_state[NONCE] = nonce
    script = _BRING_INTO_VIEW.replace("let tries = 0;", f"let tries = 0; /* {nonce} */")
    st.html(script.replace("FOCUS", "true" if focus else "false"), unsafe_allow_javascript=True)
