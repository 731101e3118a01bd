"""The Overview page in AppTest: the call's dates as people write them."""

from config import load_call_config
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
