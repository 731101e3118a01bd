"""The Messages page's Outbox tab (admin): every message, a message's preview, cancel and resend,
and sending (an SMTP server is set) or downloading (none is) what is queued.

The page is the admin's alone: its guard checks the role at every run, and
every data function used here (`outbox.list_messages`, `get_message`,
`cancel`, `resend`, `delivery.eml_zip`, `mail_merge_csv`) checks it again in
its own unit of work; a download is checked once more at the click
(`ui.exports.checked_button`). So the recipients' addresses, anonymous
contributors' among them, reach nobody else. Subjects, bodies and the mail
server's reasons are shown as text (`st.text`, table cells, `st.code` for an
HTML body's source), never as Markdown or HTML: nothing in a message runs here.
A one-time link's token is hidden in the preview (`hide_link_tokens`): until it
is used, it is a key to the recipient's account, and a screen is no place for
it. The message itself, and the downloads made to send it by hand, keep it.
"""

from __future__ import annotations

import re
import time

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config.settings import Settings
from data_access import delivery, outbox, tokens
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.models import OUTBOX_STATUSES, utcnow
from data_access.outbox import PURPOSES, OutboxError, OutboxRecord
from formats import times
from messages.templates import TEMPLATES
from ui import outbox_sender
from ui.exports import checked_button
from ui.guard import refuse
from ui.render import EMPTY, field, flash, format_when, show_flash

PAGE = "messages"
FLASH = "messages.flash"
ALL = "(all)"
STATUS_WORDS = {
    "queued": "Queued",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
NOT_CHOSEN = "No message is chosen."
LIMIT = 500  # the newest messages shown
ASKED = "messages.asked"  # (action, message id, when) of a Cancel or Send again click
ASKED_SECONDS = 30.0
# What a message of a status offers: (the button's words, the action, its icon).
ACTIONS = {
    "queued": ("Cancel this message", "cancel", ":material/cancel:"),
    "failed": ("Send again", "resend", ":material/replay:"),
}


HIDDEN_TOKEN = "hidden"  # noqa: S105 (not a secret: what the preview shows instead of a link's token)
_LINK_TOKEN = re.compile(rf"(/{re.escape(tokens.LINK_PAGE)}\?token=)[^\s\"'<>&]+")


def hide_link_tokens(text: str) -> str:
    """The text with every one-time link's token replaced by `HIDDEN_TOKEN`."""
    return _LINK_TOKEN.sub(rf"\g<1>{HIDDEN_TOKEN}", text)


def purpose_words(purpose: str) -> str:
    spec = TEMPLATES.get(purpose)
    return spec.title if spec is not None else purpose


def outbox_tab(db: Database, viewer: Viewer, settings: Settings) -> None:
    _asked(db, viewer)
    # How the latest send stood BEFORE the outbox is read: a send that ends while this run lists the
    # messages is shown as still under way (Check again), never as done above a list from before it.
    sending = outbox_sender.snapshot(db)
    show_flash(FLASH)
    cols = st.columns(2)
    status = cols[0].selectbox(
        "Status", [ALL, *OUTBOX_STATUSES], format_func=lambda s: STATUS_WORDS.get(s, s), key="messages.status"
    )
    purpose = cols[1].selectbox(
        "What for", [ALL, *PURPOSES], format_func=lambda p: p if p == ALL else purpose_words(p), key="messages.purpose"
    )
    try:
        with db.read() as session:
            records = outbox.list_messages(
                session,
                viewer=viewer,
                status=None if status == ALL else status,
                purpose=None if purpose == ALL else purpose,
                limit=LIMIT,
            )
    except AccessDenied as exc:
        refused(db, viewer, "see the outbox", str(exc))
        return
    _table(records)
    if records:
        _chosen_message(db, viewer, records)
    st.header("Sending", anchor=False)
    _send_or_download(db, viewer, settings, sending)


def _table(records: list[OutboxRecord]) -> None:
    st.caption(
        f"{len(records)} messages, newest first (at most {LIMIT}). {times.ZONE_NOTE} A failed message's reason is the "
        "mail server's answer; one that has had its tries waits for Send again."
    )
    table = pd.DataFrame(
        [
            {
                "id": r.id,
                "queued": format_when(r.created_at),
                "to": r.recipient_email,
                "purpose": purpose_words(r.purpose),
                "subject": r.subject,
                "status": STATUS_WORDS.get(r.status, r.status),
                "attempts": r.attempts,
                "reason": r.last_error or "",
                "next": format_when(r.next_attempt_at) if r.status in ("queued", "failed") else EMPTY,
                "sent": format_when(r.sent_at),
            }
            for r in records
        ],
        columns=["id", "queued", "to", "purpose", "subject", "status", "attempts", "reason", "next", "sent"],
    )
    text = st.column_config.TextColumn
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("Message", format="%d"),
            "queued": text("Queued"),
            "to": text("To"),
            "purpose": text("What for"),
            "subject": text("Subject", width="medium"),
            "status": text("Status"),
            "attempts": st.column_config.NumberColumn("Tries", format="%d"),
            "reason": text("Why it failed", width="medium"),
            "next": text("Next try"),
            "sent": text("Sent"),
        },
    )


