"""Showing contributor text safely, and other small rendering helpers.

Contributor text (titles, summaries, organisations, comments, file content)
is only ever shown with `st.text`, in `st.dataframe` cells or as widget
values: never through Markdown or HTML, so `<script>`, links, images, LaTeX
and colour directives in a submission stay inert characters.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from config import CallConfig
from ui.tables import HEADERS

EMPTY = "—"


def field(label: str, value: object, *, container=None) -> None:
    """A caption (our own words) above a value (contributor text, shown as text)."""
    target = container or st
    target.caption(label)
    text = EMPTY if value is None or value == "" else str(value)
    target.text(text)


def labels(config: CallConfig, submission_field: str, codes: Iterable[str] | str | None) -> str:
    """Codes shown as their labels, joined; unknown codes shown as they are."""
    if codes is None:
        return ""
    vocab = config.vocabulary(submission_field)
    if isinstance(codes, str):
        return vocab.label(codes)
    return "; ".join(vocab.label(c) for c in codes)


def format_when(value) -> str:
    if value is None:
        return EMPTY
    try:
        return value.strftime("%d %b %Y %H:%M")
    except AttributeError:
        return str(value)


def submission_detail(sub, config: CallConfig, *, viewer_role: str) -> None:
    """One submission, every contributor-supplied value shown as plain text."""
    st.caption(f"Submission {sub.reference}")
    if sub.restricted:
        st.warning(
            "You declared a conflict of interest with this submission, so nothing of it beyond its "
            "reference is shown to you.",
            icon=":material/block:",
        )
        return
    st.text(sub.title)
    left, right = st.columns([3, 2])
    with left:
        field("Summary", sub.summary)
        if sub.links:
            field("Documents and links (shown as text; copy them to open)", "\n".join(sub.links))
        if sub.notes:
            field("Office notes", sub.notes)
    with right:
        if sub.identity_visible:
            if sub.anonymous:
                st.warning(
                    "Anonymous submission: these contact details are kept only so that the office can "
                    "reach the contributor. They are never shown to reviewers, on charts or in exports.",
                    icon=":material/visibility_off:",
                )
            field("Organisation", sub.organisation)
            field("Contact", sub.contact_name)
            field("Email", sub.contact_email)
        else:
            st.info(
                "The contributor's identity is hidden from reviewers"
                + (" (anonymous submission)." if sub.anonymous else " (blind review)."),
                icon=":material/visibility_off:",
            )
        field("Received", format_when(sub.received_at))
        for name in ("themes", "focus_areas", "exploitation_types", "evidence_forms"):
            field(HEADERS[name], labels(config, name, sub.codes.get(name, [])) or EMPTY)
        for name, value in sub.single.items():
            field(HEADERS[name], labels(config, name, value) if value else EMPTY)
        field("Region", sub.region)
