"""Coverage's review progress counts the reviews submitted each day (UTC) in the database
(`data_access.coverage.reviews_per_day`): the same counts as a time per review (`review_times`), on both
databases, with drafts and reviews submitted just before and after midnight UTC."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import update

from data_access.coverage import review_times, reviews_per_day
from data_access.models import Review
from scoring.coverage import progress_by_day, review_progress
from tests.factories import assign, make_submission, make_user, submit_review

TIMES = (
    dt.datetime(2021, 9, 6, 23, 59, 59, 999000, tzinfo=dt.UTC),
    dt.datetime(2021, 9, 7, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2021, 9, 7, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # 6 Sep 23:30 UTC
    dt.datetime(2021, 9, 9, 12, 0, tzinfo=dt.UTC),
)


def test_reviews_per_day_counts_what_the_review_times_give(db, call_config):
    with db.write() as s:
        reviewer = make_user(s)
        ids = [make_submission(s, call_config) for _ in range(len(TIMES) + 1)]
        for sid in ids:
            assign(s, sid, reviewer)
        for sid, when in zip(ids, TIMES, strict=False):
            submit_review(s, call_config, sid, reviewer)
            s.execute(update(Review).where(Review.submission_id == sid).values(submitted_at=when))
        s.execute(update(Review).where(Review.submission_id == ids[0]).values(status="draft"))  # counts nowhere
    with db.read() as s:
        counted = reviews_per_day(s)
        times = review_times(s)
    assert counted == {dt.date(2021, 9, 6): 1, dt.date(2021, 9, 7): 1, dt.date(2021, 9, 9): 1}
    assert counted == Counter(t.astimezone(dt.UTC).date() for t in times)
    assert progress_by_day(counted, due=4).equals(review_progress(times, due=4))


def test_progress_by_day_is_in_date_order_with_running_totals():
    progress = progress_by_day({dt.date(2021, 9, 9): 2, dt.date(2021, 9, 6): 1, dt.date(2021, 9, 7): 0}, due=6)
    assert list(progress["date"]) == [dt.date(2021, 9, 6), dt.date(2021, 9, 9)]
    assert list(progress["cumulative"]) == [1, 3]
    assert list(progress["percent_of_due"]) == [16.7, 50.0]
    assert progress_by_day({}, due=3).empty
    assert progress_by_day({}, due=0).equals(review_progress([], due=0))
