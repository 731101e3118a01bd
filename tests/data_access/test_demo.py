"""The demo call: deterministic, clearly synthetic, uneven, with gaps."""

from collections import Counter

import pytest
from sqlalchemy import text

from data_access import reviews
from data_access.demo import DELIBERATE_GAPS, DEMO_USERS, NATION_GAPS, generate_demo, seed_demo
from documents.generate import demo_documents
from importing.submission_rules import check_submission


def test_the_generator_is_deterministic(call_config):
    first, second = generate_demo(call_config), generate_demo(call_config)
    assert [s.as_dict() for s in first.submissions] == [s.as_dict() for s in second.submissions]
    assert first.assignments == second.assignments
    assert [(r.submission_index, r.reviewer, r.scores) for r in first.reviews] == [
        (r.submission_index, r.reviewer, r.scores) for r in second.reviews
    ]


def test_the_demo_is_valid_synthetic_and_uneven(call_config):
    demo = generate_demo(call_config)
    subs = demo.submissions
    assert 250 <= len(subs) <= 350
    for sub in subs:
        assert not [p for p in check_submission(sub, call_config) if p.severity == "error"]
        assert sub.contact_email.endswith(".example")
        assert "Synthetic demo data" in sub.summary
    assert 0 < sum(s.anonymous for s in subs) < len(subs) / 5
    impacts = Counter(s.reported_impact for s in subs)
    assert impacts["negative"] >= 5
    prefs = Counter(s.presentation_preference for s in subs)
    assert set(prefs) == {"in_person", "virtual", "either", "not_available"}
    nations = Counter(s.nation for s in subs)
    assert nations["england"] > 3 * nations["scotland"] > 0  # uneven, like real calls
    cells = {(f, e) for s in subs for f in s.focus_areas for e in s.exploitation_types}
    for gap in DELIBERATE_GAPS:
        assert gap not in cells, gap
    for nation, forms in NATION_GAPS.items():
        assert not any(s.nation == nation and set(s.exploitation_types) & forms for s in subs)


def test_a_subset_of_submissions_carries_the_themes_demo_documents_and_every_reviewer_has_a_pdf(call_config):
    demo = generate_demo(call_config)
    themes = call_config.vocabulary("themes").ids
    names = {d.filename: d for d in demo_documents(themes)}
    carrying = {i for i, _ in demo.documents}
    assert 10 <= len(carrying) <= len(demo.submissions) / 5  # a subset, not all
    assert len(set(demo.documents)) == len(demo.documents)  # a file once per submission
    kinds = Counter()
    for i, name in demo.documents:
        assert names[name].theme in demo.submissions[i].themes  # the submission's own theme
        kinds[names[name].kind] += 1
    assert kinds["pdf"] >= 5 and kinds["docx"] >= 5
    assert {names[name].theme for _, name in demo.documents} == set(themes)
    conflicted = {(i, r) for i, r, _ in demo.conflicts}
    for user in DEMO_USERS:
        if user.role == "reviewer":
            mine = {i for i, r in demo.assignments if r == user.username and (i, r) not in conflicted}
            assert any(i in mine and name.endswith(".pdf") for i, name in demo.documents), user.username


def test_seeding_writes_users_submissions_assignments_and_partly_finished_reviews(db, call_config):
    counts = seed_demo(db, config=call_config, bcrypt_rounds=4, n=60)
    assert counts["users"] == len(DEMO_USERS) == 8
    assert counts["submissions"] == 60
    with db.read() as s:
        progress = reviews.review_progress(s)
        roles = Counter(s.execute(text("SELECT role FROM users")).scalars())
        per_sub = s.execute(text("SELECT count(*) FROM assignments GROUP BY submission_id")).scalars().all()
    assert roles == {"reviewer": 6, "admin": 1, "office": 1}
    assert set(per_sub) == {call_config.reviewers_per_submission}
    assert progress["submitted"].sum() > 0 and progress["drafts"].sum() > 0 and progress["not_started"].sum() > 0
    assert progress["submitted"].max() > 2 * progress["submitted"].min()  # partly finished, unevenly


def test_seeding_refuses_a_database_with_data(db, call_config):
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=5)
    with db.read() as s:
        before = s.execute(text("SELECT count(*) FROM submissions")).scalar()
    with pytest.raises(RuntimeError, match="not empty"):
        seed_demo(db, config=call_config, bcrypt_rounds=4, n=5)
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM submissions")).scalar() == before == 5
