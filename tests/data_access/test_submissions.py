"""Submissions: validation on write, and what each viewer may read."""

import dataclasses

import pandas as pd
import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text, update

from access.visibility import FIELD_CLASSES, IDENTITY, field_class
from config import MULTI_VALUED, SINGLE_VALUED
from data_access import assignments, audit
from data_access.models import Submission, SubmissionLink
from data_access.submissions import (
    LIST_COLUMNS,
    AccessDenied,
    StaleSubmission,
    SubmissionError,
    SubmissionFilter,
    SubmissionView,
    create_submission,
    get_submission,
    list_submissions,
    load_submission_frame,
    mask_for_viewer,
    next_reference,
    publish_redactions,
    submission_version,
)
from tests.factories import assign, make_submission, make_user, submission_input
from tests.support.identity import marked_submission


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


# --- every field classified; every identity-bearing field masked, by every route ---------------------------


def test_every_column_of_the_model_and_field_of_the_view_is_classified(db, call_config):
    """A field added later without a class in access.visibility.FIELD_CLASSES fails here (and is
    masked meanwhile, as the next test shows)."""
    mapper = Submission.__mapper__
    stored = {column["name"] for column in sa_inspect(db.engine).get_columns("submissions")}  # after the migrations
    model = {c.name for c in Submission.__table__.columns} | {a.key for a in mapper.column_attrs}
    relations = {r.key for r in mapper.relationships}
    view = {f.name for f in dataclasses.fields(SubmissionView)}
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
        assign(s, make_submission(s, call_config), reviewer)
    with db.read() as s:
        frames = [list_submissions(s, viewer=v, config=call_config) for v in (admin, reviewer)]
    listed = set(LIST_COLUMNS).union(*(f.columns for f in frames))
    assert stored and model and view and listed  # the walk found fields
    assert sorted((stored | model | relations | view | listed) - FIELD_CLASSES.keys()) == []


def test_a_field_nobody_classified_is_masked_like_an_identity(db, call_config, panel):
    people, subs = panel
    assert field_class("a_field_added_later") == IDENTITY
    with db.read() as s:
        frame = load_submission_frame(s, ids={subs["named"], subs["anon"]}).set_index("id", drop=False)
    frame["a_field_added_later"] = ["Named secret", "Anonymous secret"]  # in id order: named, anon
    for blind, hidden in ((False, {subs["anon"]}), (True, {subs["named"], subs["anon"]})):
        shown = mask_for_viewer(frame, viewer=people["r1"], blind_review=blind)["a_field_added_later"]
        assert {i for i, v in shown.items() if v is None} == hidden, blind
        assert list(mask_for_viewer(frame, viewer=people["office"], blind_review=blind)["a_field_added_later"]) == [
            "Named secret",
            "Anonymous secret",
        ]


@pytest.fixture
def marked(db, call_config):
    """An anonymous and a named submission whose every text field carries a marker, both assigned to a reviewer."""
    with db.write() as s:
        people = {role: make_user(s, role=role) for role in ("admin", "office", "reviewer")}
        anon = marked_submission(s, call_config, "anon", anonymous=True, nation="wales", sector="education")
        named = marked_submission(s, call_config, "named", nation="wales", sector="education")
        for sub in (anon, named):
            assign(s, sub.id, people["reviewer"])
    return people, anon, named


def everything_the_reviewer_gets(s, viewer, config, sub) -> tuple[str, pd.DataFrame]:
    """The list, the detail, and the results of searching for each marker and of every filter that
    selects `sub`, as text; and the list itself."""
    frame = list_submissions(s, viewer=viewer, config=config)
    detail = get_submission(s, submission_id=sub.id, viewer=viewer, config=config)
    parts = [frame.to_csv(), repr(frame.to_dict("records")), repr(dataclasses.asdict(detail))]
    for name in (*MULTI_VALUED, *SINGLE_VALUED):
        value = detail.codes[name] if name in MULTI_VALUED else [detail.single[name]]
        if value and value[0]:
            found = list_submissions(s, viewer=viewer, config=config, flt=SubmissionFilter(**{name: (value[0],)}))
            assert sub.id in set(found["id"]), name
            parts.append(repr(found.to_dict("records")))
    return "\n".join(parts), frame


