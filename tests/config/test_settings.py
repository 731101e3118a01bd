"""Deployment settings: the cookie key rules, sources, and documentation."""

import re
import secrets
import uuid

import pytest

from config import SETTINGS, SettingsError, load_settings
from config.settings import MIN_COOKIE_KEY_BITS, MIN_COOKIE_KEY_LENGTH, estimated_key_bits
from tests.conftest import ROOT

GOOD_KEY = "s5Pu4pYGBLssrRVv-P0TXGCLuSwRCSXeqmu6-d9FEPrm"  # secrets.token_urlsafe(33), once


def settings(env: dict, *, secrets: dict | None = None, tmp_path=None):
    return load_settings(env, secrets=secrets or {}, root=tmp_path or ROOT)


def test_missing_cookie_key_is_refused_outside_demo_mode():
    with pytest.raises(SettingsError, match="no cookie key is set"):
        settings({})


@pytest.mark.parametrize("key", ["some_key", "SOME_KEY", "changeme", "replace-with-a-long-random-key"])
def test_published_default_keys_are_refused(key):
    with pytest.raises(SettingsError, match="published default"):
        settings({"EVIDENCE_COOKIE_KEY": key})


def test_short_keys_are_refused():
    with pytest.raises(SettingsError, match=f"needs at least {MIN_COOKIE_KEY_LENGTH}"):
        settings({"EVIDENCE_COOKIE_KEY": "x" * (MIN_COOKIE_KEY_LENGTH - 1)})


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("a" * 64, "only 1 different character;"),
        ("ab" * 32, "only 2 different characters"),
        ("abcd" * 16, "only 4 different characters"),
        ("k" * 8 + "Zq81-_" * 6, "only 7 different characters"),
        ("0123456789abcdef" * 4, "one short sequence of characters repeated"),
        ("Tr0ub4dor&3" * 4, "one short sequence of characters repeated"),
        ("a" * 56 + "bcdefghi", "entropy is about 59 bits"),
    ],
)
def test_keys_with_too_little_entropy_are_refused_like_short_ones(key, words):
    assert len(key) >= MIN_COOKIE_KEY_LENGTH
    with pytest.raises(SettingsError, match=words) as refused:
        settings({"EVIDENCE_COOKIE_KEY": key})
    assert "EVIDENCE_COOKIE_KEY" in str(refused.value) and "token_urlsafe" in str(refused.value)
    with pytest.raises(SettingsError, match=words):
        settings({}, secrets={"cookie_key": key})


def test_random_keys_of_the_usual_kinds_are_accepted():
    for _ in range(2000):
        for key in (secrets.token_hex(16), secrets.token_urlsafe(24), secrets.token_urlsafe(48), uuid.uuid4().hex):
            assert settings({"EVIDENCE_COOKIE_KEY": key}).cookie_key == key
    assert estimated_key_bits("a" * 64) == 0
    assert estimated_key_bits("ab" * 32) == pytest.approx(64)
    assert estimated_key_bits(GOOD_KEY) > MIN_COOKIE_KEY_BITS


def test_a_long_random_key_is_accepted_from_the_environment_or_secrets():
    assert settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY}).cookie_key == GOOD_KEY
    from_secrets = settings({}, secrets={"cookie_key": GOOD_KEY})
    assert from_secrets.cookie_key == GOOD_KEY
    assert "secrets.toml" in from_secrets.cookie_key_source


def test_the_environment_wins_over_secrets():
    s = settings(
        {"EVIDENCE_COOKIE_KEY": GOOD_KEY, "DATABASE_URL": "sqlite:////tmp/a.db"},
        secrets={"cookie_key": "b" * 40, "database_url": "sqlite:////tmp/b.db"},
    )
    assert s.cookie_key == GOOD_KEY
    assert s.database_url == "sqlite:////tmp/a.db"


def test_demo_mode_generates_and_keeps_a_key(tmp_path):
    first = settings({"EVIDENCE_DEMO": "1", "EVIDENCE_DATA_DIR": str(tmp_path)}, tmp_path=tmp_path)
    second = settings({"EVIDENCE_DEMO": "1", "EVIDENCE_DATA_DIR": str(tmp_path)}, tmp_path=tmp_path)
    assert len(first.cookie_key) >= MIN_COOKIE_KEY_LENGTH
    assert first.cookie_key == second.cookie_key
    assert (tmp_path / ".demo-cookie-key").stat().st_mode & 0o077 == 0


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path):
    s = settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'evidence.db'}"


def test_plain_postgresql_urls_use_psycopg_3():
    s = settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "DATABASE_URL": "postgresql://u:p@h:5432/d"})
    assert s.database_url == "postgresql+psycopg://u:p@h:5432/d"


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"EVIDENCE_BCRYPT_ROUNDS": "three"}, "must be a int"),
        ({"EVIDENCE_BCRYPT_ROUNDS": "40"}, "between 4 and 16"),
        ({"EVIDENCE_DEMO": "perhaps"}, "true or false"),
        ({"EVIDENCE_MAX_UPLOAD_MB": "0"}, "above 0"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(env, words):
    with pytest.raises(SettingsError) as info:
        settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, **env})
    assert next(iter(env)) in str(info.value)
    assert words in str(info.value)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for spec in SETTINGS:
        assert re.search(rf"`{spec.env}`", doc), f"{spec.env} is not in docs/settings.md"
        if spec.secret:
            assert f"`{spec.secret}`" in doc, f"secret {spec.secret} is not in docs/settings.md"
