"""Deployment settings: one typed object, every setting declared once.

A setting is read from the environment first (its `env` name), then from
Streamlit's secrets file (`.streamlit/secrets.toml` in the project, then
`~/.streamlit/secrets.toml`, under its `secret` name), then its default.
`docs/settings.md` documents each one; a test checks that it does.

Outside demo mode, a missing, default, short or low-entropy cookie key is
refused: the app and `manage.py` stop with a message instead of signing people
in with a key that anybody could know or guess (`cookie_key_problem`).
"""

from __future__ import annotations

import math
import os
import secrets as _secrets
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.call_config import ConfigError
from config.private_files import FILE_MODE, make_private_dir, restrict_file

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_COOKIE_KEY_LENGTH = 32
# A key's entropy, estimated as its length times the Shannon entropy of its own
# characters (bits per character): `secrets.token_hex(16)`, the weakest random
# key of 32 characters in common use, estimates at 91 bits or more in 200,000
# draws (median 116); `"ab" * 32` at 64, `"a" * 64` at 0.
MIN_COOKIE_KEY_BITS = 80
# Distinct characters: 32 hex digits from token_hex(16) have 9 or more.
MIN_COOKIE_KEY_DISTINCT = 8
# Keys that appear in documentation, examples or library defaults.
KNOWN_DEFAULT_KEYS = {
    "some_key",
    "some_signature_key",
    "abcdef",
    "random_signature_key",
    "changeme",
    "change-me",
    "secret",
    "cookie_key",
    "replace-me",
    "replace-with-a-long-random-key",
}


@dataclass(frozen=True)
class SettingSpec:
    name: str
    env: str
    secret: str | None
    default: Any
    kind: type
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "database_url",
        "DATABASE_URL",
        "database_url",
        None,
        str,
        "SQLAlchemy URL of the call's database. Empty means the SQLite file "
        "data/evidence.db in the project. For PostgreSQL use "
        "postgresql+psycopg://user:password@host:5432/dbname.",
    ),
    SettingSpec(
        "call_config",
        "EVIDENCE_CALL_CONFIG",
        "call_config",
        "config/call.toml",
        str,
        "Path of the call's configuration (taxonomy, rubric, weights, panel rules), "
        "relative to the project or absolute.",
    ),
    SettingSpec(
        "demo_mode",
        "EVIDENCE_DEMO",
        "demo_mode",
        False,
        bool,
        "Demo mode: allows a generated cookie key and shows error details. "
        "`make run` switches it on; never use it with real submissions.",
    ),
    SettingSpec(
        "cookie_key",
        "EVIDENCE_COOKIE_KEY",
        "cookie_key",
        None,
        str,
        f"Secret that signs the sign-in cookie; at least {MIN_COOKIE_KEY_LENGTH} random "
        "characters, the same on every replica. Required outside demo mode.",
    ),
    SettingSpec(
        "cookie_name",
        "EVIDENCE_COOKIE_NAME",
        "cookie_name",
        "evidence_review_session",
        str,
        "Name of the sign-in cookie.",
    ),
    SettingSpec(
        "cookie_expiry_days",
        "EVIDENCE_COOKIE_EXPIRY_DAYS",
        "cookie_expiry_days",
        1.0,
        float,
        "How long a browser stays signed in without a password, in days.",
    ),
    SettingSpec(
        "login_max_failures",
        "EVIDENCE_LOGIN_MAX_FAILURES",
        "login_max_failures",
        5,
        int,
        "Failed sign-ins for one username before it is locked.",
    ),
    SettingSpec(
        "login_lock_minutes",
        "EVIDENCE_LOGIN_LOCK_MINUTES",
        "login_lock_minutes",
        15,
        int,
        "How long a username stays locked after too many failed sign-ins, in minutes.",
    ),
    SettingSpec(
        "bcrypt_rounds",
        "EVIDENCE_BCRYPT_ROUNDS",
        "bcrypt_rounds",
        12,
        int,
        "bcrypt cost for new password hashes (12 takes about 0.3 s; only tests lower it).",
    ),
    SettingSpec(
        "max_upload_mb",
        "EVIDENCE_MAX_UPLOAD_MB",
        "max_upload_mb",
        10,
        int,
        "Largest spreadsheet that may be imported, in megabytes; checked by the server.",
    ),
    SettingSpec(
        "data_dir",
        "EVIDENCE_DATA_DIR",
        "data_dir",
        "data",
        str,
        "Folder for the default SQLite database, backups and the demo cookie key.",
    ),
)


class SettingsError(ConfigError):
    """A setting with an unusable value; `path` says where it was read from."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        super().__init__(path, key, problem)
        self.args = (f"setting {key} (from {path}): {problem}",)

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class Settings:
    database_url: str
    call_config: Path
    demo_mode: bool
    cookie_key: str
    cookie_name: str
    cookie_expiry_days: float
    login_max_failures: int
    login_lock_minutes: int
    bcrypt_rounds: int
    max_upload_mb: int
    data_dir: Path
    cookie_key_source: str

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def _secrets_files(root: Path) -> list[Path]:
    return [root / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def read_secrets(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Merged Streamlit secrets (project file wins over the home one)."""
    merged: dict[str, Any] = {}
    for path in reversed(_secrets_files(root)):
        if path.is_file():
            try:
                merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SettingsError(path, "(file)", f"is not valid TOML: {exc}") from None
    return merged


