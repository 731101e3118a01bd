"""The Messages page never shows a send's outcome above a list of messages read before the send ended.

A send runs in a thread of the server (`ui.outbox_sender`). Before, the page
read the outbox first and asked how the send stood only at the end of its run:
a send that ended in between was reported as done ("sent 1 messages; 0 failed")
above a list and a message choice still showing its messages queued. Found by
tests/browser/test_messages.py (a failed message that was still listed as
queued). Now the send's state is taken before the outbox is read; a send that
ends meanwhile is shown as under way, and the next run shows both, up to date.
Both databases."""

from __future__ import annotations

from data_access import delivery, outbox
from data_access.models import utcnow
from tests.pages.test_messages_page import PAGE, admin, queue, smtp_environment  # noqa: F401 - admin: a fixture
from tests.support.apptest import rerun, run_app
from ui import outbox_sender


def test_a_send_that_ends_while_the_page_reads_the_outbox_is_shown_under_way_then_done(
    db,
    db_url,
    admin,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    smtp_environment(monkeypatch, 25)  # a server is set; nothing here connects to it
    message_id = queue(db, "a")
    job = outbox_sender.SendJob(started_by="boss", started_at=utcnow())
    monkeypatch.setitem(outbox_sender._jobs, db.url, job)  # a send under way, started from this server
    listed = outbox.list_messages

    def list_then_the_send_ends(session, **kwargs):
        records = listed(session, **kwargs)  # the message, as queued
        job.report, job.finished_at = delivery.DeliveryReport(sent=1), utcnow()  # the send ends now
        return records

    monkeypatch.setattr(outbox, "list_messages", list_then_the_send_ends)
    at = run_app(db_url, admin, page=PAGE)
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["id"]) == [message_id]
    assert [m.value for m in at.info if "is under way" in m.value]  # not "sent 1 messages" above "Queued"
    assert not [m.value for m in at.success if "sent 1 messages" in m.value]
    monkeypatch.setattr(outbox, "list_messages", listed)
    at = rerun(at, db_url)
    assert [m.value for m in at.success if m.value.endswith("sent 1 messages; 0 failed.")]
    assert not [m.value for m in at.info if "is under way" in m.value]
