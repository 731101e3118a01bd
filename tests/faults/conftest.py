"""Fixtures for the fault tests: a populated database (the demo call, smaller)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from data_access.db import Database
from tests.conftest import DATABASES
from tests.support.demo_copies import demo_call

DEMO_SUBMISSIONS = 40


@pytest.fixture(params=DATABASES)
def populated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of the test's own (on SQLite and on PostgreSQL, as `db`) holding a small demo
    call: users, submissions, assignments, conflicts, drafts and submitted reviews, audit entries.
    A copy of one seeded once per test process (tests.support.demo_copies); its URL is `populated.url`."""
    with demo_call(request, tmp_path, DEMO_SUBMISSIONS) as db:
        yield db
