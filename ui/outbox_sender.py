"""The Messages page's "Send queued now": the outbox sent off the page's run.

The page never waits for a mail server (an unreachable one takes up to 30
seconds per connection, `data_access.delivery.SMTP_TIMEOUT_SECONDS`). The
button starts `delivery.send_due` in a thread of the server (`start`) and the
page returns at once; a later run of the page shows how it went (`latest`):
running, or what was sent and what failed with the server's reasons.

One send at a time per database and server process: a second click while one
runs starts nothing and says so. Two servers (replicas), or the page and the
scheduler's `manage.py send-queued`, may send at once: the outbox's claims
(`outbox.claim_due`) give each message to one sender only. A server stopped
mid-send leaves the message it was sending "sending", which the admin sees
(docs/messages.md: at most once). The thread uses no Streamlit command and no
session state: it is given the database and the settings when it starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import threading
from dataclasses import dataclass, field

from config.settings import Settings
from data_access import delivery
from data_access.db import Database
from data_access.models import utcnow

log = logging.getLogger("evidence_review")


@dataclass
class SendJob:
    """One "Send queued now": who started it and when, then how it went."""

    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    report: delivery.DeliveryReport | None = None
    error: str | None = None  # the settings could not send, or something unexpected (a reference in the log)
    thread: threading.Thread | None = field(default=None, repr=False, compare=False)

    @property
    def running(self) -> bool:
        return self.finished_at is None


_lock = threading.Lock()
_jobs: dict[str, SendJob] = {}  # by database URL: the latest send started from a page of this server


def start(db: Database, settings: Settings, *, actor: str) -> tuple[SendJob, bool]:
    """Start sending what is due, in a thread; (the job, True), or (the running job, False) if one runs."""
    with _lock:
        job = _jobs.get(db.url)
        if job is not None and job.running:
            return job, False
        job = SendJob(started_by=actor, started_at=utcnow())
        job.thread = threading.Thread(target=_run, args=(job, db, settings), name="outbox-send", daemon=True)
        _jobs[db.url] = job
    job.thread.start()
    return job, True


def latest(db: Database) -> SendJob | None:
    """The latest send started from a page of this server on this database, running or done."""
    with _lock:
        return _jobs.get(db.url)


def snapshot(db: Database) -> SendJob | None:
    """A copy of `latest(db)` as it stands now, which the send's thread no longer changes."""
    with _lock:
        job = _jobs.get(db.url)
        return None if job is None else dataclasses.replace(job)


def _run(job: SendJob, db: Database, settings: Settings) -> None:
    report: delivery.DeliveryReport | None = None
    error: str | None = None
    try:
        report = delivery.send_due(db, settings, actor=job.started_by)
    except delivery.DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a thread's failure is recorded for the page, never lost
        reference = secrets.token_hex(4)
        log.error("sending the outbox [%s]", reference, exc_info=exc)
        error = (
            "Sending stopped on an unexpected error; what was sent is marked sent. "
            f"If it happens again, tell the call's administrator the reference {reference}."
        )
    with _lock:
        job.report, job.error, job.finished_at = report, error, utcnow()
