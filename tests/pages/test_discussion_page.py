"""The panel's discussion on the pages (ui.discussion), in the real app through
AppTest: who sees the thread and the post box on Submissions and My reviews,
posts shown as text, anonymous identities absent, a deep link without access
showing nothing of the thread, and Rankings' open discussions of flagged
submissions with a link to each thread."""

from __future__ import annotations

import pytest

from data_access import audit
from data_access import discussion as disc
from data_access.assignments import declare_conflict
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_submission_links import open_url, page_links
from tests.support.apptest import rerun, run_app, texts
from ui import discussion as ui_disc

SUBMISSIONS = "pages/submissions.py"
MY_REVIEWS = "pages/my_reviews.py"
RANKINGS = "pages/rankings.py"
HOSTILE = "<script>alert(1)</script> **bold** [link](javascript:alert(1)) <img src=x onerror=alert(2)>"
ORGANISATION = "Hidden Survivors Collective"
CONTACT = "Jo Contactperson"
EMAIL = "jo@hidden-survivors.example"


@pytest.fixture
def panel(db, call_config):
    """CFE-0001, anonymous, reviewed 1 and 5 by A and B (so flagged); C assigned, not started;
    D not assigned; plus the admin and the office."""
    with db.write() as s:
        people = {
            "admin": make_user(s, role="admin", name="Ada Admin"),
            "office": make_user(s, role="office", name="Olu Office"),
            "a": make_user(s, name="Alice Reviewer"),
            "b": make_user(s, name="Bob Reviewer"),
            "c": make_user(s, name="Cleo Notstarted"),
            "d": make_user(s, name="Dev Notassigned"),
        }
        sub = make_submission(
            s,
            call_config,
            reference="CFE-0001",
            anonymous=True,
            organisation=ORGANISATION,
            contact_name=CONTACT,
            contact_email=EMAIL,
        )
        for key, score in (("a", 1), ("b", 5)):
            assign(s, sub, people[key])
            submit_review(s, call_config, sub, people[key], scores=dict.fromkeys(call_config.criterion_ids, score))
        assign(s, sub, people["c"])
    people["sub"] = sub
    return people


def add(db, viewer, sub, body):
    with db.write() as s:
        disc.add_post(s, viewer=viewer, submission_id=sub, body=body)


def open_submission(db_url, viewer, reference="CFE-0001"):
    at = open_url(run_app(db_url, viewer, page=SUBMISSIONS), db_url, submission=reference)
    assert not at.exception, at.exception
    return at


def post_box(at):
    return [t for t in at.text_area if ".discussion." in (t.key or "")]


def send(at, db_url, body):
    box = post_box(at)
    assert len(box) == 1
    box[0].input(body)
    next(b for b in at.button if b.label == "Post").click()
    return rerun(at, db_url)


def texts_shown_as_text(at) -> list[str]:
    return [el.value for el in at.text]


def test_a_reviewer_who_submitted_posts_and_sees_the_post_as_text_and_the_box_empties(db, db_url, panel):
    at = open_submission(db_url, panel["a"])
    assert "Discussion" in [h.value for h in at.header]
    assert ui_disc.NO_POSTS in texts(at)
    at = send(at, db_url, HOSTILE)
    assert not at.exception, at.exception
    assert ui_disc.POSTED in texts(at)
    assert HOSTILE in texts_shown_as_text(at)  # literally, through st.text
    for kind in ("markdown", "caption", "html", "header", "subheader", "success", "error", "info"):
        for el in at.get(kind):
            assert "alert(" not in str(getattr(el, "value", "")), kind
    assert "You" in texts_shown_as_text(at)
    assert [t.value for t in post_box(at)] == [""]  # the box is empty for the next post
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="discussion.post"))
    assert list(entries["actor"]) == [panel["a"].username]


def test_an_empty_post_is_refused_in_words_and_nothing_is_stored(db, db_url, panel):
    at = open_submission(db_url, panel["a"])
    at = send(at, db_url, "   ")
    assert disc.EMPTY_POST in [e.value for e in at.error]
    with db.read() as s:
        assert disc.thread(s, viewer=panel["admin"], submission_id=panel["sub"]).posts == ()