def _chosen_message(db: Database, viewer: Viewer, records: list[OutboxRecord]) -> None:
    by_id = {r.id: r for r in records}
    st.header("A message", anchor=False)
    chosen = st.selectbox(
        "Message to read",
        list(by_id),
        # Only what never changes (not the status): the browser keeps showing the label it was given
        # when the message was chosen, so a status in it went stale once the message was sent.
        format_func=lambda i: f"{i} · {purpose_words(by_id[i].purpose)} · {by_id[i].recipient_email}",
        key="messages.chosen",
    )
    if chosen is None:
        st.info(NOT_CHOSEN)
        return
    try:
        with db.read() as session:
            record = outbox.get_message(session, viewer=viewer, message_id=chosen)
    except AccessDenied as exc:
        refused(db, viewer, "read a message", str(exc))
        return
    if record is None:
        st.warning("That message is no longer in the outbox (it may have been erased).", icon=":material/info:")
        return
    _preview(record)
    _actions(record)


def _preview(record: OutboxRecord) -> None:
    cols = st.columns(3)
    field("To", record.recipient_email, container=cols[0])
    field("What for", purpose_words(record.purpose), container=cols[1])
    field("Status", STATUS_WORDS.get(record.status, record.status), container=cols[2])
    field("Queued", f"{format_when(record.created_at)} by {record.created_by}", container=cols[0])
    field("Tries", record.attempts, container=cols[1])
    field("Sent", format_when(record.sent_at), container=cols[2])
    if record.last_error:
        field("Why it failed (the mail server's answer)", record.last_error)
    if record.cancelled_by:
        field("Cancelled by", record.cancelled_by)
    field("Subject", record.subject)
    field("Text", hide_link_tokens(record.body_text))
    if record.body_html:
        st.caption("HTML (its source, as text: nothing in it runs here)")
        st.code(hide_link_tokens(record.body_html), language="html", wrap_lines=True)
    else:
        st.caption(f"HTML: {EMPTY} (text only)")


def _actions(record: OutboxRecord) -> None:
    """Cancel (queued) or Send again (failed). The click only notes what was asked (a callback, which
    runs before the page's guard); the next run does it after the guard, on the message the admin saw:
    if a sender took it meanwhile, the outbox refuses in words."""
    if record.status in ACTIONS:
        label, action, icon = ACTIONS[record.status]
        st.button(label, key=f"messages.{action}.{record.id}", icon=icon, on_click=_ask, args=(action, record.id))
    elif record.status == "sending":
        st.info(
            "This message is being sent, or its sender stopped before the mail server's answer was recorded: "
            "it may have gone out, so it is never sent again on its own.",
            icon=":material/info:",
        )


def _ask(action: str, message_id: int) -> None:
    st.session_state[ASKED] = (action, message_id, time.monotonic())


def _asked(db: Database, viewer: Viewer) -> None:
    """Do what a click asked for, if it asked in the last moments (a run the guard stopped leaves it stale)."""
    asked = st.session_state.pop(ASKED, None)
    if asked is not None and time.monotonic() - asked[2] < ASKED_SECONDS:
        _change(db, viewer, asked[1], asked[0])


