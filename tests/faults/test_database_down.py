"""A database that turns read-only or unreachable while people are working:
the page says so in a plain sentence (no traceback, no SQL, no driver or file
names), nothing is half saved, the person's input is still in the form, and
it saves once the database is back.

The review form (My reviews) and the Users page's add form, on SQLite and
PostgreSQL for read-only, on PostgreSQL for unreachable (a SQLite file is not
reached over a network).
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from data_access.reviews import get_own_review
from data_access.users import get_user_by_username
from tests.factories import TEST_PASSWORD, assign, make_submission, make_user
from tests.support.apptest import confirm_cookie, rerun, run_app, texts
from tests.support.dbdump import table_contents
from tests.support.outages import TcpProxy, read_only
from tests.support.spreadsheets import template_csv, valid_row
from tests.test_manage import manage

REVIEWS = "pages/my_reviews.py"
USERS = "pages/users.py"
SCORES = {"promise": 5, "evidence_strength": 3, "survivor_involvement": "cannot_judge"}
COMMENT = "Strong local evidence; the evaluation should be replicated elsewhere."
# A SQLite file is not reached over a network: "unreachable" is PostgreSQL's.
ON_POSTGRESQL = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
# What a person must never be shown: internals of the failure.
INTERNALS = ("Traceback", "INSERT", "UPDATE", "SELECT", "sqlite", "psycopg", "OperationalError", "sqlalche.me", ".db")


@pytest.fixture
def reviewer(db, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001", title="Evidence number 1")
        ann = make_user(s, name="Ann Reviewer")
        assign(s, sub, ann)
    return sub, ann


def assert_plain_failure(at, words: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(words in e for e in errors), errors
    shown = texts(at)
    for internal in INTERNALS:
        assert internal not in shown, internal


def assert_form_holds(at, sub: int, *, comment: str = COMMENT) -> None:
    for criterion, value in SCORES.items():
        assert at.radio(key=f"review.{sub}.{criterion}").value == value, criterion
    assert at.text_area(key=f"review.{sub}.comment").value == comment
    assert at.radio(key=f"review.{sub}.recommendation").value == "feature"
    assert at.radio(key=f"review.{sub}.confidence").value == "medium"


def fill_scores(at, sub: int) -> None:
    for criterion, value in SCORES.items():
        at.radio(key=f"review.{sub}.{criterion}").set_value(value)
    at.radio(key=f"review.{sub}.recommendation").set_value("feature")
    at.radio(key=f"review.{sub}.confidence").set_value("medium")


def submit_and_check_saved(at, db, db_url, sub, ann) -> None:
    """Once the database is back: the form still holds the input, and submitting it saves it."""
    rerun(at, db_url)
    assert not at.exception and not at.error
    assert_form_holds(at, sub)
    at.button(key="my_reviews.submit").click()
    rerun(at, db_url)
    assert not at.exception
    with db.read() as s:
        stored = get_own_review(s, submission_id=sub, reviewer_id=ann.user_id)
    assert stored is not None and stored.status == "submitted"
    assert stored.scores == {"promise": 5, "evidence_strength": 3, "survivor_involvement": None}
    assert stored.comment == COMMENT


def own_review(db, sub, ann):
    with db.read() as s:
        return get_own_review(s, submission_id=sub, reviewer_id=ann.user_id)


def test_a_read_only_database_refuses_the_save_plainly_and_keeps_the_review(db, db_url, reviewer):
    sub, ann = reviewer
    at = run_app(db_url, ann, page=REVIEWS)
    fill_scores(at, sub)
    rerun(at, db_url)  # each choice reaches the server as it is made
    with read_only(db_url) as url:
        # the comment is typed, then Submit clicked: both arrive in one run
        at.text_area(key=f"review.{sub}.comment").set_value(COMMENT)
        at.button(key="my_reviews.submit").click()
        rerun(at, url)
        assert_plain_failure(at, "read-only")
        assert_form_holds(at, sub)
        assert own_review(db, sub, ann) is None
        rerun(at, url)  # and it stays there while the database is read-only
        assert_form_holds(at, sub)
    submit_and_check_saved(at, db, db_url, sub, ann)


@ON_POSTGRESQL
def test_an_unreachable_database_refuses_the_save_plainly_and_keeps_the_review(db, db_url, reviewer, request):
    sub, ann = reviewer
    proxy = TcpProxy(make_url(db_url).port)
    request.addfinalizer(proxy.close)
    url = proxy.url(db_url)
    at = run_app(url, ann, page=REVIEWS)
    fill_scores(at, sub)
    rerun(at, url)
    proxy.cut()
    at.text_area(key=f"review.{sub}.comment").set_value(COMMENT)
    at.button(key="my_reviews.submit").click()
    rerun(at, url)
    assert_plain_failure(at, "cannot be reached")
    rerun(at, url)  # still down: the same sentence, no traceback
    assert_plain_failure(at, "cannot be reached")
    assert own_review(db, sub, ann) is None
    proxy.restore()
    submit_and_check_saved(at, db, url, sub, ann)


# --- the Users page's add form ------------------------------------------------


def _field(at, label_start):
    return next(t for t in at.text_input if t.label.startswith(label_start))


def _add_button(at):
    return next(b for b in at.button if b.label == "Add user")


def _user(db, username):
    with db.read() as s:
        return get_user_by_username(s, username)


@pytest.fixture
def admin(db, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", "https://evidence.example.org")  # a new user's one-time link
    with db.write() as s:
        return make_user(s, role="admin", username="boss")


def test_a_read_only_database_keeps_the_new_user_form(db, db_url, admin):
    at = run_app(db_url, admin, page=USERS)
    with read_only(db_url) as url:
        _field(at, "Username").input("newreviewer")
        _field(at, "Full name").input("New Reviewer")
        _field(at, "Organisation (reviewers").input("Larkfield Trust")
        _add_button(at).click()
        rerun(at, url)
        assert_plain_failure(at, "read-only")
        assert _user(db, "newreviewer") is None
    # back: the same form, submitted again without retyping, adds the person
    _add_button(at).click()
    rerun(at, db_url)
    assert not at.exception and not at.error
    added = _user(db, "newreviewer")
    assert added is not None and added.name == "New Reviewer" and added.organisation == "Larkfield Trust"
    assert any(w.value.startswith("A one-time link to set a password") for w in at.warning)


@ON_POSTGRESQL
def test_an_unreachable_database_keeps_the_new_user_form(db, db_url, admin, request):
    proxy = TcpProxy(make_url(db_url).port)
    request.addfinalizer(proxy.close)
    url = proxy.url(db_url)
    at = run_app(url, admin, page=USERS)
    proxy.cut()
    _field(at, "Username").input("newreviewer")
    _field(at, "Full name").input("New Reviewer")
    _add_button(at).click()
    rerun(at, url)
    assert_plain_failure(at, "cannot be reached")
    proxy.restore()
    rerun(at, url)
    assert not at.exception and not at.error
    _add_button(at).click()
    rerun(at, url)
    assert not at.exception and not at.error
    added = _user(db, "newreviewer")
    assert added is not None and added.name == "New Reviewer"


# --- signing in ------------------------------------------------------------------


@ON_POSTGRESQL
def test_signing_in_while_the_database_is_unreachable_says_so_plainly(db, db_url, request):
    with db.write() as s:
        make_user(s, role="office", username="olive")
    proxy = TcpProxy(make_url(db_url).port)
    request.addfinalizer(proxy.close)
    url = proxy.url(db_url)
    at = run_app(url)
    proxy.cut()
    at.text_input(key="sign_in.username").input("olive")
    at.text_input(key="sign_in.password").input(TEST_PASSWORD)
    at.button[0].click()
    rerun(at, url)
    assert_plain_failure(at, "Signing in is not possible at the moment")
    assert at.text_input(key="sign_in.username").value == "olive"
    assert at.session_state["sign_in.password"] == ""  # a password is never kept, even now
    proxy.restore()
    at.text_input(key="sign_in.password").input(TEST_PASSWORD)
    at.button[0].click()
    confirm_cookie(rerun(at, url), url)
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Overview"]


# --- the command line ---------------------------------------------------------------


def test_an_import_into_a_read_only_database_says_so_and_changes_nothing(db, db_url, tmp_path):
    path = tmp_path / "two.csv"
    path.write_bytes(template_csv([valid_row(1), valid_row(2)]))
    before = table_contents(db)
    with read_only(db_url) as url:
        result = manage("import-submissions", str(path), db_url=url)
    assert result.returncode == 1
    assert "The database is read-only at the moment, so nothing can be saved." in result.stderr
    assert "Traceback" not in result.stderr and "INSERT" not in result.stderr
    assert table_contents(db) == before