def test_the_other_reviewer_sees_the_post_under_a_review_letter_never_a_name_or_the_identity(db, db_url, panel):
    add(db, panel["a"], panel["sub"], "A thinks the evidence is thin.")
    add(db, panel["admin"], panel["sub"], "The admin asks for detail.")
    at = open_submission(db_url, panel["b"])
    shown = texts_shown_as_text(at)
    assert "A thinks the evidence is thin." in shown
    assert "Reviewer A" in shown and "Admin" in shown
    everything = texts(at)
    for secret in ("Alice", "Ada Admin", panel["a"].username, ORGANISATION, CONTACT, EMAIL):
        assert secret not in everything
    # The staff see the names.
    at = open_submission(db_url, panel["admin"])
    shown = texts_shown_as_text(at)
    assert "Alice Reviewer" in shown and "You" in shown


def test_my_reviews_shows_the_thread_below_the_other_reviews_with_the_same_letters(db, db_url, panel):
    add(db, panel["a"], panel["sub"], "Posted by A.")
    at = run_app(db_url, panel["b"], page=MY_REVIEWS)
    assert not at.exception, at.exception
    subheaders = [h.value for h in at.header]
    assert subheaders.index("Discussion") > subheaders.index("Other reviews")
    shown = texts_shown_as_text(at)
    assert shown.count("Reviewer A") == 2  # the review card and the post: the same letter
    assert "Posted by A." in shown
    assert len(post_box(at)) == 1


@pytest.mark.parametrize("who", ["c", "office"])
def test_who_may_not_post_gets_no_box_and_a_reviewer_without_a_review_reads_nothing(db, db_url, panel, who):
    add(db, panel["a"], panel["sub"], "Only for those who may read it.")
    at = open_submission(db_url, panel[who])
    assert post_box(at) == []
    shown = texts(at)
    if who == "c":
        assert ui_disc.NOT_YET in shown
        assert "Only for those who may read it." not in shown
    else:
        assert ui_disc.OFFICE_READS in shown
        assert "Only for those who may read it." in texts_shown_as_text(at)


def test_a_deep_link_opened_by_a_reviewer_without_access_shows_nothing_of_the_thread(db, db_url, panel):
    add(db, panel["a"], panel["sub"], "Nothing of this for D.")
    at = open_submission(db_url, panel["d"])
    shown = texts(at)
    assert "Nothing of this for D." not in shown
    assert "Discussion" not in [h.value for h in at.header]
    assert post_box(at) == []
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    assert panel["d"].username in set(denied["actor"])


def test_a_post_pressed_after_access_ended_stores_nothing(db, db_url, panel):
    at = open_submission(db_url, panel["a"])
    with db.write() as s:  # meanwhile the admin records a conflict of A with it
        declare_conflict(
            s, submission_id=panel["sub"], reviewer_id=panel["a"].user_id, actor=panel["admin"].username, source="admin"
        )
    at = send(at, db_url, "Too late.")
    assert not at.exception, at.exception
    assert "Too late." not in texts(at)
    with db.read() as s:
        assert disc.thread(s, viewer=panel["admin"], submission_id=panel["sub"]).posts == ()


@pytest.mark.parametrize("role", ["admin", "office"])
def test_rankings_lists_the_open_discussion_of_a_flagged_submission_with_a_link_to_it(db, db_url, panel, role):
    add(db, panel["a"], panel["sub"], "one")
    add(db, panel["b"], panel["sub"], "two")
    at = run_app(db_url, panel[role], page=RANKINGS)
    assert not at.exception, at.exception
    assert "Open discussions of flagged submissions" in [h.value for h in at.header]
    table = next(df.value for df in at.dataframe if "Posts" in df.value.columns)
    assert table.to_dict("records")[0]["Reference"] == "CFE-0001"
    assert table.to_dict("records")[0]["Posts"] == 2
    assert ("submissions", {"submission": ["CFE-0001"]}) in page_links(at)
