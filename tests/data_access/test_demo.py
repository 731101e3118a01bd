"""The demo call: deterministic, clearly synthetic, uneven, with gaps.

The seeded demo's tests read a copy of a demo call of 60 submissions seeded once per test process
and database kind (tests.support.demo_copies, with what `seed_demo` returned), not a seeding each."""

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from access.visibility import Viewer
from data_access import documents, reviews, users
from data_access.demo import DELIBERATE_GAPS, DEMO_USERS, NATION_GAPS, WORD_DOCUMENTS, generate_demo, seed_demo
from data_access.errors import AccessDenied
from documents.generate import NOTICE, demo_documents
from importing.submission_rules import check_submission
from tests.conftest import DATABASES
from tests.support.demo_copies import demo_call, seeded_counts

SEEDED = 60  # submissions in the seeded demo's tests


@pytest.fixture(params=DATABASES)
def seeded(request, tmp_path) -> Iterator[tuple]:
    """A database of the test's own holding the demo call of `SEEDED` submissions (SQLite and
    PostgreSQL), and what seeding it returned."""
    with demo_call(request, tmp_path, SEEDED) as db:
        yield db, seeded_counts(db, SEEDED)


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
    assert kinds["pdf"] >= 10 and 1 <= kinds["docx"] <= WORD_DOCUMENTS  # Word files cost most to check
    assert {names[name].theme for _, name in demo.documents} == set(themes)
    conflicted = {(i, r) for i, r, _ in demo.conflicts}
    for user in DEMO_USERS:
        if user.role == "reviewer":
            mine = {i for i, r in demo.assignments if r == user.username and (i, r) not in conflicted}
            assert any(i in mine and name.endswith(".pdf") for i, name in demo.documents), user.username


def test_seeding_writes_users_submissions_assignments_and_partly_finished_reviews(seeded, call_config):
    db, counts = seeded
    assert counts["users"] == len(DEMO_USERS) == 8
    assert counts["submissions"] == SEEDED == 60
    with db.read() as s:
        progress = reviews.review_progress(s)
        roles = Counter(s.execute(text("SELECT role FROM users")).scalars())
        per_sub = s.execute(text("SELECT count(*) FROM assignments GROUP BY submission_id")).scalars().all()
    assert roles == {"reviewer": 6, "admin": 1, "office": 1}
    assert set(per_sub) == {call_config.reviewers_per_submission}
    assert progress["submitted"].sum() > 0 and progress["drafts"].sum() > 0 and progress["not_started"].sum() > 0
    assert progress["submitted"].max() > 2 * progress["submitted"].min()  # partly finished, unevenly


def test_the_seeded_demo_has_documents_each_stored_once_and_an_assigned_reviewer_reads_one(seeded, call_config):
    db, counts = seeded
    demo = generate_demo(call_config, n=SEEDED)
    with db.read() as s:
        stored = s.execute(text("SELECT count(*) FROM submission_documents")).scalar()
        contents = s.execute(text("SELECT count(*) FROM document_contents")).scalar()
        ids = dict(s.execute(text("SELECT reference, id FROM submissions")).all())
        people = {u: users.get_user_by_username(s, u) for u in ("reviewer1", "reviewer2", "reviewer3", "reviewer4")}
    assert counts["documents"] == stored == len(demo.documents) > 0
    files = {name for _, name in demo.documents}
    assert contents <= 2 * len(files) < 2 * stored  # an original and a cleaned copy per file, not per attachment

    # reviewer1's first assigned submission that carries a PDF (the plan gives every reviewer one).
    mine = {i for i, r in demo.assignments if r == "reviewer1"}
    i = next(i for i, name in demo.documents if i in mine and name.endswith(".pdf"))
    submission_id = ids[demo.submissions[i].reference]
    outsider = next(u for u in people.values() if (i, u.username) not in set(demo.assignments))
    as_viewer = {u: Viewer(p.id, p.username, p.name, p.role) for u, p in people.items()}
    with db.write() as s:
        listed = documents.list_documents(s, submission_id=submission_id, viewer=as_viewer["reviewer1"])
        pdf = next(d for d in listed if d.kind == "pdf")
        body = documents.document_text(s, document_id=pdf.id, viewer=as_viewer["reviewer1"])
    assert len(listed) == sum(j == i for j, _ in demo.documents)
    assert re.fullmatch(r"Document \d \(PDF, 2 pages\)", pdf.label) and pdf.original_name is None
    assert NOTICE in " ".join(body.split())
    with pytest.raises(AccessDenied), db.write() as s:  # a reviewer without the assignment: nothing
        documents.list_documents(s, submission_id=submission_id, viewer=as_viewer[outsider.username])


def test_seeding_refuses_a_database_with_data(db, call_config):
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=5)
    with db.read() as s:
        before = s.execute(text("SELECT count(*) FROM submissions")).scalar()
    with pytest.raises(RuntimeError, match="not empty"):
        seed_demo(db, config=call_config, bcrypt_rounds=4, n=5)
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM submissions")).scalar() == before == 5
