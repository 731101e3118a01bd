"""Search of documents' text within rights, and similar submissions flagged for the admin (both databases)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, text

from config.settings import DocumentLimits
from data_access import documents, imports, privacy
from data_access.assignments import declare_conflict
from data_access.errors import AccessDenied
from data_access.migrate import downgrade, upgrade
from data_access.models import AuditEntry, DuplicateFlag
from data_access.search import SearchQueryError, matching_submission_ids, search_documents
from data_access.similar import flag_similar_submissions, similarity_reason
from data_access.submissions import SubmissionFilter, list_submissions
from tests.factories import assign, make_submission, make_user

LIMITS = DocumentLimits()
PLANTED = (
    "The Harbourside partnership trained dock workers and port inspectors to recognise forced labour on fishing "
    "vessels, set up a confidential reporting line with three local charities, and followed every referral "
    "through to safe accommodation and legal advice within ten days of first contact."
)


def attach(session, sid: int, body: str, admin, name: str = "evidence.txt") -> int:
    info = documents.attach_document(
        session, submission_id=sid, name=name, content=body.encode(), actor=admin, limits=LIMITS
    )
    return info.id


@pytest.fixture
def call(db, call_config):
    """Three submissions with a document each; an admin, the office, an assigned reviewer, an unassigned one."""
    with db.write() as session:
        admin = make_user(session, role="admin")
        office = make_user(session, role="office")
        reviewer = make_user(session, role="reviewer")
        stranger = make_user(session, role="reviewer")
        ids = [make_submission(session, call_config, title=f"Submission {i}") for i in range(3)]
        docs = [
            attach(session, ids[0], "A toolkit on debt bondage in nail bars, with a referral pathway.", admin),
            attach(session, ids[1], "An evaluation of safe houses: 40 survivors interviewed about bondage.", admin),
            attach(session, ids[2], "Minutes of a steering group about procurement.", admin),
        ]
        assign(session, ids[0], reviewer)
        assign(session, ids[2], reviewer)
    return {"admin": admin, "office": office, "reviewer": reviewer, "stranger": stranger, "ids": ids, "docs": docs}


def found(db, viewer, query: str) -> list[tuple[int, int]]:
    with db.read() as session:
        return [(h.submission_id, h.position) for h in search_documents(session, query=query, viewer=viewer)]


def test_a_word_in_a_document_is_found_only_within_the_viewers_rights(db, call, call_config):
    ids = call["ids"]
    with db.read() as session:
        [hit] = search_documents(session, query="nail bars", viewer=call["admin"])
    assert (hit.submission_id, hit.document_id, hit.position) == (ids[0], call["docs"][0], 1)
    assert hit.label == documents.document_label(1, "text", None)
    assert "evidence.txt" not in hit.label
    assert "nail bars" in hit.snippet and "\n" not in hit.snippet
    # Stemmed, every word required, staff see every submission's documents.
    assert found(db, call["office"], "bondage") == [(ids[0], 1), (ids[1], 1)]
    assert found(db, call["admin"], "bondage survivors") == [(ids[1], 1)]
    # A reviewer: only the submissions assigned to them; someone unassigned finds nothing, and no count says more.
    assert found(db, call["reviewer"], "bondage") == [(ids[0], 1)]
    assert found(db, call["stranger"], "bondage") == []
    with db.read() as session:
        assert matching_submission_ids(session, query="bondage", viewer=call["stranger"]) == set()
        assert matching_submission_ids(session, query="bondage", viewer=call["reviewer"]) == {ids[0]}
    # A conflict of interest takes the submission out of the reviewer's search at once.
    with db.write() as session:
        declare_conflict(
            session, submission_id=ids[0], reviewer_id=call["reviewer"].user_id, actor="admin", source="admin"
        )
    assert found(db, call["reviewer"], "bondage") == []
    # The Submissions page's search lists a submission by its documents' text, within the same rights.
    with db.read() as session:
        listed = list_submissions(session, viewer=call["admin"], config=call_config, flt=SubmissionFilter("BONDAGE"))
        assert sorted(listed["id"]) == [ids[0], ids[1]]
        listed = list_submissions(
            session, viewer=call["reviewer"], config=call_config, flt=SubmissionFilter("steering")
        )
        assert list(listed["id"]) == [ids[2]]
        listed = list_submissions(
            session, viewer=call["stranger"], config=call_config, flt=SubmissionFilter("steering")
        )
        assert listed.empty


def test_erased_removed_and_replaced_documents_leave_the_search(db, call):
    ids, admin = call["ids"], call["admin"]
    with db.write() as session:
        privacy.erase_submission(session, submission_id=ids[1], actor="admin", reason="request")
    assert found(db, admin, "survivors") == []
    assert found(db, admin, "bondage") == [(ids[0], 1)]
    with db.write() as session:
        documents.remove_document(session, document_id=call["docs"][0], actor=admin)
    assert found(db, admin, "bondage") == []
    with db.write() as session:
        documents.replace_with_redacted(
            session,
            document_id=call["docs"][2],
            name="redacted.txt",
            content=b"Minutes of a steering group, names removed.",
            actor=admin,
            limits=LIMITS,
        )
    assert found(db, admin, "procurement") == []  # the old text is gone from the index
    assert found(db, admin, "names removed") == [(ids[2], 1)]
    if db.engine.dialect.name == "sqlite":  # the index holds the remaining document alone
        with db.read() as session:
            assert session.execute(text("SELECT count(*) FROM submission_documents_fts_docsize")).scalar() == 1


HOSTILE = [
    '"',
    "the",
    "NEAR(",
    "*",
    "a*",
    '"unclosed',
    "bondage OR",
    "-bondage",
    "text:bondage",
    "(",
    "'; --",
    "%_",
    "\\",
]


def test_hostile_queries_give_results_or_a_clear_message_never_an_error(db, call):
    admin = call["admin"]
    for query in HOSTILE:
        hits = found(db, admin, query)
        assert all(isinstance(h, tuple) for h in hits)
    assert found(db, admin, "") == [] and found(db, admin, "   ") == []
    assert found(db, admin, '"bondage"') == found(db, admin, "bondage") == found(db, admin, "(bondage*")
    with pytest.raises(SearchQueryError, match="at most"), db.read() as session:
        search_documents(session, query="bondage " * 200, viewer=admin)


def test_hostile_document_text_comes_back_as_plain_text(db, call):
    with db.write() as session:
        attach(
            session,
            call["ids"][2],
            "<script>alert(1)</script> **bold** [link](javascript:x) trafficking",
            call["admin"],
            "h.txt",
        )
    with db.read() as session:
        [hit] = search_documents(session, query="trafficking", viewer=call["admin"])
    # Returned as it is, not escaped (the page shows it as text, never HTML); PostgreSQL's headline leaves tags out.
    assert "[link](javascript:x) trafficking" in hit.snippet and "&lt;" not in hit.snippet
    if db.engine.dialect.name == "sqlite":
        assert hit.snippet.startswith("<script>alert(1)</script> **bold**")


def test_a_long_text_of_distinct_tokens_is_stored_and_searchable(db, call):
    """PostgreSQL's tsvector holds at most 1 MB: the index reads a document's first 200,000 characters."""
    words = " ".join(f"t{i:06d}" for i in range(120_000)) + " needle"  # about 960,000 characters
    with db.write() as session:
        session.execute(
            text("UPDATE submission_documents SET text = :t WHERE id = :id"), {"t": words, "id": call["docs"][2]}
        )
    assert found(db, call["admin"], "t000001") == [(call["ids"][2], 1)]


def test_the_migration_indexes_documents_already_stored(db, call):
    downgrade(db, "0009")
    # a plain transaction: the app's write unit stamps the current schema's table versions (0017), absent at 0009
    with db.engine.begin() as session:
        session.execute(
            text("UPDATE submission_documents SET text = 'hitherto unindexed words' WHERE id = :id"),
            {"id": call["docs"][2]},
        )
    upgrade(db)
    assert found(db, call["admin"], "hitherto") == [(call["ids"][2], 1)]


_rng = random.Random(15)
LONG = " ".join(_rng.choice(PLANTED.split()) for _ in range(400))  # 400 words: distinct 5-grams


def _near_copy(text: str) -> str:
    words = text.split()
    return " ".join([*words[:100], "inserted", "words", *words[100:300], *words[310:]])


def test_similar_submissions_are_flagged_with_their_score_and_decided_like_import_duplicates(db, call_config):
    with db.write() as session:
        admin = make_user(session, role="admin")
        office = make_user(session, role="office")
        reviewer = make_user(session, role="reviewer")
        first = make_submission(session, call_config, summary="Our programme in the north east.")
        copy = make_submission(session, call_config, summary="Our programme in the north east of England.")
        other = make_submission(session, call_config, summary="A survey of nail bar workers in three cities.")
        attach(session, first, LONG, admin)
        attach(session, copy, _near_copy(LONG), admin)
        attach(session, other, "A survey of nail bar workers, their hours, pay and debts, across three cities.", admin)
    for person in (office, reviewer):
        with pytest.raises(AccessDenied), db.write() as session:
            flag_similar_submissions(session, viewer=person)
    with db.read() as session:
        assert session.scalars(select(DuplicateFlag)).all() == []

    with db.write() as session:
        run = flag_similar_submissions(session, viewer=admin)
    assert (run.submissions, run.pairs, run.flagged, run.already_flagged) == (3, 1, 1, 0)
    with db.read() as session:
        [flag] = imports.list_flags(session)
        [created] = session.execute(
            select(AuditEntry.actor, AuditEntry.new).where(AuditEntry.action == "duplicate_flag.create")
        ).all()
    assert {flag.submission_id, flag.other_submission_id} == {first, copy}
    assert flag.submission_id == copy and flag.import_batch_id is None
    score = created.new["score"]
    assert 0.6 <= score < 1 and flag.reason == similarity_reason(score)
    assert created.actor == admin.username

    # Decided as an import's flag is: same decision, same audit; a second run flags nothing again.
    with db.write() as session:
        imports.decide_flag(session, flag_id=flag.id, status="not_duplicate", actor=admin.username)
    with db.write() as session:
        again = flag_similar_submissions(session, viewer=admin)
    assert (again.pairs, again.flagged, again.already_flagged) == (1, 0, 1)
    with db.read() as session:
        assert imports.list_flags(session) == []
        [decided] = session.execute(
            select(AuditEntry.entity_id, AuditEntry.new).where(AuditEntry.action == "duplicate_flag.decide")
        ).all()
    assert decided.new["status"] == "not_duplicate" and decided.entity_id == str(flag.id)


def _index_holds(db, word: str) -> bool:
    """Whether the search index's stored bytes (SQLite: FTS5's segments) or a row still hold `word`."""
    with db.read() as session:
        if db.engine.dialect.name == "sqlite":
            blocks = session.execute(text("SELECT block FROM submission_documents_fts_data")).scalars()
            if any(isinstance(b, bytes) and word.encode() in b for b in blocks):
                return True
        return bool(
            session.execute(
                text("SELECT count(*) FROM submission_documents WHERE lower(text) LIKE :w"), {"w": f"%{word}%"}
            ).scalar()
        )


def test_no_word_of_an_erased_removed_or_replaced_document_stays_in_the_indexs_stored_bytes(db, call):
    """FTS5's delete only marks words deleted: the words themselves stay in the index's
    segments (readable in the file and in every backup) until they are merged. Erasure,
    removal and a redacted version leave none of them behind."""
    ids, admin = call["ids"], call["admin"]
    with db.write() as session:
        for i, sid in enumerate(ids):  # a few more documents, so that the index has segments to merge
            attach(session, sid, f"Further notes number {i} about outreach.", admin, name=f"notes{i}.txt")
        attach(session, ids[1], "Statement by Zorabel Quenningford of Wexhamptonshire.", admin, "name.txt")
        gone = attach(session, ids[0], "A letter from Pellingworth Almshouse Trust.", admin, "letter.txt")
    for word in ("quenningford", "survivors", "pellingworth", "procurement"):
        assert _index_holds(db, word), word
    with db.write() as session:
        privacy.erase_submission(session, submission_id=ids[1], actor="admin", reason="request")
    for word in ("quenningford", "wexhamptonshire", "survivors"):  # erased
        assert not _index_holds(db, word), word
    with db.write() as session:
        documents.remove_document(session, document_id=gone, actor=admin)
    assert not _index_holds(db, "pellingworth")  # removed
    with db.write() as session:
        documents.replace_with_redacted(
            session,
            document_id=call["docs"][2],
            name="r.txt",
            content=b"Minutes, names removed.",
            actor=admin,
            limits=LIMITS,
        )
    assert not _index_holds(db, "procurement")  # replaced by a redacted version
    assert _index_holds(db, "bondage") and found(db, admin, "outreach")  # what remains is still found
