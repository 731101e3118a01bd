"""The key of the submitted scores (`data_access.reviews.submitted_key`, issue 21): it moves with every change
of what `scores_frame` reads (the submitted reviews' scores, submissions and reviewers), and stays put when a
draft is saved, so the office's pages read the scores again exactly when they could differ. A stale key is a
bug: each kind of change is checked against the frame itself, read in the same snapshot."""

from __future__ import annotations

import ast
import re

import pytest
from sqlalchemy import select, update

from data_access.assignments import add_assignment, declare_conflict
from data_access.models import Review, Submission
from data_access.privacy import erase_submission
from data_access.reviews import (
    ReviewDraft,
    back_to_draft,
    get_own_review,
    reopen_review,
    save_review,
    scores_frame,
    submitted_key,
)
from data_access.users import set_active
from tests.conftest import ROOT
from tests.factories import assign, make_submission, make_user, submit_review


@pytest.fixture
def panel(db, call_config):
    """Ann and Ben, both assigned CFE-0001..3. Ann submitted CFE-0001 and CFE-0002, Ben CFE-0001; Ben has a draft
    of CFE-0002; CFE-0003 is reviewed by nobody; CFE-0004 is assigned to nobody."""
    with db.write() as s:
        ann, ben = make_user(s, name="Ann"), make_user(s, name="Ben")
        subs = [make_submission(s, call_config, reference=f"CFE-000{n}", title=f"Title {n}") for n in (1, 2, 3, 4)]
        for sid in subs[:3]:
            assign(s, sid, ann)
            assign(s, sid, ben)
        submit_review(s, call_config, subs[0], ann)
        submit_review(s, call_config, subs[1], ann, scores=dict.fromkeys(call_config.criterion_ids, 4))
        submit_review(s, call_config, subs[0], ben, scores=dict.fromkeys(call_config.criterion_ids, 2))
        _save(s, call_config, subs[1], ben, score=1, submit=False)
    return {"ann": ann, "ben": ben, "subs": subs}


def _state(db):
    with db.snapshot() as s:
        return submitted_key(s), scores_frame(s)


def _version(s, sid, who) -> int | None:
    own = get_own_review(s, submission_id=sid, reviewer_id=who.user_id)
    return None if own is None else own.version


def _save(s, config, sid, who, *, score: int = 5, submit: bool) -> None:
    """`who`'s own form saved (a draft) or submitted, with `score` for every criterion, from the version they opened."""
    given = {"recommendation": "feature", "confidence": "medium"} if submit else {}
    draft = ReviewDraft(scores=dict.fromkeys(config.criterion_ids, score), comment="x", **given)
    form = {"submission_id": sid, "reviewer_id": who.user_id, "actor": who.username}
    save_review(s, draft=draft, submit=submit, expected_version=_version(s, sid, who), config=config, **form)


def _review(s, sid, who) -> Review:
    return s.scalars(select(Review).where(Review.submission_id == sid, Review.reviewer_id == who.user_id)).one()


# Changes that leave every submitted score as it was: the key stays, and the frame is the same.
STAYS = {
    "another user's draft saved": lambda s, p, c: _save(s, c, p["subs"][1], p["ben"], score=3, submit=False),
    "a first draft saved": lambda s, p, c: _save(s, c, p["subs"][2], p["ann"], score=2, submit=False),
    "an assignment added": lambda s, p, c: add_assignment(
        s, submission_id=p["subs"][3], reviewer_id=p["ann"].user_id, actor="coordinator"
    ),
    "a conflict declared on a draft": lambda s, p, c: declare_conflict(
        s, submission_id=p["subs"][1], reviewer_id=p["ben"].user_id, actor="ben", source="reviewer"
    ),
    "a submission edited (as a re-import does)": lambda s, p, c: s.execute(
        update(Submission).where(Submission.id == p["subs"][0]).values(title="Renamed")
    ),
    "a reviewer deactivated": lambda s, p, c: set_active(s, user_id=p["ben"].user_id, active=False, actor="admin"),
    "a submission nobody reviewed erased": lambda s, p, c: erase_submission(
        s, submission_id=p["subs"][2], actor="admin", reason="error"
    ),
}

# Every way a submitted score can change (`submitted_key`'s docstring): the key moves and the frame differs.
MOVES = {
    "a draft submitted": lambda s, p, c: _save(s, c, p["subs"][1], p["ben"], score=1, submit=True),
    "a review submitted at its first save": lambda s, p, c: _save(s, c, p["subs"][2], p["ann"], submit=True),
    "a submitted review submitted again with other scores": lambda s, p, c: _save(
        s, c, p["subs"][0], p["ann"], score=5, submit=True
    ),
    "a review reopened by its reviewer": lambda s, p, c: reopen_review(
        s,
        submission_id=p["subs"][0],
        reviewer_id=p["ben"].user_id,
        actor="ben",
        expected_version=_version(s, p["subs"][0], p["ben"]),
    ),
    "a review set aside by the admin's conflict": lambda s, p, c: declare_conflict(
        s, submission_id=p["subs"][1], reviewer_id=p["ann"].user_id, actor="admin", source="admin"
    ),
    "a reviewed submission erased (its reviews cascade)": lambda s, p, c: erase_submission(
        s, submission_id=p["subs"][1], actor="admin", reason="request"
    ),
    "in one unit, a review reopened and another submitted": lambda s, p, c: (
        back_to_draft(s, _review(s, p["subs"][1], p["ann"]), actor="ann", action="review.reopen"),
        _save(s, c, p["subs"][1], p["ben"], score=1, submit=True),
    ),
}


