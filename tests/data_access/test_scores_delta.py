"""The submitted scores read again reading only the reviews that changed (`data_access.scores_delta`, issue 21):
after any sequence of submits, resubmits, reopenings, set-asides, erasures and drafts, the patched frame is
the whole read's frame (`reviews.scores_frame`), to the row, its order and its digest; a small change reads the
scores of the changed reviews only (the statements counted), a large one or none kept reads them all; and
every change that `submitted_key`'s inventory lists keeps the patched frame whole. Both databases."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import event, select

from data_access import scores_delta
from data_access.assignments import declare_conflict
from data_access.models import Review, Submission
from data_access.privacy import erase_submission
from data_access.reviews import ReviewDraft, back_to_draft, get_own_review, save_review, scores_frame
from data_access.submissions import AccessDenied
from tests.data_access.test_submitted_key import MOVES, STAYS, panel  # noqa: F401 (panel: a fixture)
from tests.factories import assign, make_submission, make_user
from ui.scores import digest

N_SUBMISSIONS, N_REVIEWERS = 8, 3


def _whole(db):
    with db.snapshot() as s:
        return scores_frame(s)


def _since(db, kept):
    with db.snapshot() as s:
        return scores_delta.scores_since(s, kept)


def _assert_whole(db, kept) -> None:
    expected = _whole(db)
    assert kept.frame.equals(expected), (kept.frame, expected)
    assert list(kept.frame.dtypes) == list(expected.dtypes) and list(kept.frame.columns) == list(expected.columns)
    assert digest(kept.frame) == digest(expected)
    assert len(kept.review_ids) == len(kept.frame)


def _save(s, config, sid, who, scores, *, submit: bool) -> None:
    given = {"recommendation": "feature", "confidence": "medium"} if submit else {}
    own = get_own_review(s, submission_id=sid, reviewer_id=who.user_id)
    with contextlib.suppress(AccessDenied):  # set aside earlier: a conflict of interest on the pair
        save_review(
            s,
            submission_id=sid,
            reviewer_id=who.user_id,
            actor=who.username,
            draft=ReviewDraft(scores=scores, comment="x", **given),
            submit=submit,
            expected_version=None if own is None else own.version,
            config=config,
        )


def _new_submission(s, config, reviewers) -> int:
    sid = make_submission(s, config)
    for who in reviewers:
        assign(s, sid, who)
    return sid


@pytest.fixture
def pool(db, call_config):
    """Eight submissions assigned to three reviewers, half of the pairs with a submitted review."""
    with db.write() as s:
        reviewers = [make_user(s, name=f"Reviewer {n}") for n in range(N_REVIEWERS)]
        subs = [_new_submission(s, call_config, reviewers) for _ in range(N_SUBMISSIONS)]
        for n, sid in enumerate(subs):
            for r, who in enumerate(reviewers):
                if (n + r) % 2 == 0:
                    _save(
                        s, call_config, sid, who, dict.fromkeys(call_config.criterion_ids, 1 + (n + r) % 5), submit=True
                    )
    return reviewers


def _step(s, config, reviewers, step) -> None:
    """One change of the panel's: `step` is (kind, submission's place, reviewer's place, scores)."""
    kind, at, who_at, values = step
    subs = s.scalars(select(Submission.id).order_by(Submission.id)).all()
    sid, who = subs[at % len(subs)], reviewers[who_at % len(reviewers)]
    scores = dict(zip(config.criterion_ids, values, strict=False))
    if kind in ("submit", "draft"):
        full = kind == "submit"
        _save(
            s, config, sid, who, scores if not full else {c: scores.get(c) for c in config.criterion_ids}, submit=full
        )
        return
    review = s.scalar(select(Review).where(Review.submission_id == sid, Review.reviewer_id == who.user_id))
    if kind == "reopen" and review is not None and review.status == "submitted":
        back_to_draft(s, review, actor=who.username, action="review.reopen")
    elif kind == "set aside":
        declare_conflict(s, submission_id=sid, reviewer_id=who.user_id, actor="admin", source="admin")
    elif kind == "erase":  # its reviews go; a new submission takes its place (SQLite may give its ids again)
        erase_submission(s, submission_id=sid, actor="admin", reason="request")
        _new_submission(s, config, reviewers)


STEPS = hs.tuples(
    hs.sampled_from(("submit", "submit", "submit", "draft", "reopen", "set aside", "erase")),
    hs.integers(0, N_SUBMISSIONS - 1),
    hs.integers(0, N_REVIEWERS - 1),
    hs.lists(hs.one_of(hs.none(), hs.integers(1, 5)), min_size=1, max_size=8),
)


