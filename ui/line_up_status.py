"""Streamlit glue for the Line-up status page (office and admin): a signed-off line-up
at a glance (docs/selection.md "The office's view").

Choose a signed-off line-up; then a row of counts (invited, accepted in person,
accepted virtually, declined, awaiting, no reply by the deadline), the presenters
with their reply, date to reply by and session, and the balance of the confirmed
line-up against each of its rules. Read only; everything comes from
`data_access.line_up_status`, which checks the role on the server at each run.

Contributor text (titles, organisations, session titles) is shown in dataframe
cells or `st.text`, never as Markdown. An anonymous submission's organisation is
not shown here (the Programme page shows no organisation at all); the admin and
the office find it on the submission's own page. The metrics use two rows of
three so that they stay readable on a phone.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from access.visibility import ANONYMOUS, Viewer
from config import CallConfig
from data_access import line_up_status as status_da
from data_access.db import Database
from data_access.errors import AccessDenied
from scoring import replies
from scoring.selection import FORMAT_LABELS
from ui.render import format_when, notice

CHOSEN_KEY = "status.line_up"
METRICS = (  # (label, ReplyCounts attribute): two rows of three on a narrow screen
    ("Invited", "invited"),
    ("Accepted in person", "accepted_in_person"),
    ("Accepted virtually", "accepted_virtual"),
    ("Declined", "declined"),
    ("Awaiting a reply", "awaiting"),
    ("No reply by the deadline", "no_reply_by_deadline"),
)
STATUS_WORDS = {
    replies.KEPT: "Kept",
    replies.WAITING: "Kept if the awaiting accept",
    replies.AT_RISK: "At risk",
    replies.BROKEN: "Broken",
}
NO_SIGN_OFF = "No line-up has been signed off yet: sign one off on the Programme page first."


def choose(db: Database, viewer: Viewer) -> status_da.SignedOffLineUp | None:
    with db.read() as session:
        line_ups = status_da.signed_off_line_ups(session, viewer=viewer)
    if not line_ups:
        st.info(NO_SIGN_OFF, icon=":material/info:")
        return None
    by_id = {s.id: s for s in line_ups}
    chosen = st.selectbox(
        "Signed-off line-up",
        list(by_id),
        format_func=lambda i: f"{by_id[i].name} (version {by_id[i].version})",
        key=CHOSEN_KEY,
    )
    return by_id[chosen]


def metrics(counts: replies.ReplyCounts) -> None:
    for row in (METRICS[:3], METRICS[3:]):
        for col, (label, attribute) in zip(st.columns(3), row, strict=True):
            col.metric(label, getattr(counts, attribute))


def presenters_frame(presenters: tuple[status_da.PresenterStatus, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Reference": p.reference,
                "Title": p.title,
                "Organisation": ANONYMOUS if p.anonymous else (p.organisation or ""),
                "Format offered": FORMAT_LABELS.get(p.format_offered, p.format_offered),
                "Reply": p.reply_label,
                "Reply by": p.reply_by,
                "Session": "" if p.session is None else f"{p.session}, {_uk_time(p.session_starts_at)}",
            }
            for p in presenters
        ],
        columns=["Reference", "Title", "Organisation", "Format offered", "Reply", "Reply by", "Session"],
    )


def _uk_time(when: dt.datetime | None) -> str:
    return "" if when is None else format_when(when)


def balance_frame(balance: replies.BalanceReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Rule": r.rule,
                "Balance": STATUS_WORDS[r.status],
                "Now": "; ".join(r.now) or "kept",
                "If the awaiting accept": "; ".join(r.if_awaiting_accept) or "kept",
            }
            for r in balance.rules
        ],
        columns=["Rule", "Balance", "Now", "If the awaiting accept"],
    )


def render(db: Database, viewer: Viewer, config: CallConfig) -> None:
    chosen = choose(db, viewer)
    if chosen is None:
        return
    try:
        with db.read() as session:
            shown = status_da.line_up_status(session, viewer=viewer, line_up_id=chosen.id, config=config)
    except status_da.LineUpStatusError as exc:
        notice("error", "The status cannot be shown:", str(exc), icon=":material/error:")
        return
    except AccessDenied:
        st.error("Your role cannot see this.", icon=":material/block:")
        return
    line_up = shown.line_up
    st.text(  # as text: a username may hold characters that Markdown would read
        f"Version {line_up.signed_off_version} signed off by {line_up.signed_off_by} "
        f"on {format_when(line_up.signed_off_at)}."
    )
    if not line_up.current_is_signed_off:
        st.warning(
            f"The line-up was saved again since (version {line_up.version}), and that version is not signed off. "
            "The replies below are to the invitations already sent.",
            icon=":material/warning:",
        )
    if not shown.presenters:
        st.info("No one has been invited from this line-up yet (Programme page).", icon=":material/info:")
        return
    metrics(shown.counts)
    st.header("Presenters", anchor=False)
    st.dataframe(presenters_frame(shown.presenters), hide_index=True, width="stretch")
    st.header("Balance of the confirmed line-up", anchor=False)
    st.caption(
        "Each rule of the line-up, checked on the presenters who accepted, and on them plus everyone still "
        "awaiting a reply (in the format offered)."
    )
    if shown.balance.keeps_every_rule:
        st.success("The confirmed line-up keeps every rule.", icon=":material/check_circle:")
    if shown.balance.member_problems:  # they quote references: as text
        notice("warning", "Presenters to check:", "\n".join(shown.balance.member_problems), icon=":material/warning:")
    st.dataframe(balance_frame(shown.balance), hide_index=True, width="stretch")
