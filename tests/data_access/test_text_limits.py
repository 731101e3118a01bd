"""Every free-text writer refuses a value over its limit (config.limits) with
a message naming the limit, and changes nothing; a value at the limit is
kept (line-ups: tests/data_access/test_lineups.py). On SQLite and PostgreSQL: the data layer is the bound for every caller,
not only the pages' widgets."""

from __future__ import annotations

import pytest

from config import limits
from data_access import assignments, imports, users
from data_access.reviews import ReviewError
from importing import ColumnMapping, propose_mapping, read_table
from tests.factories import assign, make_submission, make_user, password_hash, submit_review
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row

LIMIT = 10 * 1024 * 1024


def refused_and_unchanged(db, error, words, write):
    before = table_contents(db)
    with pytest.raises(error) as refused:
        with db.write() as session:
            write(session)
    assert words in str(refused.value)
    assert table_contents(db) == before
    return refused.value


def over(limit: int) -> str:
    return "x" * (limit + 1)


@pytest.fixture
def people(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
        sid = make_submission(s, call_config)
        assign(s, sid, reviewer)
    return {"admin": admin, "reviewer": reviewer, "sid": sid}


def test_a_review_comment_over_its_limit_is_refused(db, call_config, people):
    words = f"The comment has {limits.REVIEW_COMMENT + 1:,} characters; the most allowed is {limits.REVIEW_COMMENT:,}"
    error = refused_and_unchanged(
        db,
        ReviewError,
        words,
        lambda s: submit_review(s, call_config, people["sid"], people["reviewer"], comment=over(limits.REVIEW_COMMENT)),
    )
    assert words in error.problems[0]
    with db.write() as s:
        submit_review(s, call_config, people["sid"], people["reviewer"], comment="x" * limits.REVIEW_COMMENT)


def test_a_conflict_reason_over_its_limit_is_refused(db, people):
    for source, actor in (("reviewer", people["reviewer"].username), ("admin", people["admin"].username)):
        refused_and_unchanged(
            db,
            assignments.AssignmentError,
            f"the most allowed is {limits.CONFLICT_REASON:,}",
            lambda s, source=source, actor=actor: assignments.declare_conflict(
                s,
                submission_id=people["sid"],
                reviewer_id=people["reviewer"].user_id,
                actor=actor,
                source=source,
                reason=over(limits.CONFLICT_REASON),
            ),
        )


def test_a_null_character_in_a_review_comment_or_a_conflict_reason_is_refused(db, call_config, people):
    """PostgreSQL stores a NUL neither in text nor in JSON: refused in words on
    both databases, nothing changed (before, an error on PostgreSQL)."""
    refused_and_unchanged(
        db,
        ReviewError,
        "null character",
        lambda s: submit_review(s, call_config, people["sid"], people["reviewer"], comment="before\x00after"),
    )
    for source, actor in (("reviewer", people["reviewer"].username), ("admin", people["admin"].username)):
        refused_and_unchanged(
            db,
            assignments.AssignmentError,
            "null character",
            lambda s, source=source, actor=actor: assignments.declare_conflict(
                s,
                submission_id=people["sid"],
                reviewer_id=people["reviewer"].user_id,
                actor=actor,
                source=source,
                reason="I know\x00them",
            ),
        )


@pytest.mark.parametrize(
    ("field", "limit", "what"),
    [
        ("name", limits.USER_NAME, "The name"),
        ("email", limits.USER_EMAIL, "The email address"),
        ("organisation", limits.USER_ORGANISATION, "The organisation"),
    ],
)
def test_a_users_name_email_or_organisation_over_its_limit_is_refused(db, people, field, limit, what):
    value = over(limit) if field != "email" else "a@" + "b" * (limit - 5) + ".org"
    assert len(value) == limit + 1
    details = {"name": "New Person", "email": None, "organisation": None} | {field: value}
    words = f"{what} has {limit + 1:,} characters; the most allowed is {limit:,}"
    refused_and_unchanged(
        db,
        users.UserError,
        words,
        lambda s: users.create_user(
            s, username="newperson", role="reviewer", password_hash=password_hash(), actor="test", **details
        ),
    )
    refused_and_unchanged(
        db,
        users.UserError,
        words,
        lambda s: users.update_details(
            s, user_id=people["reviewer"].user_id, actor=people["admin"].username, **{field: value}
        ),
    )


def test_a_mapping_name_over_its_limit_is_refused(db, call_config):
    mapping = ColumnMapping(columns={"title": "Title"})
    refused_and_unchanged(
        db,
        imports.MappingError,
        f"at most {limits.MAPPING_NAME} characters",
        lambda s: imports.save_mapping(s, name=over(limits.MAPPING_NAME), mapping=mapping, actor="admin"),
    )


@pytest.mark.parametrize(
    ("field", "label"),
    [("title", "title"), ("summary", "summary"), ("notes", "notes"), ("organisation", "organisation")],
)
def test_an_imported_cell_over_its_fields_limit_is_a_problem_of_its_row_and_nothing_is_imported(
    db, call_config, field, label
):
    limit = limits.imported_field(field)
    content = template_csv([valid_row(1), valid_row(2, **{field: over(limit)}), valid_row(3)])
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=LIMIT), call_config)
    with db.read() as session:
        plan = imports.preview_import(
            session, content=content, filename="f.csv", mapping=mapping, config=call_config, max_bytes=LIMIT
        )
    too_long = [p for p in plan.problems if "characters" in p.problem]
    assert [(p.row, p.problem) for p in too_long] == [
        (3, f"This cell has {limit + 1:,} characters; the most for {label} is {limit:,}.")
    ]
    assert not plan.ok
    refused_and_unchanged(
        db,
        imports.ImportHasProblems,
        "",
        lambda s: imports.apply_import(
            s, content=content, filename="f.csv", mapping=mapping, config=call_config, max_bytes=LIMIT, actor="admin"
        ),
    )
    # At the limit, the cell is imported whole.
    content = template_csv([valid_row(1, **{field: "y" * limit})])
    with db.write() as session:
        result = imports.apply_import(
            session, content=content, filename="g.csv", mapping=mapping, config=call_config, max_bytes=LIMIT, actor="a"
        )
    assert result.counts
