"""Fixtures for the fault tests: a populated database (the demo call, smaller)."""

from __future__ import annotations

import pytest

from data_access.demo import seed_demo

DEMO_SUBMISSIONS = 40


@pytest.fixture
def populated(db, call_config):
    """The `db` fixture holding a small demo call: users, submissions,
    assignments, conflicts, drafts and submitted reviews, audit entries."""
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=DEMO_SUBMISSIONS)
    return db
