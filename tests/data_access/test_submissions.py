"""Submissions: validation on write, and what each viewer may read."""

import dataclasses

import pytest
from sqlalchemy import text

from data_access import assignments
from data_access.submissions import (
    AccessDenied,
    SubmissionError,
    SubmissionFilter,
    create_submission,
    get_submission,
    list_submissions,
    next_reference,
)
from tests.factories import assign, make_submission, make_user, submission_input


@pytest.fixture
def panel(db, call_config):
    """Two reviewers, office, admin; a named, an anonymous and an unassigned submission."""
    with db.write() as s:
        people = {r: make_user(s, role=r) for r in ("admin", "office")}
        people["r1"] = make_user(s, role="reviewer")
        people["r2"] = make_user(s, role="reviewer")
        subs = {
            "named": make_submission(
                s,
                call_config,
                title="Named work",
                organisation="Larkfield Trust",
                contact_name="Ada Example",
                contact_email="ada@larkfield.example",
                reported_impact="positive",  # not left to the factory's chance: the filter test counts negatives
            ),
            "anon": make_submission(
                s,
                call_config,
                title="Anonymous evaluation",
                anonymous=True,
                organisation="Hidden Org",
                contact_name="Secret Person",
                contact_email="secret@hidden.example",
                reported_impact="negative",
            ),
            "other": make_submission(
                s, call_config, title="Not assigned to r1", organisation="Elsewhere", reported_impact="mixed"
            ),
        }
        for key in ("named", "anon"):
            assign(s, subs[key], people["r1"])
        assign(s, subs["other"], people["r2"])
    return people, subs


def test_a_reviewer_lists_only_their_assignments(db, call_config, panel):
    people, subs = panel
    with db.read() as s:
        frame = list_submissions(s, viewer=people["r1"], config=call_config)
    assert set(frame["id"]) == {subs["named"], subs["anon"]}


def test_reviewers_never_see_an_anonymous_identity_anywhere(db, call_config, panel):
    people, subs = panel
    with db.read() as s:
        frame = list_submissions(s, viewer=people["r1"], config=call_config)
        detail = get_submission(s, submission_id=subs["anon"], viewer=people["r1"], config=call_config)
        found = list_submissions(
            s, viewer=people["r1"], config=call_config, flt=SubmissionFilter(search="Secret Person")
        )
        by_org = list_submissions(s, viewer=people["r1"], config=call_config, flt=SubmissionFilter(search="Hidden"))
    row = frame.set_index("id").loc[subs["anon"]]
    assert row["organisation"] == "(anonymous)" and row["contact_name"] is None and row["contact_email"] is None
    assert "Secret Person" not in frame.to_csv() and "Hidden Org" not in frame.to_csv()
    assert detail.contact_name is None and detail.contact_email is None and not detail.identity_visible
    assert "Hidden Org" not in repr(dataclasses.asdict(detail))
    assert found.empty and by_org.empty  # searching a hidden identity finds nothing


def test_blind_review_hides_every_identity_from_reviewers_only(db, call_config, panel):
    people, subs = panel
    blind = dataclasses.replace(call_config, blind_review=True)
    with db.read() as s:
        reviewer_frame = list_submissions(s, viewer=people["r1"], config=blind)
        office_frame = list_submissions(s, viewer=people["office"], config=blind)
        detail = get_submission(s, submission_id=subs["named"], viewer=people["r1"], config=blind)
    assert "Larkfield Trust" not in reviewer_frame.to_csv() and "Ada Example" not in reviewer_frame.to_csv()
    assert detail.organisation == "(hidden)" and detail.contact_email is None
    assert "Larkfield Trust" in set(office_frame["organisation"])


def test_office_and_admin_see_anonymous_contact_details_marked_as_such(db, call_config, panel):
    people, subs = panel
    with db.read() as s:
        for role in ("office", "admin"):
            detail = get_submission(s, submission_id=subs["anon"], viewer=people[role], config=call_config)
            assert detail.anonymous and detail.identity_visible and detail.contact_name == "Secret Person"


