"""Showing contributor text safely, and other small rendering helpers.

Contributor text (titles, summaries, organisations, comments, file content)
is only ever shown with `st.text`, in `st.dataframe` cells or as widget
values: never through Markdown or HTML, so `<script>`, links, images, LaTeX
and colour directives in a submission stay inert characters. The one
exception is an evidence link that `ui.links` finds safe: an escaped anchor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import streamlit as st

from access.roles import Role
from config import CallConfig
from formats import times
from ui.links import evidence_links
from ui.tables import HEADERS

EMPTY = "—"
ROLE_LABELS = {Role.ADMIN: "Admin", Role.OFFICE: "Office", Role.REVIEWER: "Reviewer"}


def digest(*parts: object) -> str:
    """A short, stable digest of plain values (for widget keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def table_key(prefix: str, *rows_depend_on: object) -> str:
    """The key of a selectable table whose rows depend on `rows_depend_on`
    (filters, sort order, the rows' ids).

    Streamlit keeps a table's row selection as row positions: if the same
    widget showed other rows (a new search, another sort, a decided flag
    gone), the selection would silently point at a row the person never
    chose. A table with other rows gets another key, so it starts unselected.
    """
    return f"{prefix}.{digest(*rows_depend_on)}"


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
    """A moment in the app's one format: UK time with its zone, "7 Dec 2026, 09:14 GMT" (`formats.times`)."""
    return times.when(value)


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
    published = set(sub.redacted_fields)

    def label(caption: str, name: str) -> str:
        return f"{caption} (the version published for reviewers)" if name in published else caption

    left, right = st.columns([3, 2])
    with left:
        field("Summary", sub.summary)
        if sub.links:
            st.caption(label("Documents and links (web addresses open in a new tab)", "links"))
            evidence_links(sub.links)
        if sub.notes:
            field("Office notes", sub.notes)
    with right:
        if sub.identity_visible:
            if sub.anonymous:
                st.warning(
                    "Anonymous submission: its contact details, region and evidence links (addresses and file "
                    "names) are kept only so that the office can reach the contributor. Reviewers never see them "
                    "(only a version the admin publishes for them), nor do charts or exports. Its evidence "
                    "documents reach reviewers without their authors' details, but their pages may still name "
                    "the organisation: upload a redacted version where they do.",
                    icon=":material/visibility_off:",
                )
            field("Organisation", sub.organisation)
            field("Contact", sub.contact_name)
            field("Email", sub.contact_email)
        else:
            st.info(
                "The contributor's identity is hidden from reviewers"
                + (" (anonymous submission)" if sub.anonymous else " (blind review)")
                + ": their organisation, contact, region and evidence links. The evidence documents are shown "
                "without their authors' details.",
                icon=":material/visibility_off:",
            )
            for name, caption in (
                ("organisation", "Organisation"),
                ("contact_name", "Contact"),
                ("contact_email", "Email"),
            ):
                if name in published:
                    field(label(caption, name), getattr(sub, name))
        field("Received", times.received(sub.received_at))
        for name in ("themes", "focus_areas", "exploitation_types", "evidence_forms"):
            field(HEADERS[name], labels(config, name, sub.codes.get(name, [])) or EMPTY)
        for name, value in sub.single.items():
            field(HEADERS[name], labels(config, name, value) if value else EMPTY)
        if sub.identity_visible or "region" in published:
            field(label("Region", "region"), sub.region)


CANNOT_JUDGE_LABEL = "Cannot judge"


def score_label(scores: dict, criterion: str) -> str:
    """A stored score as shown: the number, "Cannot judge" (never a low
    score), or a dash when not answered yet."""
    if criterion not in scores:
        return EMPTY
    value = scores[criterion]
    return CANNOT_JUDGE_LABEL if value is None else str(value)


def review_values(values: dict, config: CallConfig, *, container=None) -> None:
    """A review's scores, recommendation, confidence and comment, read-only.

    `values` has the keys of `ReviewRecord.as_values()` (status optional)."""
    target = container or st
    target.markdown(values_table(values, config))
    field("Comment to the panel", values.get("comment"), container=target)


def values_table(values: dict, config: CallConfig) -> str:
    """A review's scores, recommendation and confidence as one Markdown table (a real `<table>` with
    its headers): one element where an `st.dataframe` cost a pandas frame, an Arrow conversion and a
    grid in the browser per card (issue 21). Every cell is our own words (the criteria's and the
    choices' labels, a number, "Cannot judge"), each character escaped, so none of it reads as
    Markdown; the comment, people's text, stays `st.text` (`field`)."""
    rows = [(c.label, score_label(values["scores"], c.id)) for c in config.criteria]
    rec, conf = values.get("recommendation"), values.get("confidence")
    rows.append(("Recommendation", config.recommendations.label(rec) if rec else EMPTY))
    rows.append(("Confidence", config.confidence_levels.label(conf) if conf else EMPTY))
    lines = ["| Criterion | Score |", "| --- | --- |"]
    lines += [f"| {markdown_literal(name)} | {markdown_literal(value)} |" for name, value in rows]
    return "\n".join(lines)


_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()<>#+-.!|~:$&\"'=^")


def markdown_literal(text: str) -> str:
    """`text` as Markdown that shows exactly its characters: every ASCII punctuation mark that Markdown,
    a table or Streamlit's directives could read is backslash-escaped, and a line break is a space."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_PUNCTUATION else " " if ch in "\r\n" else ch for ch in str(text))


def review_cards(records: list, config: CallConfig) -> None:
    """Reviews as cards: who (as the viewer may see it), when, and the values."""
    for record in records:
        with st.container(border=True):
            st.text(record.reviewer_name)
            when = record.submitted_at if record.status == "submitted" else record.updated_at
            st.caption(f"{'Submitted' if record.status == 'submitted' else 'Draft, saved'} {format_when(when)}")
            review_values(record.as_values(), config)


def reviews_section(records: list, config: CallConfig, *, viewer_role: str) -> None:
    """The reviews of one submission that the viewer may read (already
    filtered and labelled by `data_access.reviews.reviews_of_submission`)."""
    st.header("Reviews", anchor=False)
    own_submitted = any(r.own and r.status == "submitted" for r in records)
    if viewer_role == Role.REVIEWER and not own_submitted:
        st.caption("The other reviews of this submission appear here once you have submitted your own.")
    elif not records:
        st.caption("No review of this submission has been submitted yet.")
    review_cards(records, config)


def notice(kind: str, lead: str, text: str = "", *, icon: str | None = None) -> None:
    """An alert whose box holds only our own fixed words (`lead`, which Streamlit reads as Markdown)
    and, beneath it as text, a message that may quote what people typed: a title, a line-up's or a
    person's name, a reference (`**x** [y](javascript:z) <img>` stays those characters)."""
    {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}[kind](lead, icon=icon)
    if text:
        st.text(text)


def flash(key: str, kind: str, text: str, detail: str = "") -> None:
    """Keep a message for the next run, e.g. across `st.rerun()`: `text` our own words, `detail`
    what may quote people's typing (shown as text: `notice`)."""
    st.session_state[key] = (kind, text, detail)


def show_flash(key: str) -> None:
    """Show, once, the message kept under `key`."""
    message = st.session_state.pop(key, None)
    if message:
        kind, text, detail = message
        notice(kind, text, detail)