def search_ids(s, viewer, config, needle) -> set[int]:
    return set(list_submissions(s, viewer=viewer, config=config, flt=SubmissionFilter(search=needle))["id"])


@pytest.mark.parametrize("blind", [False, True], ids=["anonymous", "blind review"])
def test_no_identity_marker_reaches_a_reviewer_by_any_route(db, call_config, marked, blind):
    people, anon, named = marked
    config = dataclasses.replace(call_config, blind_review=blind)
    hidden_subs = [anon, named] if blind else [anon]
    with db.read() as s:
        got, _frame = everything_the_reviewer_gets(s, people["reviewer"], config, hidden_subs[-1])
        for sub in hidden_subs:
            assert sub.hidden() and sub.safe()
            for m in sub.hidden():
                assert m not in got, m
                assert search_ids(s, people["reviewer"], config, m) == set(), m  # searching finds nothing
            for m in sub.safe():  # control: what a reviewer assesses reaches them, and search finds it
                assert m in got and search_ids(s, people["reviewer"], config, m) == {sub.id}, m
        if not blind:  # control: a named submission's identity reaches the reviewer; its office notes do not
            for name, ms in named.markers.items():
                for m in ms:
                    assert (m in got) == (name != "notes"), m


def test_a_reviewers_view_does_not_depend_on_hidden_values(db, call_config, marked):
    """Whatever the hidden fields hold, the reviewer gets the same list, detail, search results and
    row order: no sorting or filtering over what they receive can tell them apart."""
    people, anon, _named = marked
    with db.read() as s:
        before, frame_before = everything_the_reviewer_gets(s, people["reviewer"], call_config, anon)
    replacement = {name: f"Other {name} value" for name in ("organisation", "contact_name", "region", "notes")}
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == anon.id).values(contact_email="z@z.example", **replacement))
        s.execute(
            update(SubmissionLink).where(SubmissionLink.submission_id == anon.id).values(url="https://zz.example")
        )
    with db.read() as s:
        after, frame_after = everything_the_reviewer_gets(s, people["reviewer"], call_config, anon)
        for value in replacement.values():
            assert search_ids(s, people["reviewer"], call_config, value) == set()
    assert after == before
    pd.testing.assert_frame_equal(frame_after, frame_before)
    for column in ("organisation", "region", "contact_name", "title"):  # the order any sort gives
        order = [
            list(f.sort_values(column, key=lambda c: c.astype(str), kind="stable")["id"])
            for f in (frame_before, frame_after)
        ]
        assert order[0] == order[1], column


def test_the_admin_and_the_office_see_every_marker(db, call_config, marked):
    people, anon, named = marked
    with db.read() as s:
        for role in ("admin", "office"):
            for blind in (False, True):
                config = dataclasses.replace(call_config, blind_review=blind)
                got, _ = everything_the_reviewer_gets(s, people[role], config, anon)
                for m in (*anon.all(), *named.all()):
                    assert m in got, (role, blind, m)


def _publish(db, viewer, sub_id, values):
    with db.read() as s:
        version = submission_version(s, submission_id=sub_id)
    with db.write() as s:
        return publish_redactions(s, submission_id=sub_id, values=values, viewer=viewer, expected_version=version)


PUBLISHED = {
    "organisation": "A survivor-led charity",
    "region": "A coastal town in Wales",
    "links": "The evaluation report (address withheld)\n\n  Annex  ",
}


