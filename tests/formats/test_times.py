"""One time format and zone (formats.times): UK time, the zone named."""

import datetime as dt

import pandas as pd

from formats import times


def test_a_winter_time_reads_in_gmt_and_a_summer_time_in_bst():
    assert times.when(dt.datetime(2026, 12, 7, 9, 14, tzinfo=dt.UTC)) == "7 Dec 2026, 09:14 GMT"
    assert times.when(dt.datetime(2026, 7, 7, 9, 14, tzinfo=dt.UTC)) == "7 Jul 2026, 10:14 BST"


def test_a_time_without_a_zone_is_utc_as_stored_and_timestamps_and_iso_text_read_the_same():
    naive = dt.datetime(2026, 7, 7, 9, 14)
    assert times.when(naive) == "7 Jul 2026, 10:14 BST"
    assert times.when(pd.Timestamp("2026-07-07T09:14:00+00:00")) == "7 Jul 2026, 10:14 BST"
    assert times.when("2026-07-07T09:14:00+00:00") == "7 Jul 2026, 10:14 BST"
    assert times.clock(naive) == "10:14 BST"
    assert times.day("2026-12-21") == "21 Dec 2026"


def test_nothing_is_a_dash_never_none():
    assert times.when(None) == "—" and times.when(pd.NaT) == "—" and times.when(float("nan")) == "—"
    assert times.clock(None) == "—" and times.day(None) == "—"


def test_a_received_day_given_without_a_time_reads_as_that_day_not_as_one_in_the_morning():
    # "05/07/2021" in a file is stored as midnight UTC: shown as the day given, never "01:00 BST"
    assert times.received(dt.datetime(2021, 7, 5, tzinfo=dt.UTC)) == "5 Jul 2021"
    assert times.received(pd.Timestamp("2021-07-05")) == "5 Jul 2021"
    assert times.received(dt.datetime(2021, 12, 5)) == "5 Dec 2021"
    # a time given is shown as a time, in UK time with its zone
    assert times.received(dt.datetime(2021, 7, 5, 8, 14, 22, tzinfo=dt.UTC)) == "5 Jul 2021, 09:14 BST"
    assert times.received(None) == "—"
