"""ui.context.settings reads the settings again only when what they are read from changed (issue 21:
reading them was a few milliseconds of pydantic several times in every script run)."""

from __future__ import annotations

import pytest

from config import ConfigError
from ui import context


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """load_settings counted; the secrets files are two files of this test's own."""
    reads = []
    real = context.load_settings

    def load():
        reads.append(1)
        return real()

    monkeypatch.setattr(context, "load_settings", load)
    files = [tmp_path / "project-secrets.toml", tmp_path / "home-secrets.toml"]
    monkeypatch.setattr(context, "secrets_files", lambda: files)
    context._settings_read.clear()
    yield reads, files
    context._settings_read.clear()


def test_the_settings_are_read_once_while_nothing_changes(counted):
    reads, _files = counted
    first = context.settings()
    assert context.settings() is first
    assert context.settings() is first
    assert len(reads) == 1


def test_a_changed_environment_is_read_at_the_next_call(counted, monkeypatch):
    reads, _files = counted
    monkeypatch.setenv("EVIDENCE_COOKIE_EXPIRY_DAYS", "3")
    assert context.settings().cookie_expiry_days == 3
    monkeypatch.setenv("EVIDENCE_COOKIE_EXPIRY_DAYS", "5")
    assert context.settings().cookie_expiry_days == 5
    monkeypatch.delenv("EVIDENCE_COOKIE_EXPIRY_DAYS")
    context.settings()
    assert len(reads) == 3


def test_a_secrets_file_written_removed_or_changed_is_read_again(counted):
    reads, files = counted
    context.settings()
    files[0].write_text("# one\n")
    context.settings()
    files[0].write_text("# a longer one\n")
    context.settings()
    files[0].unlink()
    context.settings()
    context.settings()
    assert len(reads) == 4


def test_broken_settings_are_never_kept(counted, monkeypatch):
    reads, _files = counted
    monkeypatch.setenv("EVIDENCE_COOKIE_EXPIRY_DAYS", "not a number")
    for _ in range(2):
        with pytest.raises(ConfigError):
            context._load_settings()
    assert len(reads) == 2
    assert context._settings_read == []
