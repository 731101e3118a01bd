"""The Overview page in AppTest: the call's dates as people write them."""

from config import load_call_config
from data_access.call_state import set_reviewing_closed
from tests.factories import make_user
from tests.support.apptest import run_app


def test_the_deadlines_are_written_as_people_write_dates(db, db_url):
    with db.write() as s:
        office = make_user(s, role="office")
    at = run_app(db_url, office, page="pages/overview.py")
    assert not at.exception
    config = load_call_config()
    shown = " ".join(c.value for c in at.caption)
    for date in (config.submissions_close, config.review_deadline):
        assert f" {date.day} {date:%B %Y}" in shown, shown  # "6 September 2021"
    assert f"{config.submissions_close:%d %B}" not in shown or config.submissions_close.day >= 10  # not "06 September"


def test_the_overview_says_plainly_when_the_review_deadline_passed_and_reviewing_is_still_open(db, db_url):
    config = load_call_config()  # its review deadline (24 September 2021) has passed
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
    deadline = f"{config.review_deadline.day} {config.review_deadline:%B %Y}"
    for viewer, ending in (
        (admin, "until reviewing is closed on the Assignments page."),
        (reviewer, "until the coordinator closes reviewing."),
    ):
        at = run_app(db_url, viewer, page="pages/overview.py")
        assert [w.value for w in at.warning] == [
            f"The review deadline ({deadline}) has passed and reviewing is still open: "
            f"reviews can still be saved and submitted {ending}"
        ]
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="test")
    at = run_app(db_url, admin, page="pages/overview.py")
    assert not [w for w in at.warning if "deadline" in w.value]
