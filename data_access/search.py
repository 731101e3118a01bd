"""Search of documents' text, within the viewer's rights (issue 15).

`search_documents(session, *, query, viewer, limit)` returns the documents
whose text holds every word of `query` (stemmed: "trafficked" finds
"trafficking"), each with its submission, its label and a short plain-text
snippet; `matching_submission_ids` gives the submissions that have such a
document (the Submissions page's search adds them to what its own fields find).

One function, two engines (migration 0010):

* SQLite: the FTS5 table `submission_documents_fts` (external content, kept by
  triggers). A person's query is data, never FTS5 syntax: it is cut into words
  (`query_words`) and each word goes in double quotes (a phrase of one
  word), so `"`, `NEAR(`, `*`, `AND`, `-x` or `col:x` are words or nothing.
* PostgreSQL: the stored generated column `text_search`
  (`to_tsvector('english', left(text, 200000))`) and its GIN index, queried
  with `plainto_tsquery` (no syntax at all) over the same words.
  PostgreSQL indexes a document's first 200,000 characters (a tsvector is at
  most 1 MB); its English configuration ignores stop words ("the", "and"),
  which SQLite's tokenizer keeps.

Rights are part of the SQL, never a filter of a page of results afterwards:
the admin and the office search every submission's documents; a reviewer only
those of submissions assigned to them and not in conflict. An erased
submission's documents are deleted with it (and their index entries by the
triggers or the index itself), so nobody finds them. Nothing counts matches
beyond the rights or beyond `limit`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from access.roles import STAFF, Role
from access.visibility import Viewer
from data_access.errors import AccessDenied

FTS_TABLE = "submission_documents_fts"
PG_INDEX = "ix_submission_documents_text_search"  # FTS_TABLE, PG_INDEX, PG_COLUMN: not models (migration 0010)
PG_INDEXED_CHARACTERS = 200_000
PG_COLUMN = "text_search"  # PostgreSQL: the stored tsvector of a document's first PG_INDEXED_CHARACTERS
PG_VECTOR = f"d.{PG_COLUMN}"

MAX_QUERY_CHARACTERS = 500
MAX_WORDS = 32
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
SNIPPET_WORDS = 24
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


class SearchQueryError(ValueError):
    """A query that cannot be searched as it is; the message says why, in words."""


@dataclass(frozen=True)
class DocumentHit:
    submission_id: int
    reference: str
    document_id: int
    position: int
    label: str  # "Document 2 (PDF, 14 pages)": never the document's original name
    snippet: str  # plain text around the match (never Markdown or HTML: show it as text)


def query_words(query: str) -> list[str]:
    """The words of a person's query, the only part of it that reaches the engine.
    SearchQueryError when it is too long to be a search."""
    if len(query) > MAX_QUERY_CHARACTERS:
        raise SearchQueryError(f"Search for at most {MAX_QUERY_CHARACTERS} characters.")
    words = _WORD.findall(unicodedata.normalize("NFC", query))
    if len(words) > MAX_WORDS:
        raise SearchQueryError(f"Search for at most {MAX_WORDS} words: every word must be in the document.")
    return words


def fts5_query(words: list[str]) -> str:
    """An FTS5 query that finds documents holding every word: each a quoted
    string (a double quote inside doubled), joined by spaces (AND)."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def plain_snippet(value: str | None) -> str:
    """A snippet as one line of plain text: whitespace and control characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value or "")
    return _SPACE.sub(" ", cleaned).strip()


def _rights(viewer: Viewer) -> tuple[str, dict[str, Any]]:
    """The SQL condition on `d.submission_id` that keeps the viewer within their rights."""
    if viewer.role in STAFF:
        return "1 = 1", {}
    if viewer.role == Role.REVIEWER:
        return (
            "d.submission_id IN (SELECT a.submission_id FROM assignments a WHERE a.reviewer_id = :viewer_id) "
            "AND d.submission_id NOT IN "
            "(SELECT c.submission_id FROM conflicts_of_interest c WHERE c.reviewer_id = :viewer_id)"
        ), {"viewer_id": viewer.user_id}
    raise AccessDenied("unknown role")


def _matches(session: Session, words: list[str], viewer: Viewer) -> tuple[str, dict[str, Any], bool]:
    """FROM and WHERE of the documents the viewer may see that hold every word."""
    rights, params = _rights(viewer)
    if session.get_bind().dialect.name == "sqlite":
        sql = (
            f"FROM {FTS_TABLE} f JOIN submission_documents d ON d.id = f.rowid "
            f"JOIN submissions s ON s.id = d.submission_id WHERE {FTS_TABLE} MATCH :query AND {rights}"
        )
        return sql, params | {"query": fts5_query(words)}, True
    sql = (
        "FROM submission_documents d JOIN submissions s ON s.id = d.submission_id "
        f"WHERE {PG_VECTOR} @@ plainto_tsquery('english'::regconfig, :query) AND {rights}"
    )
    return sql, params | {"query": " ".join(words)}, False


def search_documents(session: Session, *, query: str, viewer: Viewer, limit: int = DEFAULT_LIMIT) -> list[DocumentHit]:
    """At most `limit` documents the viewer may see whose text holds every word of
    `query`, by reference and position. An empty query (or one without words) finds
    nothing; a too-long one raises SearchQueryError."""
    # Imported here: data_access.documents imports data_access.submissions, which imports this module.
    from data_access.documents import document_label

    words = query_words(query)
    if not words:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    sql, params, sqlite = _matches(session, words, viewer)
    rows = session.execute(
        text(
            "SELECT d.id, d.submission_id, s.reference, d.position, d.kind, d.pages "
            f"{sql} ORDER BY s.reference, d.position LIMIT :limit"
        ),
        params | {"limit": limit},
    ).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    snippets = _snippets(session, ids, params["query"], sqlite=sqlite)
    return [
        DocumentHit(
            submission_id=sub_id,
            reference=reference,
            document_id=doc_id,
            position=position,
            label=document_label(position, kind, pages),
            snippet=plain_snippet(snippets.get(doc_id)),
        )
        for doc_id, sub_id, reference, position, kind, pages in rows
    ]


def _snippets(session: Session, ids: list[int], query: str, *, sqlite: bool) -> dict[int, str]:
    """The words around the match, for these documents only (not every match)."""
    if sqlite:
        statement = text(
            f"SELECT f.rowid, snippet({FTS_TABLE}, 0, '', '', ' … ', {SNIPPET_WORDS}) "  # noqa: S608 - constants
            f"FROM {FTS_TABLE} f WHERE {FTS_TABLE} MATCH :query AND f.rowid IN :ids"
        )
    else:
        statement = text(
            f"SELECT d.id, ts_headline('english'::regconfig, left(d.text, {PG_INDEXED_CHARACTERS}), "  # noqa: S608
            "plainto_tsquery('english'::regconfig, :query), "
            f'\'StartSel="", StopSel="", MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, '
            'MaxFragments=1, FragmentDelimiter=" … "\') '
            "FROM submission_documents d WHERE d.id IN :ids"
        )
    statement = statement.bindparams(bindparam("ids", expanding=True))
    return {int(doc_id): snippet for doc_id, snippet in session.execute(statement, {"ids": ids, "query": query})}


def forget_deleted_text(session: Session) -> None:
    """After documents' text is deleted or replaced (erasure, retention, removal, a
    redacted version): SQLite's FTS5 index no longer keeps its words. Its triggers only
    add delete markers; the words themselves stay in the index's stored segments (and
    in every backup) until the segments are merged. 'optimize' merges them all now,
    and the pages it frees are zeroed (SQLite's secure_delete). PostgreSQL's index and
    rows are left to VACUUM, as for every deleted row."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))  # noqa: S608 - a constant


def matching_submission_ids(session: Session, *, query: str, viewer: Viewer) -> set[int]:
    """The submissions the viewer may see that have a document holding every word of `query`."""
    words = query_words(query)
    if not words:
        return set()
    sql, params, _sqlite = _matches(session, words, viewer)
    return {int(sid) for (sid,) in session.execute(text(f"SELECT DISTINCT d.submission_id {sql}"), params)}