def test_a_reviewer_cannot_open_an_unassigned_submission(db, call_config, panel):
    people, subs = panel
    with db.read() as s, pytest.raises(AccessDenied):
        get_submission(s, submission_id=subs["other"], viewer=people["r1"], config=call_config)
    with db.read() as s, pytest.raises(AccessDenied):
        get_submission(s, submission_id=999_999, viewer=people["r1"], config=call_config)


def test_a_conflicted_reviewer_sees_the_reference_only(db, call_config, panel):
    people, subs = panel
    with db.write() as s:
        assignments.declare_conflict(
            s,
            submission_id=subs["named"],
            reviewer_id=people["r1"].user_id,
            actor=people["r1"].username,
            source="reviewer",
            reason="colleague",
        )
    with db.read() as s:
        detail = get_submission(s, submission_id=subs["named"], viewer=people["r1"], config=call_config)
        frame = list_submissions(s, viewer=people["r1"], config=call_config)
    assert detail.restricted and detail.title == "" and detail.summary == "" and detail.organisation is None
    assert subs["named"] not in set(frame["id"])


def test_filters_and_search(db, call_config, panel):
    people, subs = panel
    with db.read() as s:
        negative = list_submissions(
            s, viewer=people["office"], config=call_config, flt=SubmissionFilter(reported_impact=("negative",))
        )
        by_title = list_submissions(
            s, viewer=people["office"], config=call_config, flt=SubmissionFilter(search="named WORK")
        )
        anonymous = list_submissions(
            s, viewer=people["office"], config=call_config, flt=SubmissionFilter(anonymous=True)
        )
    assert list(negative["id"]) == [subs["anon"]]
    assert list(by_title["id"]) == [subs["named"]]
    assert list(anonymous["id"]) == [subs["anon"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"summary": ""}, "summary"),
        ({"themes": []}, "themes"),
        ({"themes": ["theme_three"]}, "themes"),
        ({"sector": "astronauts"}, "sector"),
        ({"contact_email": "not an email"}, "contact_email"),
        ({"organisation": None, "contact_name": None}, "organisation"),
        ({"reference": "bad ref with spaces"}, "reference"),
        ({"exploitation_types": ["forced_labour", "forced_labour"]}, "exploitation_types"),
    ],
)
def test_invalid_submissions_are_refused_whole(db, call_config, overrides, field):
    with pytest.raises(SubmissionError) as info, db.write() as s:
        create_submission(s, data=submission_input(call_config, **overrides), config=call_config, actor="test")
    assert field in [p.field for p in info.value.problems]
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM submissions")).scalar() == 0


def test_references_are_generated_in_sequence_and_must_be_unique(db, call_config):
    with db.write() as s:
        first = create_submission(s, data=submission_input(call_config), config=call_config, actor="t")
        make_submission(s, call_config, reference="CFE-0041")
        assert next_reference(s, "CFE") == "CFE-0042"
        ref = s.execute(text("SELECT reference FROM submissions WHERE id = :i"), {"i": first}).scalar()
        assert ref == "CFE-0001"
    with pytest.raises(SubmissionError, match="already used"), db.write() as s:
        make_submission(s, call_config, reference="CFE-0041")


def test_contributor_text_is_stored_exactly_as_typed(db, call_config):
    nasty = '=HYPERLINK("http://x.example")<script>alert(1)</script> £ café 日本 $x^2$ :red[hi]'
    with db.write() as s:
        sid = make_submission(s, call_config, title=nasty, summary=nasty, organisation=nasty)
        admin = make_user(s, role="admin")
    with db.read() as s:
        detail = get_submission(s, submission_id=sid, viewer=admin, config=call_config)
    assert detail.title == nasty and detail.summary == nasty and detail.organisation == nasty
