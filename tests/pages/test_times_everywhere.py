"""One time format and zone on every page that shows times: "7 Dec 2026, 09:14 GMT" (UK time, zone named).

Each page is drawn with data that gives it times to show; everything it shows (text and tables) is
searched for times: there must be some, all in the one format, none in another (ISO, the old
"07 Dec 2026 09:14", or a bare "UTC")."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from data_access.assignments import declare_conflict
from data_access.models import User
from data_access.reviews import ReviewDraft, save_review
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import run_app, texts

ONE_FORMAT = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2} (GMT|BST)\b")
OTHER_FORMATS = (
    re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"),  # ISO, as a raw datetime prints
    re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}"),  # the old format (no comma, no zone)
    re.compile(r"\bUTC\b"),
)
SIGNED_IN = dt.datetime(2026, 7, 1, 8, 5, tzinfo=dt.UTC)  # summer: 09:05 BST


def _seed(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        rita = make_user(s, username="rita", name="Rita Reviewer")
        first, second = (make_submission(s, call_config) for _ in range(2))
        for sid in (first, second):
            assign(s, sid, rita)
        save_review(
            s,
            submission_id=first,
            reviewer_id=rita.user_id,
            actor="rita",
            submit=False,
            expected_version=None,
            config=call_config,
            draft=ReviewDraft(scores={"promise": 3}),
        )
        declare_conflict(s, submission_id=second, reviewer_id=rita.user_id, actor="rita", source="reviewer")
        s.execute(update(User).where(User.username == "rita").values(last_sign_in_at=SIGNED_IN))
    return {"admin": admin, "reviewer": rita}


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("admin", "pages/audit_log.py"),
        ("admin", "pages/users.py"),
        ("admin", "pages/assignments.py"),
        ("reviewer", "pages/my_reviews.py"),
    ],
)
def test_every_time_a_page_shows_is_uk_time_with_its_zone(db, db_url, call_config, who, page):
    viewer = _seed(db, call_config)[who]
    at = run_app(db_url, viewer, page=page)
    assert not at.exception, at.exception
    shown = texts(at)
    assert ONE_FORMAT.search(shown), f"{page} shows no time"
    for other in OTHER_FORMATS:
        assert not other.search(shown), (page, other.pattern, other.search(shown))
    if page == "pages/users.py":
        assert "1 Jul 2026, 09:05 BST" in shown  # the sign-in, in UK summer time
