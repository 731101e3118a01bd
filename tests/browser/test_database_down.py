"""The database stops answering while a reviewer is writing a review, in a
real browser: Submit shows a plain sentence and no error box, the person stays
on My reviews, and once the database is back their scores and comment are in
the form, unsaved, and Submit saves them.

A server of its own runs on PostgreSQL through a TCP proxy that the test cuts
(every connection dropped, new ones refused) and restores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from config import load_call_config
from data_access.db import Database
from data_access.demo import seed_demo
from data_access.reviews import get_own_review
from data_access.users import get_user_by_username
from tests.browser.conftest import screenshot
from tests.browser.test_reviewing import COMMENT_LABEL, _untouched, open_review, score
from tests.support.accounts import give_test_passwords, password_of
from tests.support.browser import go_to, sign_in, wait_idle
from tests.support.live import LiveServer
from tests.support.outages import TcpProxy

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
COMMENT = "Promising, but the evaluation is thin; I would want to see the follow-up data."


def assert_plain_outage(tab, name: str) -> None:
    wait_idle(tab)
    tab.get_by_text("The database cannot be reached at the moment").wait_for()
    screenshot(tab, name)
    shown = tab.locator("body").inner_text()
    for internal in ("Traceback", "psycopg", "OperationalError", "SELECT", "This app has encountered an error"):
        assert internal not in shown, internal
    assert tab.get_by_test_id("stException").count() == 0


def checked(tab, group: str):
    """The label of the option shown as chosen in a radio group (its first line)."""
    radio = tab.locator('[data-testid="stRadio"]').filter(has_text=group)
    return radio.locator("label:has(input:checked) p").first


@pytest.fixture(scope="module")
def server_behind_proxy(pg_cluster, tmp_path_factory) -> Iterator[tuple[LiveServer, Database, TcpProxy]]:
    name = pg_cluster.create_database()
    db = Database(pg_cluster.url(name))
    seed_demo(db, config=load_call_config(), bcrypt_rounds=4, n=40)
    give_test_passwords(db)
    proxy = TcpProxy(pg_cluster.port)
    server = LiveServer.start(
        proxy.url(pg_cluster.url(name)),
        tmp_path_factory.mktemp("outage"),
        extra_env={"EVIDENCE_PUBLIC_URL": "https://evidence.example.org"},  # a new user's one-time link
    )
    try:
        yield server, db, proxy
    finally:
        server.stop()
        proxy.close()
        db.dispose()
        pg_cluster.drop_database(name)


def test_a_review_written_while_the_database_is_down_is_kept_and_saved_later(page, server_behind_proxy):
    server, db, proxy = server_behind_proxy
    username, (submission_id, reference) = next(
        (name, untouched[0]) for name in (f"reviewer{i}" for i in range(1, 7)) if (untouched := _untouched(db, name))
    )
    sign_in(page, server.url, username, password_of(username))
    open_review(page, server.url, reference)
    score(page, "4", "Cannot judge", "2", COMMENT)
    wait_idle(page)  # the last choice's run has finished: the outage starts with the form on screen

    proxy.cut()
    page.get_by_role("button", name="Submit", exact=True).click()
    assert_plain_outage(page, "faults-database-down-review")
    assert "/my_reviews" in page.url  # the person stays where they were

    proxy.restore()
    go_to(page, "My reviews")
    # the browser shows the input again, not just the server holding it
    expect(page.get_by_label(COMMENT_LABEL)).to_have_value(COMMENT)
    for group, option in (("Promise", "4"), ("Evidence strength", "Cannot judge"), ("Survivor involvement", "2")):
        expect(checked(page, group)).to_have_text(option)
    expect(checked(page, "Your confidence")).to_have_text("High")
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible()
    page.get_by_role("button", name="Submit", exact=True).click()
    wait_idle(page)
    screenshot(page, "faults-database-back-review")
    page.get_by_text("Review submitted").wait_for()
    with db.read() as s:
        reviewer = get_user_by_username(s, username)
        stored = get_own_review(s, submission_id=submission_id, reviewer_id=reviewer.id)
    assert stored.status == "submitted" and stored.comment == COMMENT
    assert stored.scores == {"promise": 4, "evidence_strength": None, "survivor_involvement": 2}


def test_a_new_user_typed_while_the_database_is_down_is_kept_and_added_later(page, server_behind_proxy):
    server, db, proxy = server_behind_proxy
    sign_in(page, server.url, "admin", password_of("admin"))
    go_to(page, "Users")
    fields = {"Username": "latecomer", "Full name": "Late Comer", "Organisation (reviewers": "Larkfield Trust"}
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    wait_idle(page)
    proxy.cut()
    page.get_by_role("button", name="Add user").click()
    assert_plain_outage(page, "faults-database-down-users")
    assert "/users" in page.url

    proxy.restore()
    go_to(page, "Users")
    for label, value in fields.items():
        expect(page.get_by_label(label)).to_have_value(value)
    expect(page.get_by_role("combobox", name="Role")).to_have_value("Reviewer")
    page.get_by_role("button", name="Add user").click()
    page.get_by_text("A one-time link to set a password").wait_for()
    with db.read() as s:
        added = get_user_by_username(s, "latecomer")
    assert added.name == "Late Comer" and added.organisation == "Larkfield Trust" and added.role == "reviewer"
