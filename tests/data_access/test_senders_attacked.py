"""Issue 16, an attacker's review: the schedulers' commands at the same moment.

`manage.py send-reminders` from two schedulers (or the scheduler and the
admin's Remind) at once queue each reminder once; `send-queued` twice at
once is `tests/data_access/test_delivery.py::test_two_senders_at_once_send_each_message_once`.
Both databases."""

from __future__ import annotations

import threading

from sqlalchemy import select

from data_access.models import OutboxMessage
from tests.data_access.test_notify import on, panel, reminders  # noqa: F401 (panel: a fixture)


def test_reminders_queued_by_four_runs_at_the_same_moment_are_queued_once(db, call_config, panel):  # noqa: F811
    when = on(call_config.review_deadline)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            reminders(db, call_config, when)
        except BaseException as exc:  # noqa: BLE001 (the test reports any)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.read() as s:
        queued = sorted(s.scalars(select(OutboxMessage.recipient_email)))
    assert queued == ["ann@panel.example.org", "bob@panel.example.org"]
