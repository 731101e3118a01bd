"""Data protection: erasing a submission everywhere, and the retention purge."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text

from data_access import audit, exports, imports, privacy
from data_access.assignments import declare_conflict
from data_access.models import Base, ImportBatch, Submission
from data_access.reviews import ReviewDraft, save_review, scores_frame
from importing import propose_mapping, read_table
from scoring import score_submissions
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.spreadsheets import template_csv, valid_row

LIMIT = 10 * 1024 * 1024
SECRET_TITLE = "Erase-me evaluation of Larkspur Lane project"
SECRET_CONTACT = "Wilhelmina Erasable"
SECRET_EMAIL = "wilhelmina@erasable.example"
SECRET_COMMENT = "Wilhelmina's team at Larkspur Lane did well"


def _import(db, config, rows, actor="admin"):
    content = template_csv(rows)
    mapping = propose_mapping(read_table(content, "subs.csv", max_bytes=LIMIT), config)
    with db.write() as session:
        return imports.apply_import(
            session, content=content, filename="subs.csv", mapping=mapping, config=config, max_bytes=LIMIT, actor=actor
        )


@pytest.fixture
def call_with_a_target(db, call_config):
    """An imported submission with reviews, a conflict and a comment naming people; and a bystander."""
    _import(
        db,
        call_config,
        [
            valid_row(1, title=SECRET_TITLE, contact_name=SECRET_CONTACT, contact_email=SECRET_EMAIL),
            valid_row(2),
        ],
    )
    # an edit by a second import, so that the audit log holds old and new contact values
    _import(
        db,
        call_config,
        [
            valid_row(1, title=SECRET_TITLE, contact_name=SECRET_CONTACT + " Jr", contact_email=SECRET_EMAIL),
            valid_row(2),
        ],
    )
    with db.write() as s:
        target = s.scalar(select(Submission.id).where(Submission.reference == "CFE-0001"))
        bystander = s.scalar(select(Submission.id).where(Submission.reference == "CFE-0002"))
        r1, r2, r3 = (make_user(s, role="reviewer") for _ in range(3))
        admin = make_user(s, role="admin", username="boss")
        for reviewer in (r1, r2, r3):
            assign(s, target, reviewer)
            assign(s, bystander, reviewer)
        submit_review(s, call_config, target, r1, comment=SECRET_COMMENT)
        save_review(
            s,
            submission_id=target,
            reviewer_id=r2.user_id,
            actor=r2.username,
            submit=False,
            expected_version=None,
            config=call_config,
            draft=ReviewDraft(scores={"promise": 4}, comment=SECRET_COMMENT),
        )
        declare_conflict(
            s,
            submission_id=target,
            reviewer_id=r3.user_id,
            actor=r3.username,
            source="reviewer",
            reason=f"I know {SECRET_CONTACT}",
        )
        submit_review(s, call_config, bystander, r1, comment="Fine work.")
    return target, bystander, admin


def _rows_referencing(session, submission_id):
    """Rows in any table whose foreign key points at this submission."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "submissions" for fk in column.foreign_keys):
                n = session.scalar(select(func.count()).select_from(table).where(column == submission_id))
                if n:
                    found[f"{table.name}.{column.name}"] = n
    return found


