"""Deployment settings: the cookie key rules, sources, and documentation."""

import re
import secrets
import uuid

import pytest

from config import SETTINGS, SettingsError, load_settings
from config.value_checks import MIN_COOKIE_KEY_BITS, MIN_COOKIE_KEY_LENGTH, estimated_key_bits
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


def test_a_misspelt_evidence_variable_is_refused_with_the_nearest_setting():
    with pytest.raises(SettingsError) as refused:
        settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_LOGIN_MAX_FAILURE": "3"})
    message = str(refused.value)
    assert "setting EVIDENCE_LOGIN_MAX_FAILURE (from environment): is not a setting" in message
    assert "did you mean EVIDENCE_LOGIN_MAX_FAILURES?" in message
    with pytest.raises(SettingsError, match=r"EVIDENCE_NONSENSE .*is not a setting of this app\. Every setting"):
        settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_NONSENSE": "1"})
    # An empty variable sets nothing; names outside EVIDENCE_ (or in another case) are not ours.
    s = settings(
        {"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_UNUSED": "", "STREAMLIT_SERVER_PORT": "1", "evidence_demo": "1"}
    )
    assert s.demo_mode is False


def write_secrets(folder, text):
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    path = folder / ".streamlit" / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project_and_home(tmp_path, monkeypatch):
    """A project folder and a home folder (Path.home() follows $HOME), each without secrets yet."""
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return project, home


def test_the_project_secrets_file_wins_over_the_home_one_and_is_named(project_and_home):
    project, home = project_and_home
    write_secrets(
        home, f'cookie_key = "{secrets.token_urlsafe(40)}"\ncookie_name = "from_home"\nlogin_lock_minutes = 30\n'
    )
    project_file = write_secrets(project, f'cookie_key = "{GOOD_KEY}"\n')
    s = load_settings({}, root=project)
    assert s.cookie_key == GOOD_KEY
    assert s.cookie_key_source == f"{project_file} key cookie_key"
    assert (s.cookie_name, s.login_lock_minutes) == ("from_home", 30)
    assert load_settings({"EVIDENCE_LOGIN_LOCK_MINUTES": "45"}, root=project).login_lock_minutes == 45
    # A key the project's file sets, even to nothing, replaces the home file's; empty means the default.
    write_secrets(project, f'cookie_key = "{GOOD_KEY}"\ncookie_name = ""\n')
    assert load_settings({}, root=project).cookie_name == "evidence_review_session"


def test_an_unknown_key_in_the_project_secrets_file_is_refused_naming_the_file(project_and_home):
    project, _home = project_and_home
    path = write_secrets(project, f'cookie_key = "{GOOD_KEY}"\ncookie_expiry_day = 3\n')
    with pytest.raises(SettingsError) as refused:
        load_settings({}, root=project)
    assert f"setting cookie_expiry_day (from {path}): is not a setting" in str(refused.value)
    assert "did you mean cookie_expiry_days?" in str(refused.value)
    with pytest.raises(SettingsError, match=r"setting cookie_kee \(from secrets\.toml\).*did you mean cookie_key"):
        settings({}, secrets={"cookie_kee": GOOD_KEY})


def test_tables_and_other_apps_keys_in_the_home_file_are_left_alone(project_and_home):
    project, home = project_and_home
    write_secrets(home, 'other_apps_api_token = "x"\n')
    write_secrets(project, f'cookie_key = "{GOOD_KEY}"\n\n[connections.warehouse]\nurl = "sqlite:///w.db"\n')
    assert load_settings({}, root=project).cookie_key == GOOD_KEY


def test_a_broken_secrets_file_is_refused_naming_it(project_and_home):
    project, _home = project_and_home
    path = write_secrets(project, "cookie_key = \n")
    with pytest.raises(SettingsError, match=f"from {re.escape(str(path))}\\): is not valid TOML"):
        load_settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY}, root=project)


@pytest.mark.parametrize(("word", "value"), [("on", True), (" YES ", True), ("1", True), ("off", False), ("no", False)])
def test_demo_mode_takes_these_words_only(word, value, tmp_path):
    assert (
        settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_DEMO": word, "EVIDENCE_DATA_DIR": str(tmp_path)}).demo_mode
        is value
    )
    for other in ("t", "y", "2", "enabled"):  # pydantic's own booleans take t and y; these settings never did
        with pytest.raises(
            SettingsError, match=f"EVIDENCE_DEMO \\(from environment\\): must be true or false, not '{other}'"
        ):
            settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "EVIDENCE_DEMO": other})


def test_a_fraction_for_a_whole_number_is_refused_not_cut():
    with pytest.raises(
        SettingsError, match=re.escape("EVIDENCE_LOGIN_MAX_FAILURES (from secrets.toml): must be a int, not 2.5")
    ):
        settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY}, secrets={"login_max_failures": 2.5})


def test_the_cookie_key_and_database_password_stay_out_of_repr():
    s = settings({"EVIDENCE_COOKIE_KEY": GOOD_KEY, "DATABASE_URL": "postgresql://u:hunter2-secret@h:5432/d"})
    assert s.database_url == "postgresql+psycopg://u:hunter2-secret@h:5432/d"
    assert GOOD_KEY not in repr(s) and "hunter2-secret" not in repr(s)
    assert "evidence_review_session" in repr(s)


def test_the_document_limits_are_settings_and_a_misspelt_one_is_refused():
    env = {"EVIDENCE_COOKIE_KEY": GOOD_KEY}
    default = settings(env).document_limits
    assert (default.max_bytes, default.max_per_submission_bytes) == (25 * 1024 * 1024, 100 * 1024 * 1024)
    limits = settings(
        {**env, "EVIDENCE_DOCUMENT_MAX_BYTES": "1000", "EVIDENCE_DOCUMENT_MAX_PER_SUBMISSION_BYTES": "5000"}
    ).document_limits
    assert (limits.max_bytes, limits.max_per_submission_bytes) == (1000, 5000)
    with pytest.raises(SettingsError, match="did you mean EVIDENCE_DOCUMENT_MAX_BYTES"):
        settings({**env, "EVIDENCE_DOCUMENT_MAX_BYTE": "1000"})
    with pytest.raises(SettingsError, match="EVIDENCE_DOCUMENT_MAX_BYTES"):
        settings({**env, "EVIDENCE_DOCUMENT_MAX_BYTES": "0"})


def test_a_download_stays_at_its_url_30_seconds_unless_set():
    """The production value (ui.downloads drops a file made at a click after it); the browser tests set a
    shorter one rather than wait it out."""
    env = {"EVIDENCE_COOKIE_KEY": GOOD_KEY}
    assert settings(env).download_lifetime_seconds == 30.0
    assert settings({**env, "EVIDENCE_DOWNLOAD_LIFETIME_SECONDS": "4.5"}).download_lifetime_seconds == 4.5
    with pytest.raises(SettingsError, match="EVIDENCE_DOWNLOAD_LIFETIME_SECONDS"):
        settings({**env, "EVIDENCE_DOWNLOAD_LIFETIME_SECONDS": "0"})