def _convert(spec: SettingSpec, raw: Any, where: str) -> Any:
    if spec.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(where, spec.env, f"must be true or false, not {raw!r}")
    try:
        value = spec.kind(raw)
    except (TypeError, ValueError):
        raise SettingsError(where, spec.env, f"must be a {spec.kind.__name__}, not {raw!r}") from None
    if spec.kind in (int, float) and value <= 0:
        raise SettingsError(where, spec.env, f"must be above 0, not {raw!r}")
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, *, root: Path = PROJECT_ROOT, secrets: Mapping[str, Any] | None = None
) -> Settings:
    """Read every setting; raise SettingsError naming the source and problem."""
    environ = os.environ if environ is None else environ
    secrets = read_secrets(root) if secrets is None else secrets
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in SETTINGS:
        if environ.get(spec.env, "") != "":
            values[spec.name] = _convert(spec, environ[spec.env], "environment")
            sources[spec.name] = f"environment variable {spec.env}"
        elif spec.secret and secrets.get(spec.secret) not in (None, ""):
            values[spec.name] = _convert(spec, secrets[spec.secret], "secrets.toml")
            sources[spec.name] = f"secrets.toml key {spec.secret}"
        else:
            values[spec.name] = spec.default
            sources[spec.name] = "default"

    data_dir = Path(values["data_dir"])
    if not data_dir.is_absolute():
        data_dir = root / data_dir
    call_config = Path(values["call_config"])
    if not call_config.is_absolute():
        call_config = root / call_config
    database_url = values["database_url"] or f"sqlite:///{data_dir / 'evidence.db'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        # psycopg 3 is the driver we ship.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    cookie_key = values["cookie_key"]
    key_source = sources["cookie_key"]
    if not cookie_key:
        if not values["demo_mode"]:
            raise SettingsError(
                "neither the environment nor secrets.toml",
                "EVIDENCE_COOKIE_KEY",
                "no cookie key is set. Set EVIDENCE_COOKIE_KEY or cookie_key in "
                ".streamlit/secrets.toml to at least "
                f"{MIN_COOKIE_KEY_LENGTH} random characters (python -c "
                '"import secrets; print(secrets.token_urlsafe(48))").',
            )
        cookie_key = _demo_cookie_key(data_dir)
        key_source = "generated for demo mode"
    elif not values["demo_mode"]:
        if cookie_key.strip().lower() in KNOWN_DEFAULT_KEYS:
            raise SettingsError(
                key_source,
                "EVIDENCE_COOKIE_KEY",
                "the cookie key is a published default; anyone could forge sign-ins. Set a random key.",
            )
        problem = cookie_key_problem(cookie_key)
        if problem:
            raise SettingsError(key_source, "EVIDENCE_COOKIE_KEY", problem)
    if values["bcrypt_rounds"] < 4 or values["bcrypt_rounds"] > 16:
        raise SettingsError(sources["bcrypt_rounds"], "EVIDENCE_BCRYPT_ROUNDS", "must be between 4 and 16")

    return Settings(
        database_url=database_url,
        call_config=call_config,
        demo_mode=values["demo_mode"],
        cookie_key=cookie_key,
        cookie_name=values["cookie_name"],
        cookie_expiry_days=values["cookie_expiry_days"],
        login_max_failures=values["login_max_failures"],
        login_lock_minutes=values["login_lock_minutes"],
        bcrypt_rounds=values["bcrypt_rounds"],
        max_upload_mb=values["max_upload_mb"],
        data_dir=data_dir,
        cookie_key_source=key_source,
    )


def estimated_key_bits(key: str) -> float:
    """The key's length times the Shannon entropy of its characters."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


def _repeats_a_block(key: str) -> bool:
    """True when the key is a shorter block written out again and again ("abcabcabc...")."""
    return any(len(key) % size == 0 and key == key[:size] * (len(key) // size) for size in range(1, len(key) // 2 + 1))


def cookie_key_problem(key: str) -> str | None:
    """Why a cookie key is too weak to sign sign-ins with, or None."""
    make_one = ' Make a random one: python -c "import secrets; print(secrets.token_urlsafe(48))".'
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        return f"the cookie key has {len(key)} characters; it needs at least {MIN_COOKIE_KEY_LENGTH}." + make_one
    distinct = len(set(key))
    if distinct < MIN_COOKIE_KEY_DISTINCT:
        return (
            f"the cookie key uses only {distinct} different character{'s' if distinct != 1 else ''}; "
            f"a random key uses at least "
            f"{MIN_COOKIE_KEY_DISTINCT}." + make_one
        )
    if _repeats_a_block(key):
        return "the cookie key is one short sequence of characters repeated, which is easy to guess." + make_one
    bits = estimated_key_bits(key)
    if bits < MIN_COOKIE_KEY_BITS:
        return (
            f"the cookie key's entropy is about {bits:.0f} bits (its length times the entropy of its characters); "
            f"it needs at least {MIN_COOKIE_KEY_BITS}." + make_one
        )
    return None


def _demo_cookie_key(data_dir: Path) -> str:
    """A random key kept in the data folder (0600, in a folder made 0700), so
    demo sign-ins survive restarts."""
    make_private_dir(data_dir)
    path = data_dir / ".demo-cookie-key"
    if path.exists():
        restrict_file(path)
        key = path.read_text().strip()
        if cookie_key_problem(key) is None:
            return key
    key = _secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    restrict_file(path)  # a file that existed keeps its mode through O_TRUNC
    return key
