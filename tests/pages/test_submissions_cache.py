"""Issue 21: the Submissions page reads the admin's and the office's list (every submission, its codes and links)
once for each change of the tables it comes from, shared by every session (`ui.submission_list`): another user's
saved review reads nothing again, and whatever changes the list (an edit, a code, a link, an erasure) shows at the
next visit. A reviewer's list is read on each visit, their assignments only."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from sqlalchemy import select, update

import ui.submission_list
from data_access import submissions as submissions_da
from data_access.models import Submission, SubmissionCode, SubmissionLink
from data_access.privacy import erase_submission
from data_access.submissions import SubmissionFilter, list_submissions, load_submission_frame
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_office_caches import count_calls
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/submissions.py"


@pytest.fixture
def scene(db, call_config):
    with db.write() as s:
        office = make_user(s, role="office")
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
        other = make_user(s, role="reviewer")
        ids = [
            make_submission(s, call_config, reference=f"CFE-{i:04d}", title=f"Evidence {i:02d}", anonymous=i == 2)
            for i in range(1, 6)
        ]
        for sid in ids[:2]:
            assign(s, sid, reviewer)
        assign(s, ids[0], other)
    return {"office": office, "admin": admin, "reviewer": reviewer, "other": other, "ids": ids}


def listed(at) -> list[str]:
    return list(at.dataframe[0].value["Reference"])


def titles(at) -> list[str]:
    return list(at.dataframe[0].value["Title"])


def test_the_staff_list_is_read_once_per_change_and_every_change_shows(db, db_url, scene, call_config, monkeypatch):
    ui.submission_list._every.clear()
    reads = count_calls(monkeypatch, ui.submission_list, "load_submission_frame")
    office = run_app(db_url, scene["office"], page=PAGE)
    admin = run_app(db_url, scene["admin"], page=PAGE)
    assert not office.exception and not admin.exception
    assert listed(office) == listed(admin) == [f"CFE-{i:04d}" for i in range(1, 6)]
    assert len(reads) == 1  # the second session had the first's

    with db.write() as s:  # another user's review: no table of the list changed
        submit_review(s, call_config, scene["ids"][0], scene["reviewer"])
    rerun(office, db_url)
    assert len(reads) == 1 and listed(office) == [f"CFE-{i:04d}" for i in range(1, 6)]

    with db.write() as s:  # an edit of a submission
        s.execute(update(Submission).where(Submission.id == scene["ids"][3]).values(title="Renamed evidence"))
    rerun(office, db_url)
    assert len(reads) == 2 and "Renamed evidence" in titles(office)
    rerun(admin, db_url)
    assert len(reads) == 2 and "Renamed evidence" in titles(admin)  # read once for both

    with db.read() as s:
        had = set(s.scalars(select(SubmissionCode.code).where(SubmissionCode.submission_id == scene["ids"][4])))
    theme = next(t for t in call_config.vocabulary("themes").ids if t not in had)
    office.session_state["submissions.filter.themes"] = [theme]
    rerun(office, db_url)
    assert "CFE-0005" not in listed(office) and len(reads) == 2
    with db.write() as s:  # a code added: the filter finds it at once
        position = s.query(SubmissionCode).filter_by(submission_id=scene["ids"][4], field="themes").count()
        s.add(SubmissionCode(submission_id=scene["ids"][4], field="themes", code=theme, position=position))
    rerun(office, db_url)
    assert "CFE-0005" in listed(office) and len(reads) == 3
    office.session_state["submissions.filter.themes"] = []

    with db.write() as s:  # a link added: the search finds it
        s.add(SubmissionLink(submission_id=scene["ids"][1], url="https://found.example/unique-path", position=9))
    with db.read() as s:
        every = load_submission_frame(s, links=True)
    assert "https://found.example/unique-path" in every.set_index("reference").at["CFE-0002", "links"]
    rerun(office, db_url)
    assert len(reads) == 4

    with db.write() as s:  # an erasure: gone from the list at the next visit
        erase_submission(s, submission_id=scene["ids"][3], actor="admin", reason="request")
    rerun(office, db_url)
    rerun(admin, db_url)
    assert "Renamed evidence" not in texts(office) and "Renamed evidence" not in texts(admin)
    assert "CFE-0004" not in listed(office) and "CFE-0004" not in listed(admin)
    assert len(reads) == 5


def test_a_reviewers_list_is_their_own_read_each_visit_never_the_shared_one(db, db_url, scene, monkeypatch):
    ui.submission_list._every.clear()
    shared = count_calls(monkeypatch, ui.submission_list, "load_submission_frame")
    office = run_app(db_url, scene["office"], page=PAGE)
    assert len(shared) == 1
    reviewer = run_app(db_url, scene["reviewer"], page=PAGE)
    other = run_app(db_url, scene["other"], page=PAGE)
    assert listed(reviewer) == ["CFE-0001", "CFE-0002"] and listed(other) == ["CFE-0001"]
    assert len(shared) == 1  # neither reviewer touched the staff list
    assert "Evidence 03" not in texts(reviewer) and "Evidence 03" in texts(office)
    with db.write() as s:
        assign(s, scene["ids"][4], scene["other"])
    rerun(other, db_url)
    assert listed(other) == ["CFE-0001", "CFE-0005"]  # an assignment shows at once


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_shared_frame_lists_exactly_what_a_fresh_read_does_and_is_never_changed(db, scene, call_config, role):
    viewer = scene[role]
    with db.read() as s:
        every = load_submission_frame(s, links=True)
        before = copy.deepcopy(every)
        for flt in (
            SubmissionFilter(),
            SubmissionFilter(search="evidence 0"),
            SubmissionFilter(anonymous=True),
            SubmissionFilter(themes=(call_config.vocabulary("themes").ids[0],)),
        ):
            fresh = list_submissions(s, viewer=viewer, config=call_config, flt=flt)
            shared = list_submissions(s, viewer=viewer, config=call_config, flt=flt, every=every)
            pd.testing.assert_frame_equal(shared, fresh)
            shared.loc[:, "title"] = "changed by a caller"  # a caller's copy: the shared frame stays
    pd.testing.assert_frame_equal(every, before)
    assert submissions_da.LIST_TABLES == ("submissions", "submission_codes", "submission_links")
