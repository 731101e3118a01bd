"""Fixtures for the fault tests: a populated database (the demo call, smaller)
and running manage.py as a separate process against it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from data_access.demo import seed_demo
from tests.conftest import ROOT

DEMO_SUBMISSIONS = 40


@pytest.fixture
def populated(db, call_config):
    """The `db` fixture holding a small demo call: users, submissions,
    assignments, conflicts, drafts and submitted reviews, audit entries."""
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=DEMO_SUBMISSIONS)
    return db


def manage_command(*args: str | Path) -> list[str]:
    return [sys.executable, "manage.py", *(str(a) for a in args)]


def manage_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a manage.py process: this test's database, output unbuffered."""
    return {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1", **extra}


MANAGE_CWD = ROOT
