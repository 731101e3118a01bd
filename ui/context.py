"""The app's shared objects: settings, the call's configuration, the database.

The engine is a `st.cache_resource` keyed by the database URL (shared, thread
safe); the configuration is re-read when its file changes. The settings are
read again only when what they are read from changes: the environment, or a
secrets file's modification time (reading them is a few milliseconds of
pydantic on every script run otherwise, several times a run). A broken setting
or configuration stops the app with a message naming the file, key and problem.
"""

from __future__ import annotations

import logging
import os
import threading

import streamlit as st

from config import CallConfig, ConfigError, Settings, load_call_config, load_settings
from config.settings import secrets_files
from data_access.db import Database
from data_access.migrate import head_revision, is_up_to_date

log = logging.getLogger("evidence_review")


_settings_lock = threading.Lock()
_settings_read: list[tuple[object, Settings]] = []  # at most one: (what they were read from, the settings)


def _settings_source() -> tuple[object, ...]:
    """What the settings are read from, cheaply: the environment and each secrets file's state."""
    files = []
    for path in secrets_files():
        try:
            stat = path.stat()
            files.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
        except OSError:
            files.append((str(path), None, None, None))
    return (tuple(sorted(os.environ.items())), tuple(files))


def _load_settings() -> Settings:
    source = _settings_source()
    with _settings_lock:
        if _settings_read and _settings_read[0][0] == source:
            return _settings_read[0][1]
    loaded = load_settings()  # raises on a broken setting: nothing is kept, the next run reads again
    with _settings_lock:
        _settings_read[:] = [(source, loaded)]
    return loaded


def settings() -> Settings:
    try:
        return _load_settings()
    except ConfigError as exc:
        st.error(f"The app cannot start: its settings are incomplete.\n\n{exc}", icon=":material/error:")
        st.stop()
        raise  # unreachable; st.stop raises


@st.cache_resource(show_spinner=False, max_entries=8)
def _call_config(path: str, mtime_ns: int) -> CallConfig:
    return load_call_config(path)


def call_config() -> CallConfig:
    path = settings().call_config
    try:
        mtime = path.stat().st_mtime_ns if path.exists() else 0
        return _call_config(str(path), mtime)
    except ConfigError as exc:
        st.error(f"The app cannot start: the call's configuration is broken.\n\n{exc}", icon=":material/error:")
        st.stop()
        raise


@st.cache_resource(show_spinner=False, max_entries=8)
def _database(url: str) -> Database:
    return Database(url)


def database() -> Database:
    """The app's database. Raises `DatabaseUnavailable` if it cannot be reached
    (`ui.errors.run_safely`, around app.py and every page, says so plainly)."""
    db = _database(settings().database_url)
    _check_schema(db.url)
    return db


@st.cache_resource(show_spinner=False, max_entries=8, ttl=60)
def _schema_ok(url: str) -> bool:
    db = _database(url)
    db.ping()
    return is_up_to_date(db)


def _check_schema(url: str) -> None:
    if not _schema_ok(url):
        _schema_ok.clear()
        db = _database(url)
        st.error(
            "The database's schema is older than this version of the app "
            f"(expected {head_revision(db)}). Run `python manage.py migrate`.",
            icon=":material/error:",
        )
        st.stop()