@pytest.mark.parametrize("blind", [False, True], ids=["anonymous", "blind review"])
def test_a_published_version_is_shown_to_reviewers_instead_of_the_masked_value(db, call_config, marked, blind):
    people, anon, named = marked
    sub = named if blind else anon
    config = dataclasses.replace(call_config, blind_review=blind)
    assert _publish(db, people["admin"], sub.id, PUBLISHED) == {
        "organisation": "A survivor-led charity",
        "region": "A coastal town in Wales",
        "links": ["The evaluation report (address withheld)", "Annex"],
    }
    with db.read() as s:
        detail = get_submission(s, submission_id=sub.id, viewer=people["reviewer"], config=config)
        got, frame = everything_the_reviewer_gets(s, people["reviewer"], config, sub)
        assert search_ids(s, people["reviewer"], config, "coastal town") == {sub.id}
        assert search_ids(s, people["reviewer"], config, "survivor-led") == {sub.id}
        office = get_submission(s, submission_id=sub.id, viewer=people["office"], config=config)
    assert set(detail.redacted_fields) == {"organisation", "region", "links"}
    assert detail.region == "A coastal town in Wales" and detail.organisation == "A survivor-led charity"
    assert detail.links == ["The evaluation report (address withheld)", "Annex"]
    assert detail.contact_name is None and detail.contact_email is None and detail.redactions == {}
    row = frame.set_index("id").loc[sub.id]
    assert row["region"] == "A coastal town in Wales" and row["links"] == detail.links
    for m in sub.hidden():
        assert m not in got, m
    assert sub.markers["region"][0] in office.region and office.redactions["region"] == "A coastal town in Wales"


def test_publishing_is_checked_refused_whole_and_logged(db, call_config, marked):
    people, anon, _named = marked
    with db.read() as s:
        version = submission_version(s, submission_id=anon.id)
    with db.read() as s:
        real = s.get(Submission, anon.id)
        own_region = f"Near {real.region.upper()}"  # the contributor's own words, in other case
        own_domain = real.contact_email.split("@")[1]
        spaced_organisation = "  ".join(real.organisation.upper().split()) + "."  # a near-copy
        surname = real.contact_name.split()[-1]
    refused = [
        ({"region": own_region}, "region"),
        ({"links": f"Another page at https://{anon.markers['links'][0]}.example/"}, "links"),  # their host
        ({"organisation": f"Someone at {own_domain}"}, "organisation"),  # their email's domain
        ({"organisation": f"Part of {spaced_organisation}"}, "organisation"),
        ({"organisation": f"The team of Dr {surname}"}, "organisation"),  # the contact's surname alone
        ({"title": "A new title"}, "title"),  # not an identity field
        ({"region": "x" * 1001}, "region"),
        ({"region": "Fine", "organisation": own_region}, "organisation"),  # one problem refuses all of it
    ]
    for values, problem_field in refused:
        with pytest.raises(SubmissionError) as info, db.write() as s:
            publish_redactions(
                s, submission_id=anon.id, values=values, viewer=people["admin"], expected_version=version
            )
        assert problem_field in [p.field for p in info.value.problems], values
    with pytest.raises(AccessDenied), db.write() as s:
        publish_redactions(
            s, submission_id=anon.id, values={"region": "Wales"}, viewer=people["office"], expected_version=version
        )
    with pytest.raises(StaleSubmission), db.write() as s:
        publish_redactions(
            s, submission_id=anon.id, values={"region": "Wales"}, viewer=people["admin"], expected_version=version + 1
        )
    with db.read() as s:
        assert s.get(Submission, anon.id).redactions is None
        assert submission_version(s, submission_id=anon.id) == version
        assert audit.list_entries(s, filters=audit.AuditFilter(action="submission.redactions")).empty
    _publish(db, people["admin"], anon.id, {"region": "Wales"})
    _publish(db, people["admin"], anon.id, {"region": ""})  # withdrawn
    with db.read() as s:
        assert s.get(Submission, anon.id).redactions is None
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="submission.redactions"))
    assert len(entries) == 2 and set(entries["actor"]) == {people["admin"].username}
