"""Factories that write real rows through the app's own data functions."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping

import pandas as pd

from access.visibility import Viewer
from config import CallConfig
from data_access import assignments, users
from data_access import submissions as submissions_da
from data_access.reviews import ReviewDraft, save_review
from importing.submission_rules import SubmissionInput

_counter = itertools.count(1)
TEST_PASSWORD = "correct-horse-battery"
_HASH: dict[tuple[str, str | None], str] = {}


def password_hash(password: str = TEST_PASSWORD, *, username: str | None = None) -> str:
    if (password, username) not in _HASH:
        _HASH[password, username] = users.hash_password(password, username=username, rounds=4)
    return _HASH[password, username]


def make_user(
    session,
    *,
    role: str = "reviewer",
    username: str | None = None,
    name: str | None = None,
    password: str = TEST_PASSWORD,
    organisation: str | None = None,
    email: str | None = None,
    capacity: int | None = None,
) -> Viewer:
    n = next(_counter)
    username = username or f"{role}{n}"
    record = users.create_user(
        session,
        username=username,
        name=name or f"Test {role.title()} {n}",
        role=role,
        password_hash=password_hash(password, username=username),
        organisation=organisation,
        email=email,
        capacity=capacity,
        actor="test",
    )
    return Viewer(user_id=record.id, username=record.username, name=record.name, role=record.role)


def submission_input(config: CallConfig, *, rng: random.Random | None = None, **overrides) -> SubmissionInput:
    rng = rng or random.Random(next(_counter))
    theme_of = config.focus_area_theme()
    focus = rng.choice(list(theme_of))
    data = {
        "title": f"Test evidence {rng.randint(1, 10**6)}",
        "summary": "A summary of the evidence.\nSecond line.",
        "themes": [theme_of[focus]],
        "focus_areas": [focus],
        "exploitation_types": [rng.choice(config.vocabulary("exploitation_types").ids)],
        "evidence_forms": [rng.choice(config.vocabulary("evidence_forms").ids)],
        "evidence_source": rng.choice(config.vocabulary("evidence_source").ids),
        "sector": rng.choice(config.vocabulary("sector").ids),
        "nation": rng.choice(config.vocabulary("nation").ids),
        "stage": rng.choice(config.vocabulary("stage").ids),
        "reported_impact": rng.choice(config.vocabulary("reported_impact").ids),
        "presentation_preference": rng.choice(config.vocabulary("presentation_preference").ids),
        "organisation": f"Test Organisation {rng.randint(1, 10**6)}",
        "contact_name": "Test Contact",
        "contact_email": "contact@test.example",
    }
    data.update(overrides)
    return SubmissionInput(**data)


def make_submission(session, config: CallConfig, **overrides) -> int:
    return submissions_da.create_submission(
        session, data=submission_input(config, **overrides), config=config, actor="test"
    )


def assign(session, submission_id: int, reviewer: Viewer) -> None:
    assignments.add_assignment(session, submission_id=submission_id, reviewer_id=reviewer.user_id, actor="test")


def submit_review(
    session,
    config: CallConfig,
    submission_id: int,
    reviewer: Viewer,
    scores: dict[str, int | None] | None = None,
    comment: str = "A comment.",
) -> None:
    scores = scores if scores is not None else dict.fromkeys(config.criterion_ids, 3)
    save_review(
        session,
        submission_id=submission_id,
        reviewer_id=reviewer.user_id,
        actor=reviewer.username,
        draft=ReviewDraft(scores=scores, comment=comment, recommendation="feature", confidence="medium"),
        submit=True,
        expected_version=None,
        config=config,
    )


def scores_frame_for(config: CallConfig, overall: Mapping[int, float], *, n_reviews: int = 3) -> pd.DataFrame:
    """Scores shaped like `scoring.score_submissions` output (indexed by submission_id) for chosen
    calibrated scores: for tests of code that takes scores as input."""
    rows = []
    for sid, value in overall.items():
        row = {"submission_id": sid, "overall_calibrated": value, "overall_mean": value, "n_reviews": n_reviews}
        row |= {f"mean_{c}": value for c in config.criterion_ids}
        row |= {"disagreement": 0.5, "flagged": False}
        rows.append(row)
    return pd.DataFrame(rows).set_index("submission_id")