@pytest.mark.parametrize(("change", "moves"), [(c, False) for c in STAYS] + [(c, True) for c in MOVES])
def test_the_key_moves_with_every_change_of_a_submitted_score_and_with_nothing_else(
    db, call_config, panel, change, moves
):
    key, frame = _state(db)
    with db.write() as s:
        (MOVES if moves else STAYS)[change](s, panel, call_config)
    now, after = _state(db)
    assert after.equals(frame) is not moves  # the change is what it says: the scores changed, or not
    assert (now != key) is moves


def test_a_review_submitted_again_unchanged_moves_the_key_and_keeps_the_scores(db, call_config, panel):
    key, frame = _state(db)
    with db.write() as s:
        _save(s, call_config, panel["subs"][0], panel["ben"], score=2, submit=True)
    now, after = _state(db)
    assert after.equals(frame) and now != key  # a new key, the same content (`ui.scores.content_key`: no refit)


def test_submitted_and_reopened_gives_the_earlier_key_with_the_earlier_scores(db, call_config, panel):
    """The key can come back (a review submitted, then reopened): only with the scores it had then."""
    key, frame = _state(db)
    with db.write() as s:
        _save(s, call_config, panel["subs"][1], panel["ben"], score=1, submit=True)
    moved, _ = _state(db)
    with db.write() as s:
        back_to_draft(s, _review(s, panel["subs"][1], panel["ben"]), actor="ben", action="review.reopen")
    back, after = _state(db)
    assert moved != key
    assert back == key and after.equals(frame)


def test_a_call_without_a_submitted_review_has_a_key_that_its_first_moves(db, call_config):
    with db.write() as s:
        ann = make_user(s, name="Ann")
        sid = make_submission(s, call_config)
        assign(s, sid, ann)
        _save(s, call_config, sid, ann, submit=False)
    key, frame = _state(db)
    assert key == (0, None, None, None, None) and frame.empty
    with db.write() as s:
        _save(s, call_config, sid, ann, submit=True)
    now, after = _state(db)
    assert now != key and len(after) == len(call_config.criterion_ids)


def test_nothing_but_the_reviewed_statements_writes_the_reviews():
    """`submitted_key` relies on every write of a review or its scores bumping the review's version (or moving it
    in or out of the submitted ones): the statements that write `reviews` or `review_scores` are these, in
    `save_review`, `back_to_draft` and the demo's seed (which backdates its own new reviews). A new one fails here
    until `submitted_key`'s docstring and tests/data_access/test_submitted_key.py say how it moves the key.
    The frame read in part (`data_access.scores_delta`) relies on it review by review: each of these sets the
    review's `updated_at`, and those writing its scores add one to its version
    (tests/data_access/test_scores_delta.py patches a frame across every change listed in STAYS and MOVES)."""
    reviewed = {
        ("data_access/reviews.py", "insert", "Review"): 2,  # the first save, per dialect
        ("data_access/reviews.py", "update", "Review"): 2,  # a save (version + 1), back_to_draft (version + 1)
        ("data_access/reviews.py", "delete", "ReviewScore"): 1,  # a save rewrites its scores
        ("data_access/reviews.py", "insert", "ReviewScore"): 1,
        ("data_access/demo.py", "update", "Review"): 1,  # the seed's dates of the reviews it just saved
    }
    found: dict[tuple[str, str, str], int] = {}
    folders = ("data_access", "ui", "pages", "importing", "briefing", "documents", "messages", "scoring")
    files = [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py")) if "migrations" not in p.parts]
    for path in [*files, ROOT / "manage.py", ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Name):
                continue
            verb = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            verb = verb.removeprefix("sqlite_").removeprefix("postgresql_")
            model = node.args[0].id
            if model in ("Review", "ReviewScore") and verb in ("insert", "update", "delete"):
                where = (str(path.relative_to(ROOT)), verb, model)
                found[where] = found.get(where, 0) + 1
            if model in ("Review", "ReviewScore") and verb == "add":
                found[(str(path.relative_to(ROOT)), "add", model)] = 1
        text = path.read_text(encoding="utf-8")
        made = re.findall(r"(?<![\w.])(?:class )?Review(?:Score)?\(", text)
        assert set(made) <= {"class Review(", "class ReviewScore("}, (path, made)  # no row made as an object
        raw = re.findall(r"(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+\"?review(?:s|_scores)\b", text, re.IGNORECASE)
        assert not raw, (path, raw)  # nor written in SQL of our own
    assert found == reviewed
