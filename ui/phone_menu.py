"""On a narrow screen the menu closes once a page is chosen.

Streamlit (1.67) closes its sidebar after a page is picked only when the
browser's user agent says it is a phone (the sidebar menu's link handler checks
the device type), and starts it closed on a narrow screen
(`initial_sidebar_state="auto"`, the default). At the same width in any other
browser (a narrow window, or a desktop zoomed to 400%: 320 CSS pixels) the menu
stayed open over the page just chosen. No setting changes that
(`initial_sidebar_state` is only the first state), so this one fixed script
does: when a link of the menu is clicked while the window is at most 768 px
wide (Streamlit's own breakpoint for a narrow screen), and the menu is still
open once the click is handled, it presses the menu's own "Collapse sidebar"
button. Constant text, no data; installed once per browser tab (a flag on
`window`), so drawing it on every run adds nothing. What it relies on (the
`stSidebar`, `stSidebarNav` and `stSidebarCollapseButton` test ids and the
sidebar's `data-collapsed`) is pinned by `tests/browser/test_phone_menu.py`.
"""

from __future__ import annotations

import streamlit as st

NARROW = 768  # px: Streamlit's "md" breakpoint, below which the sidebar overlays the page

SCRIPT = f"""<script>
(() => {{
  if (window.__evidenceMenuCloser) return;
  window.__evidenceMenuCloser = true;
  document.addEventListener("click", (event) => {{
    const link = event.target && event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || window.innerWidth > {NARROW}) return;
    setTimeout(() => {{
      const bar = document.querySelector('[data-testid="stSidebar"]');
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (bar && bar.dataset.collapsed === "false" && close) close.click();
    }}, 0);
  }}, true);
}})();
</script>"""


def close_menu_after_choice() -> None:
    """Draw once per run of a signed-in page (in the sidebar, where it takes no room on the page)."""
    st.sidebar.html(SCRIPT, unsafe_allow_javascript=True)