def _everything_as_text(session) -> str:
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).all():
            parts.append(json.dumps([str(v) if isinstance(v, bytes | memoryview) else v for v in row], default=str))
    for batch in session.scalars(select(ImportBatch)):
        if batch.content:
            parts.append(batch.content.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_erasure_removes_the_submission_from_every_table_file_and_log(db, call_config, call_with_a_target):
    target, bystander, _admin = call_with_a_target
    with db.read() as s:
        before = _everything_as_text(s)
    assert SECRET_CONTACT in before and SECRET_COMMENT in before and SECRET_TITLE in before

    with db.write() as s:
        report = privacy.erase_submission(s, submission_id=target, actor="boss", reason="request")

    assert report.reference == "CFE-0001"
    assert (report.reviews, report.assignments, report.conflicts) == (2, 3, 1)
    assert report.import_files_emptied == 2
    with db.read() as s:
        assert s.get(Submission, target) is None
        assert _rows_referencing(s, target) == {}
        after = _everything_as_text(s)
        erasure = audit.list_entries(s, filters=audit.AuditFilter(action="submission.erase")).iloc[0]
        bystander_contact = s.get(Submission, bystander).contact_name
    for secret in (SECRET_TITLE, SECRET_CONTACT, SECRET_EMAIL, SECRET_COMMENT, "Larkspur"):
        assert secret not in after, secret
    assert erasure["actor"] == "boss" and erasure["new"]["reference"] == "CFE-0001"
    assert "asked for it to be erased" in erasure["detail"]
    assert bystander_contact == "Contact 2"
    assert "Fine work." in after  # nothing else was touched


def test_erased_submissions_leave_scores_and_exports(db, call_config, call_with_a_target):
    target, _bystander, _admin = call_with_a_target
    with db.read() as s:
        scores = score_submissions(scores_frame(s), call_config.weights)
        assert target in scores.index
    with db.write() as s:
        privacy.erase_submission(s, submission_id=target, actor="boss", reason="error")
    with db.read() as s:
        scores = score_submissions(scores_frame(s), call_config.weights)
        table = exports.scores_table(s, config=call_config, scores=scores)
    assert target not in scores.index
    assert "CFE-0001" not in table.to_csv().decode("utf-8-sig")


def test_erasure_needs_a_known_reason_and_an_existing_submission(db, call_config):
    with db.write() as s:
        sid = make_submission(s, call_config)
    with pytest.raises(privacy.ErasureError, match="reasons"), db.write() as s:
        privacy.erase_submission(s, submission_id=sid, actor="boss", reason="because")
    with pytest.raises(privacy.ErasureError, match="no such submission"), db.write() as s:
        privacy.erase_submission(s, submission_id=sid + 1000, actor="boss", reason="request")
    with db.read() as s:
        assert s.get(Submission, sid) is not None


NOW = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (dt.datetime(2026, 11, 30, tzinfo=dt.UTC), 24, dt.datetime(2024, 11, 30, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2026, 2, 28, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13, dt.datetime(2024, 12, 15, tzinfo=dt.UTC)),
    ],
)
def test_retention_cutoff(call_config, now, months, expected):
    import dataclasses

    assert privacy.retention_cutoff(dataclasses.replace(call_config, retention_months=months), now) == expected


def test_purge_removes_old_contact_details_only(db, call_config):
    old = NOW - dt.timedelta(days=800)
    recent = NOW - dt.timedelta(days=100)
    with db.write() as s:
        expired = make_submission(
            s,
            call_config,
            received_at=old,
            contact_name="Old Contact",
            contact_email="old@x.example",
            organisation="Old Org",
        )
        anon = make_submission(
            s, call_config, received_at=old, anonymous=True, contact_name="Anon Contact", organisation="Anon Org"
        )
        fresh = make_submission(
            s, call_config, received_at=recent, contact_name="New Contact", contact_email="new@x.example"
        )

    with db.write() as s:
        dry = privacy.purge_expired(s, config=call_config, actor="cron", now=NOW, dry_run=True)
    assert dry.submissions == 2 and dry.dry_run
    with db.read() as s:
        assert s.get(Submission, expired).contact_name == "Old Contact"

    with db.write() as s:
        report = privacy.purge_expired(s, config=call_config, actor="cron", now=NOW)
    assert report.submissions == 2
    with db.read() as s:
        gone, anonymous, kept = s.get(Submission, expired), s.get(Submission, anon), s.get(Submission, fresh)
        assert (gone.contact_name, gone.contact_email, gone.organisation) == (None, None, "Old Org")
        assert gone.contact_purged_at is not None
        assert (anonymous.contact_name, anonymous.organisation) == (None, None)
        assert (kept.contact_name, kept.contact_email) == ("New Contact", "new@x.example")
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="retention.purge")).iloc[0]
    assert entry["new"]["submissions"] == 2 and entry["actor"] == "cron"

    with db.write() as s:
        again = privacy.purge_expired(s, config=call_config, actor="cron", now=NOW)
    assert again.submissions == 0


def test_purge_strips_contact_details_from_the_audit_log_and_old_files(db, call_config):
    _import(
        db,
        call_config,
        [valid_row(1, contact_name="Rosalind Oldcontact", contact_email="ros@old.example", received_at="2021-07-05")],
    )
    _import(
        db,
        call_config,
        [
            valid_row(
                1, contact_name="Rosalind Oldcontact-Smith", contact_email="ros@old.example", received_at="2021-07-05"
            )
        ],
    )
    with db.write() as s:
        s.execute(text("UPDATE import_batches SET imported_at = :t"), {"t": NOW - dt.timedelta(days=900)})
    with db.write() as s:
        report = privacy.purge_expired(s, config=call_config, actor="cron", now=NOW)
    assert report.submissions == 1 and report.import_files_emptied == 2
    with db.read() as s:
        text_now = _everything_as_text(s)
    assert "Rosalind" not in text_now and "ros@old.example" not in text_now
    assert "Evidence number 1" in text_now  # the title is not a contact detail
