"""axe-core violations that come from Streamlit's own markup, in one place (issue 20).

tests/browser/test_accessibility.py runs axe-core on every page for every role and fails on any
serious or critical violation, and on any heading out of order, except those listed here: each is
Streamlit's own markup, which the app cannot change by a supported means, with the upstream
reference and what was done about it. The test prints how many of these it met on each view and
asserts no view shows more than `MAX_KNOWN_PER_VIEW`: the number may only go down (a Streamlit
upgrade that fixes one lowers it; lower it here then). docs/accessibility.md lists the same under
"Non-accessible content".

An entry matches a violation of its `rule` whose element is, or is inside, `inside` (a CSS
selector of Streamlit's element): the same rule anywhere else is the app's own and fails.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    rule: str  # axe-core's rule id
    inside: str  # the Streamlit element the violating node is, or is inside
    upstream: str  # where Streamlit tracks it
    why: str  # what the markup is, in words
    workaround: str  # what the app does about it, or why nothing supported exists


UPLOAD_DROPZONE = '[data-testid="stFileUploaderDropzone"]'

# Worked around (no longer met, so not listed): Streamlit's sidebar navigation with sections puts each
# section's heading, a <div>, straight inside the <ul> of links (axe-core's list and listitem, serious,
# on every page; no Streamlit issue of its own was found, the umbrella is
# https://github.com/streamlit/streamlit/issues/8399). The supported way round it, st.navigation given
# one list of pages instead of sections, is what app.py does.

KNOWN: tuple[Known, ...] = (
    Known(
        rule="presentation-role-conflict",
        inside=UPLOAD_DROPZONE,
        upstream=(
            "https://github.com/streamlit/streamlit/issues/15921 (fixed by pull request 15928: the drop zone "
            "left the Tab order; its role=presentation with an aria-label remains)"
        ),
        why="st.file_uploader's drop zone is a <section role=presentation> that also carries an aria-label",
        workaround=(
            "none needed by people: the drop zone is not in the Tab order and its 'Browse files' button, "
            "named by the uploader's label, does the same (axe rates this minor)"
        ),
    ),
)

# The most nodes matched by KNOWN on any one view: the admin's Import page, with its two drop zones
# (16 while the sidebar's sectioned list was counted here too).
MAX_KNOWN_PER_VIEW = 2
