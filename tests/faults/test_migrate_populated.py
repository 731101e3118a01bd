"""Every migration after 0001, run by `manage.py migrate` on a copy of a
populated database, keeps every row with its values.

For each later revision: a database is created at the revision it follows
(`down_revision`) and filled with representative rows in every table (the demo
call, an import with a likely duplicate, a saved mapping and line-up,
sign-in sessions and throttles, the call's switches), copied as an operator
would before upgrading (SQLite: the file; PostgreSQL: CREATE DATABASE ...
TEMPLATE), and the copy is upgraded to head with `manage.py migrate`. Every
row of every table the old schema had must still be there, under the same
primary key, with the same value in every column both schemas have; and the
upgraded copy must match the models. A migration that is meant to change
values or drop a table has to say here what it does with them.

The filled database is made once per module and database kind (`filled`), not
once per revision: every test only reads it (its rows are copied into the old
schema), and filling it was a third of each test's time.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, Table, func, insert, inspect, select, text, update

from config.settings import DocumentLimits
from data_access import auth, call_state, documents, imports
from data_access.bid_models import ReviewerExpertise, SubmissionBid
from data_access.db import Database
from data_access.migrate import MIGRATIONS, current_revision, head_revision, upgrade
from data_access.models import (
    Base,
    DiscussionPost,
    ImportBatch,
    ImportMapping,
    InvitationToken,
    LineUp,
    LineUpMember,
    LineUpSignOff,
    MessageTemplate,
    OutboxMessage,
    PanelDecision,
    PasswordToken,
    PresenterInvitation,
    ProgrammeSession,
    ReviewAutosave,
    Submission,
    SubmissionChange,
    SubmissionDetailView,
    User,
    utcnow,
)
from documents.generate import make_pdf
from importing import propose_mapping, read_table
from tests.conftest import DATABASES
from tests.faults.conftest import DEMO_SUBMISSIONS
from tests.support.demo_copies import demo_call
from tests.support.schema import schema_differences
from tests.support.spreadsheets import template_csv, valid_row
from tests.test_manage import manage


def _later_revisions() -> list[tuple[str, str]]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revisions = [
        (r.revision, r.down_revision) for r in ScriptDirectory.from_config(config).walk_revisions() if r.down_revision
    ]
    return sorted(revisions)


LATER = _later_revisions()


def fill_every_table(db: Database, config) -> None:
    """Representative rows in every table of the current models (beyond the demo call)."""
    with db.write() as s:
        admin = s.scalar(select(User).where(User.role == "admin"))
        admin_id, admin_name = admin.id, admin.username
        auth.start_session(s, user_id=admin_id, expires_at=utcnow() + dt.timedelta(days=1), token="t-admin")
        auth.reserve_attempt(s, username="someone", max_failures=5, lock_minutes=15)
        call_state.set_value(s, key="fault_test_switch", value={"on": True}, actor=admin_name)
        ids = list(s.scalars(select(Submission.id).order_by(Submission.id).limit(2)))
        line_up = LineUp(name="Plan A", rules={}, created_by=admin_name, notes="", version=1)
        line_up.members = [
            LineUpMember(submission_id=sid, format="in_person", position=i + 1) for i, sid in enumerate(ids)
        ]
        s.add(line_up)
        # who opened which detail on which day; a version of the region published for reviewers
        s.add(SubmissionDetailView(user_id=admin_id, submission_id=ids[0], day=dt.date(2026, 12, 6), first_at=utcnow()))
        s.get(Submission, ids[1]).redactions = {"region": "A coastal town", "links": ["The report (address withheld)"]}
        # a reviewer's input kept while typing; a message in the outbox
        reviewer_id = s.scalar(select(User.id).where(User.role == "reviewer"))
        s.add(
            ReviewAutosave(
                reviewer_id=reviewer_id,
                submission_id=ids[0],
                base_version=0,
                values={"scores": {}, "comment": "half a thought", "recommendation": None, "confidence": None},
            )
        )
        s.add(
            OutboxMessage(
                purpose="reviewer.reminder",
                recipient_email="reviewer@example.org",
                recipient_user_id=reviewer_id,
                subject="Reviews due on Friday",
                body_text="Three reviews are waiting for you.",
                idempotency_key="reviewer.reminder:1:2026-12-06",
                created_by=admin_name,
            )
        )
        # a one-time link to set a password (its token's hash only)
        s.add(
            PasswordToken(
                user_id=reviewer_id,
                purpose="invitation",
                token_sha256="a" * 64,
                expires_at=utcnow() + dt.timedelta(days=7),
                created_by=admin_name,
            )
        )
        # issue 17: a sign-off, a programme session, an invitation placed in it, its reply link
        s.flush()
        signed = LineUpSignOff(
            line_up_id=line_up.id,
            version=1,
            members=[{"submission_id": sid, "format": "in_person"} for sid in ids],
            signed_off_by=admin_name,
        )
        session_row = ProgrammeSession(
            title="Morning panel",
            starts_at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 10, 1, 10, 30, tzinfo=dt.UTC),
            format="in_person",
            capacity=4,
            room="Main hall",
            online_link="",
            chair="The Commissioner",
            created_by=admin_name,
        )
        s.add_all([signed, session_row])
        s.flush()
        invitation = PresenterInvitation(
            line_up_id=line_up.id,
            signoff_id=signed.id,
            submission_id=ids[0],
            format_offered="in_person",
            reply_by=dt.date(2026, 9, 1),
            status="accepted",
            reply_format="virtual",
            access_needs="Captions",
            note="",
            replied_at=utcnow(),
            replied_by=admin_name,
            invited_by=admin_name,
            session_id=session_row.id,
            session_position=1,
        )
        s.add(invitation)
        s.flush()
        s.add(InvitationToken(invitation_id=invitation.id, token_sha256="b" * 64, expires_at=utcnow(), created_by="x"))
        # issue 18: a post in the panel's discussion
        s.add(DiscussionPost(submission_id=ids[0], author_id=admin_id, author_role="admin", body="A first thought."))
        # issue 18: a reviewer's expertise and a bid
        s.add(ReviewerExpertise(reviewer_id=reviewer_id, key="advocacy"))
        s.add(SubmissionBid(reviewer_id=reviewer_id, submission_id=ids[1], level="eager"))
        # issue 18: the panel's decision on a submission
        s.add(
            PanelDecision(
                submission_id=ids[0],
                version=1,
                decision="shortlisted",
                reason="Strong evidence.",
                decided_by=admin_name,
            )
        )
        # a message template the admin edited
        s.add(
            MessageTemplate(
                purpose="contributor.acknowledgement",
                subject="Received: {{ reference }}",
                body_text="Thank you, {{ recipient_name }}.",
                body_html=None,
                updated_by=admin_name,
                version=1,
            )
        )
    content = template_csv(
        [
            valid_row(5001),
            valid_row(5002, title="Evidence number 5001", organisation="Organisation 5001"),  # a likely duplicate
            valid_row(5003, links="https://example.org/a; https://example.org/b"),
        ]
    )
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=10**6), config)
    with db.write() as s:
        imports.apply_import(
            s, content=content, filename="f.csv", mapping=mapping, config=config, max_bytes=10**6, actor=admin_name
        )
        imports.save_mapping(s, name="Template", mapping=mapping, actor=admin_name)
    # issue 19: a submission's source key, a saved mapping's key column, a change an import recorded
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == ids[0]).values(source_key="R_abc123"))
        s.execute(update(ImportMapping).values(key_column="Response ID"))
        batch_id = s.scalar(select(func.max(ImportBatch.id)))
        s.add(SubmissionChange(submission_id=ids[0], import_batch_id=batch_id, fields=["title"], changed_by="admin"))
    # an evidence document (its original and cleaned copy in document_contents)
    with db.write() as s:
        documents.attach_document(
            s,
            submission_id=ids[0],
            name="report.pdf",
            content=make_pdf(["An evaluation of the outreach"]),
            actor=documents.COMMAND_LINE,
            limits=DocumentLimits(),
        )


def copy_rows(source: Database, target: Database) -> None:
    """Every row of `source` (at head) into `target` (an older schema): the
    columns both have; a column only the old schema has must take NULL or a default."""
    old = inspect(target.engine)
    old_tables = set(old.get_table_names())
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            if table.name not in old_tables:
                continue  # added by a later migration: the old database cannot hold its rows
            old_columns = {c["name"]: c for c in old.get_columns(table.name)}
            for name, column in old_columns.items():
                if name not in table.c:
                    assert column["nullable"] or column.get("default") is not None, (
                        f"{table.name}.{name} exists only before a migration: give it representative values here"
                    )
            common = [c for c in table.columns if c.name in old_columns]
            narrow = Table(table.name, MetaData(), *[Column(c.name, c.type, primary_key=c.primary_key) for c in common])
            rows = [dict(r._mapping) for r in src.execute(select(*common))]
            if rows:
                # Rows a migration wrote itself (data_version's one row, from 0005) give way to the copy's.
                dst.execute(narrow.delete())
                dst.execute(insert(narrow), rows)
        if target.dialect == "postgresql":
            for table in Base.metadata.sorted_tables:
                if table.name in old_tables and "id" in table.c and table.c.id.autoincrement is not False:
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - model names
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                        )
                    )


def snapshot(db: Database, old_schema: dict[str, set[str]]) -> dict[str, dict[tuple, dict]]:
    """Every row of the tables the old schema had, by primary key, in the columns both schemas have."""
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name not in old_schema:
                continue
            columns = [c for c in table.columns if c.name in old_schema[table.name]]
            key = list(table.primary_key.columns)
            assert all(c.name in old_schema[table.name] for c in key), f"{table.name}: its primary key changed"
            out[table.name] = {
                tuple(row._mapping[c.name] for c in key): dict(row._mapping)
                for row in conn.execute(select(*columns).order_by(*key))
            }
    return out


def old_schema_of(db: Database) -> dict[str, set[str]]:
    inspector = inspect(db.engine)
    return {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


@pytest.fixture(scope="module", params=DATABASES)
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, call_config) -> Iterator[Database]:
    """The populated database (the fault tests' small demo call) with `fill_every_table`'s rows, on
    SQLite and on PostgreSQL: made once for the module's tests, which only read it."""
    with demo_call(request, tmp_path_factory.mktemp("filled"), DEMO_SUBMISSIONS) as db:
        fill_every_table(db, call_config)
        yield db


@pytest.mark.parametrize(("revision", "down_revision"), LATER, ids=[r for r, _ in LATER])
def test_upgrading_a_populated_copy_keeps_every_row(revision, down_revision, filled, tmp_path, request):
    source = filled  # read only: its rows are copied, never changed
    with source.read() as s:
        empty = [t.name for t in Base.metadata.sorted_tables if not s.scalar(select(func.count()).select_from(t))]
    assert not empty, f"give these tables representative rows in fill_every_table: {empty}"

    if source.dialect == "sqlite":
        old_url, copy_url = f"sqlite:///{tmp_path / 'old.db'}", f"sqlite:///{tmp_path / 'copy.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        old_name = cluster.create_database(from_template=False)
        request.addfinalizer(lambda: cluster.drop_database(old_name))
        old_url = cluster.url(old_name)
    old = Database(old_url)
    try:
        upgrade(old, down_revision)
        assert current_revision(old) == down_revision
        copy_rows(source, old)
        old_schema = old_schema_of(old)
        before = snapshot(old, old_schema)
    finally:
        old.dispose()
    assert sum(len(rows) for rows in before.values()) > 500

    # the operator's copy, then the real command on it
    if source.dialect == "sqlite":
        with sqlite3.connect(tmp_path / "old.db") as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(tmp_path / "old.db", tmp_path / "copy.db")
    else:
        copy_name = f"{old_name}_copy"
        cluster._admin(f"CREATE DATABASE {copy_name} TEMPLATE {old_name}")
        request.addfinalizer(lambda: cluster.drop_database(copy_name))
        copy_url = cluster.url(copy_name)
    result = manage("migrate", db_url=copy_url)
    assert result.returncode == 0, result.stderr
    copy = Database(copy_url)
    try:
        assert f"schema {down_revision} -> {head_revision(copy)}" in result.stdout
        assert current_revision(copy) == head_revision(copy)
        assert schema_differences(copy.engine) == []
        after = snapshot(copy, old_schema)
    finally:
        copy.dispose()
    for table, rows in before.items():
        assert after[table].keys() == rows.keys(), f"rows of {table} lost or added"
        changed = [key for key, row in rows.items() if after[table][key] != row]
        assert not changed, f"{table}: rows {changed[:5]} changed"
