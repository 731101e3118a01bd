"""The panel's discussion (data_access.discussion) on both databases: who reads
and who posts in every role and state, checked at the moment of each call;
authors shown as the reviews show them; bad posts refused with nothing changed;
every post audited without its text; the open discussions for Rankings."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import discussion as disc
from data_access.assignments import declare_conflict, remove_assignment
from data_access.audit import AuditFilter, list_entries
from data_access.errors import AccessDenied
from data_access.models import AuditEntry, DiscussionPost, Review, User
from data_access.privacy import erase_submission
from data_access.reviews import ReviewDraft, reopen_review, reviews_of_submission, save_review
from data_access.users import set_active
from tests.data_access.test_reviewer_run_cost import statements_of
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.dbdump import table_contents


@pytest.fixture
def panel(db, call_config):
    """A submission with three assigned reviewers: two submitted (a, b), one
    draft (drafting), one not started; plus a reviewer not assigned it, one
    in conflict, the admin and the office."""
    with db.write() as s:
        people = {
            "admin": make_user(s, role="admin", name="Ada Admin"),
            "office": make_user(s, role="office", name="Olu Office"),
            "a": make_user(s, name="Alice Reviewer"),
            "b": make_user(s, name="Bob Reviewer"),
            "drafting": make_user(s, name="Dana Drafting"),
            "not_started": make_user(s, name="Ned Notstarted"),
            "not_assigned": make_user(s, name="Nora Notassigned"),
            "conflicted": make_user(s, name="Carl Conflicted"),
        }
        sub = make_submission(s, call_config)
        for key in ("a", "b", "drafting", "not_started", "conflicted"):
            assign(s, sub, people[key])
        submit_review(s, call_config, sub, people["a"])
        submit_review(s, call_config, sub, people["b"])
        save_review(
            s,
            submission_id=sub,
            reviewer_id=people["drafting"].user_id,
            actor=people["drafting"].username,
            draft=ReviewDraft(comment="half done"),
            submit=False,
            expected_version=None,
            config=call_config,
        )
        declare_conflict(
            s, submission_id=sub, reviewer_id=people["conflicted"].user_id, actor="test", source="reviewer"
        )
    people["sub"] = sub
    return people


def post(db, viewer, sub, body):
    with db.write() as s:
        return disc.add_post(s, viewer=viewer, submission_id=sub, body=body)


def read(db, viewer, sub):
    with db.read() as s:
        return disc.thread(s, viewer=viewer, submission_id=sub)


@pytest.mark.parametrize(
    ("who", "reads", "posts"),
    [
        ("admin", True, True),
        ("office", True, False),
        ("a", True, True),
        ("drafting", False, False),
        ("not_started", False, False),
        ("not_assigned", False, False),
        ("conflicted", False, False),
    ],
)
def test_who_reads_and_who_posts_in_each_role_and_state(db, panel, who, reads, posts):
    sub, viewer = panel["sub"], panel[who]
    post(db, panel["b"], sub, "First thoughts from B.")
    if reads:
        thread = read(db, viewer, sub)
        assert [p.body for p in thread.posts] == ["First thoughts from B."]
        assert thread.may_post is posts
    else:
        with pytest.raises(AccessDenied):
            read(db, viewer, sub)
    before = table_contents(db)["discussion_posts"]
    if posts:
        post(db, viewer, sub, "A reply.")
        assert len(table_contents(db)["discussion_posts"]) == len(before) + 1
    else:
        with pytest.raises(AccessDenied):
            post(db, viewer, sub, "A reply.")
        assert table_contents(db)["discussion_posts"] == before


def test_a_reviewer_without_their_own_submitted_review_is_told_not_yet(db, panel):
    for who in ("drafting", "not_started"):
        with pytest.raises(disc.DiscussionNotYet):
            read(db, panel[who], panel["sub"])
    for who in ("not_assigned", "conflicted"):
        with pytest.raises(AccessDenied) as caught:
            read(db, panel[who], panel["sub"])
        assert not isinstance(caught.value, disc.DiscussionNotYet)


def test_a_deactivated_or_renamed_account_reads_and_posts_nothing(db, panel):
    sub = panel["sub"]
    post(db, panel["a"], sub, "Before.")
    with db.write() as s:
        set_active(s, user_id=panel["b"].user_id, active=False, actor=panel["admin"].username)
        set_active(s, user_id=panel["office"].user_id, active=False, actor=panel["admin"].username)
    for who in ("b", "office"):
        with pytest.raises(AccessDenied):
            read(db, panel[who], sub)
    with pytest.raises(AccessDenied):
        post(db, panel["b"], sub, "After.")
    with db.write() as s:  # the username changed under the open page
        s.get(User, panel["a"].user_id).username = "renamed-a"
    with pytest.raises(AccessDenied):
        post(db, panel["a"], sub, "After rename.")
    with db.read() as s:
        assert [p for (p,) in s.execute(select(DiscussionPost.body))] == ["Before."]


def test_access_ends_at_once_when_the_review_is_reopened_the_assignment_removed_or_a_conflict_declared(
    db, panel, call_config
):
    sub, a, b = panel["sub"], panel["a"], panel["b"]
    post(db, a, sub, "A posts.")
    post(db, b, sub, "B posts.")
    # A reopens their review, then the admin removes the assignment.
    with db.write() as s:
        version = s.scalar(select(Review.version).where(Review.reviewer_id == a.user_id, Review.submission_id == sub))
        reopen_review(s, submission_id=sub, reviewer_id=a.user_id, actor=a.username, expected_version=version)
    with pytest.raises(disc.DiscussionNotYet):
        read(db, a, sub)
    with db.write() as s:
        remove_assignment(s, submission_id=sub, reviewer_id=a.user_id, actor=panel["admin"].username)
    with pytest.raises(AccessDenied):
        read(db, a, sub)
    with pytest.raises(AccessDenied):
        post(db, a, sub, "A again.")
    # The admin records B's conflict: B's review is set aside and B is out at once.
    assert [p.body for p in read(db, b, sub).posts] == ["A posts.", "B posts."]
    with db.write() as s:
        declare_conflict(s, submission_id=sub, reviewer_id=b.user_id, actor=panel["admin"].username, source="admin")
    with pytest.raises(AccessDenied):
        read(db, b, sub)
    with pytest.raises(AccessDenied):
        post(db, b, sub, "B again.")
    # Their posts stay for the staff.
    assert [p.body for p in read(db, panel["admin"], sub).posts] == ["A posts.", "B posts."]


def test_authors_are_shown_as_the_reviews_show_them(db, panel):
    sub, a, b, admin, office = panel["sub"], panel["a"], panel["b"], panel["admin"], panel["office"]
    post(db, a, sub, "from A")
    post(db, b, sub, "from B")
    post(db, admin, sub, "from the admin")
    # Staff see names (and the admin's role).
    for viewer in (admin, office):
        authors = [p.author for p in read(db, viewer, sub).posts]
        expected_admin = "You" if viewer is admin else "Ada Admin (Admin)"
        assert authors == ["Alice Reviewer", "Bob Reviewer", expected_admin]
    # Reviewers see "You", the other's review letter, and "Admin": never a name.
    for me, other in ((a, b), (b, a)):
        with db.read() as s:
            letters = {
                r.reviewer_name
                for r in reviews_of_submission(s, submission_id=sub, viewer_role="reviewer", viewer_id=me.user_id)
                if not r.own
            }
        thread = read(db, me, sub)
        by_body = {p.body: p for p in thread.posts}
        mine = "from A" if me is a else "from B"
        theirs = "from B" if me is a else "from A"
        assert by_body[mine].author == "You" and by_body[mine].own
        assert by_body[theirs].author in letters and by_body[theirs].author.startswith("Reviewer ")
        assert by_body["from the admin"].author == "Admin"
        shown = " ".join(p.author for p in thread.posts)
        for name in ("Alice", "Bob", "Ada", other.username):
            assert name not in shown


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", disc.EMPTY_POST),
        ("   \n\t ", disc.EMPTY_POST),
        ("a\x00b", disc.NUL_IN_POST),
        ("x" * (disc.POST_MAX + 1), "the most allowed is 5,000"),
    ],
)
def test_a_bad_post_is_refused_in_words_and_nothing_changes(db, panel, body, message):
    before = table_contents(db)
    with pytest.raises(disc.PostError) as caught:
        post(db, panel["a"], panel["sub"], body)
    assert message in str(caught.value)
    assert table_contents(db) == before


def test_a_post_at_the_limit_is_kept_trimmed_of_surrounding_blank_space(db, panel):
    body = "y" * disc.POST_MAX
    post(db, panel["a"], panel["sub"], f"  {body}\n")
    assert [p.body for p in read(db, panel["a"], panel["sub"]).posts] == [body]


def test_every_post_is_audited_with_its_length_and_not_its_text(db, panel):
    secret = "Sensitive words that must stay out of the log"
    created = post(db, panel["a"], panel["sub"], secret)
    with db.read() as s:
        entries = list_entries(s, filters=AuditFilter(action="discussion.post"))
        all_text = " ".join(str(v) for row in s.execute(select(AuditEntry)).all() for v in row[0].__dict__.values())
    assert len(entries) == 1
    entry = entries.iloc[0]
    assert entry["actor"] == panel["a"].username
    assert str(entry["entity_id"]) == str(created.id)
    assert entry["new"] == {"submission_id": panel["sub"], "characters": len(secret)}
    assert secret not in all_text


def test_a_refused_post_writes_no_audit_entry_of_a_post(db, panel):
    with pytest.raises(AccessDenied):
        post(db, panel["office"], panel["sub"], "The office tries.")
    with db.read() as s:
        assert list_entries(s, filters=AuditFilter(action="discussion.post")).empty


def test_open_discussions_count_posts_and_leave_out_closed_flags(db, panel, call_config):
    sub = panel["sub"]
    with db.write() as s:
        quiet = make_submission(s, call_config)
        other = make_submission(s, call_config)
        assign(s, other, panel["a"])
        submit_review(s, call_config, other, panel["a"])
    post(db, panel["a"], sub, "one")
    post(db, panel["b"], sub, "two")
    last = post(db, panel["admin"], sub, "three")
    post(db, panel["a"], other, "elsewhere")
    with db.read() as s:
        found = disc.open_discussions(s, viewer=panel["office"])
        closed = disc.open_discussions(s, viewer=panel["admin"], closed_ids={other})
    by_id = {d.submission_id: d for d in found}
    assert set(by_id) == {sub, other}  # `quiet` has no posts, so no discussion
    assert quiet not in by_id
    assert (by_id[sub].posts, by_id[sub].open) == (3, True)
    assert by_id[sub].last_post_at == last.created_at
    assert by_id[other].posts == 1
    assert {d.submission_id: d.open for d in closed} == {sub: True, other: False}
    for who in ("a", "not_assigned"):
        with db.read() as s, pytest.raises(AccessDenied):
            disc.open_discussions(s, viewer=panel[who])


def test_an_erased_submission_takes_its_thread_with_it(db, panel, call_config):
    post(db, panel["a"], panel["sub"], "to go")
    with db.write() as s:
        erase_submission(s, submission_id=panel["sub"], actor=panel["admin"].username, reason="error")
    assert table_contents(db)["discussion_posts"] == []
    with db.read() as s:
        assert disc.open_discussions(s, viewer=panel["admin"]) == []


@pytest.mark.parametrize("who", ["a", "admin", "drafting", "conflicted", "not_assigned"])
def test_the_check_before_a_thread_is_one_statement_of_columns_and_still_refuses_a_missing_submission(db, panel, who):
    """Every rerun of a review's page checks the viewer's access to the discussion (issue 21): one SELECT
    of the account's columns and the viewer's ties to the submission, whatever the answer."""
    viewer = panel[who]

    def check(submission_id: int):
        def run():
            with db.read() as s:
                try:
                    return disc._check(s, viewer, submission_id)
                except AccessDenied as refused:
                    return refused

        return run

    sent = statements_of(db, check(panel["sub"]))
    assert len(sent) == 1
    assert "users.password_hash" not in sent[0][0] and "submissions.summary" not in sent[0][0]
    missing = check(panel["sub"] + 1000)()
    assert isinstance(missing, AccessDenied) and not isinstance(missing, disc.DiscussionNotYet)
    assert "no such submission" in str(missing)