def _change(db: Database, viewer: Viewer, message_id: int, action: str) -> None:
    try:
        with db.write() as session:
            if action == "cancel":
                outbox.cancel(session, message_id=message_id, viewer=viewer)
                done = f"Message {message_id} is cancelled: it will not be sent."
            else:
                outbox.resend(session, message_id=message_id, viewer=viewer)
                done = f"Message {message_id} is queued again, with a fresh count of tries."
    except OutboxError as exc:
        flash(FLASH, "error", str(exc))
    except AccessDenied as exc:
        refused(db, viewer, f"{action} message {message_id}", str(exc))
    else:
        flash(FLASH, "success", done)


def _send_or_download(db: Database, viewer: Viewer, settings: Settings, sending: outbox_sender.SendJob | None) -> None:
    try:
        delivery.MailSettings.from_settings(settings)
    except delivery.DeliveryError as exc:
        st.info(str(exc), icon=":material/mail_lock:")
        _downloads(viewer, settings)
        return
    _sending(db, viewer, settings, sending)


def _sending(db: Database, viewer: Viewer, settings: Settings, job: outbox_sender.SendJob | None) -> None:
    if job is not None and job.running:
        st.info(
            f"Sending started by {job.started_by} at {format_when(job.started_at)} is under way; each message "
            "is marked as the mail server answers. Check again in a moment.",
            icon=":material/schedule_send:",
        )
        st.button("Check again", key="messages.check", icon=":material/refresh:")
    elif job is not None:
        _outcome(job)
    st.caption(
        "Sends every message due now through the SMTP server, off this page: the page does not wait for the "
        "server, and each message is sent at most once even if the scheduler sends at the same time."
    )
    if st.button("Send queued now", key="messages.send", type="primary", icon=":material/send:"):
        _job, started = outbox_sender.start(db, settings, actor=viewer.username)
        flash(
            FLASH,
            "info",
            "Sending has started; the outcome is shown below when it is done."
            if started
            else "A send is already under way; its outcome is shown below when it is done.",
        )
        st.rerun()


def _outcome(job: outbox_sender.SendJob) -> None:
    when = f"The send started by {job.started_by} at {format_when(job.started_at)}"
    if job.error is not None:
        st.error(f"{when} sent nothing.", icon=":material/error:")
        st.text(job.error)
        return
    report = job.report or delivery.DeliveryReport()
    words = f"{when} sent {report.sent} messages; {report.failed} failed"
    if report.gave_up:
        words += f" ({report.gave_up} of them will not be tried again until you send them again)"
    (st.warning if report.failed else st.success)(words + ".")
    if report.failures:
        st.text("\n".join(f"message {message_id}: {reason}" for message_id, reason in report.failures))


def _downloads(viewer: Viewer, settings: Settings) -> None:
    st.caption(
        "Download the queued messages to send them from a mail client: one .eml file each in a ZIP, or a "
        "mail-merge CSV. A download sends nothing and changes no status: cancel the messages you send by hand, "
        "or they are sent again once a server is set. Each download is written to the audit log. "
        "An invitation or a password reset in a download carries its one-time link, made at the download: "
        "whoever holds the file can set that person's password, so send it and delete the file. Each "
        "download makes new links, and the links of an earlier download stop working."
    )
    now = utcnow()
    files = (
        (
            "Queued messages as .eml files (ZIP)",
            "eml",
            "zip",
            "application/zip",
            lambda session, current: delivery.eml_zip(session, viewer=current, settings=settings, now=now).content,
        ),
        (
            "Queued messages as a mail-merge CSV",
            "csv",
            "csv",
            "text/csv",
            lambda session, current: (
                delivery.mail_merge_csv(session, viewer=current, now=now, settings=settings).content
            ),
        ),
    )
    for column, (label, kind, extension, mime, build) in zip(st.columns(len(files)), files, strict=True):
        with column:
            checked_button(
                label,
                build,  # at the click: the sign-in and role checked again, the file made and logged
                what=f"outbox-{kind}",
                file_name=delivery.download_name("queued", now, extension),
                mime=mime,
                key=f"messages.{kind}",
                viewer=viewer,
                page=PAGE,
                icon=":material/download:",
            )


def refused(db: Database, viewer: Viewer, attempted: str, detail: str, *, to: str = "use the outbox") -> None:
    """A data function refused the viewer (no longer an active admin): logged, and said in words."""
    refuse(
        db,
        viewer,
        attempted=attempted,
        entity="page",
        entity_id=PAGE,
        detail=detail,
        message=f"You can no longer do this: only an active admin may {to}.",
    )
