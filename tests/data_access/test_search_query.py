"""A person's search query is data: the words reach the engine, FTS5's syntax never does (pure and SQLite-only)."""

import sqlite3

import pytest

from data_access.search import (
    MAX_QUERY_CHARACTERS,
    MAX_WORDS,
    SearchQueryError,
    fts5_query,
    plain_snippet,
    query_words,
)

HOSTILE = [
    '"',
    '""',
    "NEAR(",
    "NEAR(a b",
    "*",
    "a*",
    "^start",
    "text:slavery",
    "-slavery",
    "slavery AND",
    "OR",
    "NOT slavery",
    "(((",
    "{text}: x",
    "'; DROP TABLE submission_documents; --",
    "\x00",
    "a" * 400,
    "   ",
    "",
]


def test_only_the_words_of_a_query_are_kept():
    assert query_words('  "Modern slavery" NEAR(exploitation*) -labour ') == [
        "Modern",
        "slavery",
        "NEAR",
        "exploitation",
        "labour",
    ]
    assert query_words('" * ( ) ^ : -') == []
    assert query_words("") == []
    assert query_words("Ünïcode wörds") == ["Ünïcode", "wörds"]


def test_each_word_is_a_quoted_fts5_string():
    assert fts5_query(["modern", "NEAR", "AND"]) == '"modern" "NEAR" "AND"'
    assert fts5_query(['a"b']) == '"a""b"'


def test_a_query_too_long_or_of_too_many_words_is_refused_in_words():
    with pytest.raises(SearchQueryError, match=f"at most {MAX_QUERY_CHARACTERS} characters"):
        query_words("a" * (MAX_QUERY_CHARACTERS + 1))
    with pytest.raises(SearchQueryError, match=f"at most {MAX_WORDS} words"):
        query_words(" ".join(["word"] * (MAX_WORDS + 1)))
    assert len(query_words(" ".join(["word"] * MAX_WORDS))) == MAX_WORDS


@pytest.fixture(scope="module")
def fts():
    """An FTS5 table like migration 0010's, with a few rows (SQLite's own engine, no app database needed)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany(
        "INSERT INTO t(text) VALUES (?)",
        [("Modern slavery and labour exploitation near ports",), ("NEAR AND OR NOT are words here",), ("café",)],
    )
    yield conn
    conn.close()


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_reach_fts5_as_syntax(fts, query):
    words = query_words(query)
    if words:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(words),)).fetchall()  # no error


def test_words_that_are_fts5_operators_are_searched_as_words(fts):
    def found(query):
        return [r for (r,) in fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(query_words(query)),))]

    assert found("NOT OR") == [2]
    assert found("exploiting port") == [1]  # stemmed
    assert found("cafe") == [3]  # diacritics removed
    assert found("slavery -labour") == [1]  # "-" is not NOT: both words must be there
    assert found("text:slavery") == []  # "text" is a word, not a column filter


def test_snippets_are_one_line_of_plain_text():
    assert plain_snippet("a\n\tb\x1b[31m  c\u200b") == "a b [31m c"
    assert plain_snippet(None) == ""