def test_the_patched_frame_is_the_whole_read_after_any_sequence_of_changes(db, call_config, pool, monkeypatch):
    monkeypatch.setattr(scores_delta, "CHUNK", 2)  # several `IN (...)` reads when several reviews changed
    whole_reads = []
    real_whole = scores_delta.whole
    monkeypatch.setattr(scores_delta, "whole", lambda *a: whole_reads.append(1) or real_whole(*a))
    kept = {"scores": _since(db, None)}
    patched = []

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(steps=hs.lists(STEPS, min_size=1, max_size=6), together=hs.booleans())
    def run(steps, together):
        if together:  # in one unit of work: the frame is read once after them all
            with db.write() as s:
                for step in steps:
                    _step(s, call_config, pool, step)
        for n, step in enumerate(() if together else steps):
            with db.write() as s:
                _step(s, call_config, pool, step)
            if n % 2 == 0:  # not after every step: a few changes at once, too
                continue
            before = len(whole_reads)
            kept["scores"] = _since(db, kept["scores"])
            patched.append(len(whole_reads) == before)
            _assert_whole(db, kept["scores"])
        kept["scores"] = _since(db, kept["scores"])
        _assert_whole(db, kept["scores"])
        with db.snapshot() as s:
            gone, read = kept["scores"].manifest.changed(scores_delta.manifest(s))
        assert (list(gone), list(read)) == ([], [])  # the manifest kept is the state's

    run()
    assert any(patched), "no sequence took the patched path"


def _reads_of_scores(db) -> list[tuple[str, list]]:
    """The statements that read `review_scores` on `db` (recorded from now on), with their parameters."""
    seen: list[tuple[str, list]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "review_scores" in statement and statement.lstrip().upper().startswith("SELECT"):
            values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
            seen.append((statement, values))

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


def _review_id(db, sid, who) -> int:
    with db.read() as s:
        return s.scalar(select(Review.id).where(Review.submission_id == sid, Review.reviewer_id == who.user_id))


def test_a_small_change_reads_the_scores_of_the_changed_reviews_only(db, call_config, pool):
    kept = _since(db, None)
    with db.read() as s:
        subs = s.scalars(select(Submission.id).order_by(Submission.id)).all()
    reads = _reads_of_scores(db)
    assert _since(db, kept) is kept and reads == []  # nothing changed: the manifest only
    with db.write() as s:  # one review submitted again with other scores, one reopened
        _save(s, call_config, subs[0], pool[0], dict.fromkeys(call_config.criterion_ids, 2), submit=True)
        back_to_draft(s, s.get(Review, _review_id(db, subs[1], pool[1])), actor="r", action="review.reopen")
    reads.clear()
    after = _since(db, kept)
    assert len(reads) == 1
    statement, values = reads[0]
    assert " IN " in statement.upper()
    assert [v for v in values if isinstance(v, int)] == [_review_id(db, subs[0], pool[0])]
    assert len(after.frame) == len(kept.frame) - len(call_config.criterion_ids)  # the reopened one's rows gone
    _assert_whole(db, after)


def test_nothing_kept_or_a_large_change_reads_every_score(db, call_config, pool):
    reads = _reads_of_scores(db)
    kept = _since(db, None)
    assert len(reads) == 1 and " IN " not in reads[0][0].upper()
    with db.read() as s:
        submitted = s.scalars(select(Review).where(Review.status == "submitted").order_by(Review.id)).all()
        share = int(len(submitted) * scores_delta.WHOLE_SHARE) + 1
        assert share < len(submitted)
    with db.write() as s:  # more than WHOLE_SHARE of the submitted reviews reopened
        for review in s.scalars(select(Review).where(Review.status == "submitted").order_by(Review.id).limit(share)):
            back_to_draft(s, review, actor="r", action="review.reopen")
    reads.clear()
    after = _since(db, kept)
    assert len(reads) == 1 and " IN " not in reads[0][0].upper()
    _assert_whole(db, after)


def test_a_review_id_given_again_after_an_erasure_is_read_again(db, call_config, pool):
    """SQLite gives a new row the largest id + 1: the review with the largest id erased with its submission, the
    next review takes its id, at version 1 as it was. Its `updated_at` tells them apart."""
    with db.read() as s:
        newest = s.scalars(select(Review).order_by(Review.id.desc())).first()
        sid, who_id, rid = newest.submission_id, newest.reviewer_id, newest.id
        assert newest.version == 1 and newest.status == "submitted"
    who = next(r for r in pool if r.user_id == who_id)
    kept = _since(db, None)
    with db.write() as s:
        erase_submission(s, submission_id=sid, actor="admin", reason="request")
        other = _new_submission(s, call_config, pool)
        _save(s, call_config, other, who, dict.fromkeys(call_config.criterion_ids, 5), submit=True)
    new = _review_id(db, other, who)
    assert (new == rid) is (db.dialect == "sqlite")  # SQLite gives the id again; PostgreSQL's sequence does not
    after = _since(db, kept)
    _assert_whole(db, after)
    assert list(after.frame.loc[after.review_ids == new, "score"]) == [5.0] * len(call_config.criterion_ids)


@pytest.mark.parametrize(("change", "moves"), [(c, False) for c in STAYS] + [(c, True) for c in MOVES])
def test_every_change_of_the_inventory_keeps_the_patched_frame_whole(
    db,
    call_config,
    panel,  # noqa: F811 (the fixture imported)
    change,
    moves,
    monkeypatch,
):
    """`submitted_key`'s inventory of the writes of `reviews` and `review_scores`, each one patched (the panel
    has three submitted reviews: one changed is more than `WHOLE_SHARE`, so the share is lifted here)."""
    monkeypatch.setattr(scores_delta, "WHOLE_SHARE", 1.0)
    kept = _since(db, None)
    with db.write() as s:
        (MOVES if moves else STAYS)[change](s, panel, call_config)
    after = _since(db, kept)
    _assert_whole(db, after)
    assert (after is kept) is not moves  # what leaves the submitted scores be reads none of them
