"""Search of documents' text (issue 15): full-text indexes on submission_documents.text.

SQLite: an FTS5 table with external content (`submission_documents_fts`: the
text is not stored twice, only its index), kept in step by three triggers
(insert, update of text, delete: a cascade from an erased submission fires
them too) and rebuilt once here for the rows already stored.
PostgreSQL: a stored generated column `text_search`, the tsvector of
`to_tsvector('english', left(text, 200000))`, with a GIN index
(`data_access.search` queries the column). Stored, so no search computes a
document's tsvector (the planner prices to_tsvector far below its cost, and
a common word made it scan and parse every document: seconds at 3,000
documents); the first 200,000 characters, because a tsvector is at most
1 MB (a whole 2,000,000-character text of distinct tokens would refuse the
document). `fastupdate = off`: an attach writes its entries into the index
at once rather than into a pending list that every search must also read
(documents are attached rarely, searched often).

None of these is a model: `data_access.search.SEARCH_OBJECTS` names them, and the
schema comparison of the tests leaves them out. A later migration that
rebuilds submission_documents on SQLite (a batch alter) drops the triggers:
it must create them again (`create_sqlite_search`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Names and expression kept in step with data_access.search (a migration does not import the app's modules).

SQLITE_UP = (
    "CREATE VIRTUAL TABLE submission_documents_fts USING fts5(text, content='submission_documents', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER submission_documents_fts_insert AFTER INSERT ON submission_documents BEGIN "
    "INSERT INTO submission_documents_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER submission_documents_fts_delete AFTER DELETE ON submission_documents BEGIN "
    "INSERT INTO submission_documents_fts(submission_documents_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER submission_documents_fts_update AFTER UPDATE OF text ON submission_documents BEGIN "
    "INSERT INTO submission_documents_fts(submission_documents_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO submission_documents_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO submission_documents_fts(submission_documents_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS submission_documents_fts_update",
    "DROP TRIGGER IF EXISTS submission_documents_fts_delete",
    "DROP TRIGGER IF EXISTS submission_documents_fts_insert",
    "DROP TABLE IF EXISTS submission_documents_fts",
)
PG_UP = (
    "ALTER TABLE submission_documents ADD COLUMN text_search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, left(text, 200000))) STORED",
    "CREATE INDEX ix_submission_documents_text_search ON submission_documents "
    "USING gin (text_search) WITH (fastupdate = off)",
)
PG_DOWN = (
    "DROP INDEX IF EXISTS ix_submission_documents_text_search",
    "ALTER TABLE submission_documents DROP COLUMN IF EXISTS text_search",
)


def create_sqlite_search() -> None:
    for statement in SQLITE_UP:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()
    else:
        for statement in PG_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        for statement in PG_DOWN:
            op.execute(statement)
