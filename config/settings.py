"""Deployment settings: one typed object, every setting declared once.

A setting is read from the environment first (its `env` name), then from
Streamlit's secrets file (`.streamlit/secrets.toml` in the project, then
`~/.streamlit/secrets.toml`, under its `secret` name), then its default.
`docs/settings.md` documents each one; a test checks that it does.

Outside demo mode, a missing, default or short cookie key is refused: the app
and `manage.py` stop with a message instead of signing people in with a key
that anybody could know.
"""

from __future__ import annotations

import os
import secrets as _secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.call_config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_COOKIE_KEY_LENGTH = 32
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
        "import_max_expanded_mb",
        "EVIDENCE_IMPORT_MAX_EXPANDED_MB",
        "import_max_expanded_mb",
        100,
        int,
        "Largest uncompressed size of an Excel workbook's contents, in megabytes (an .xlsx file is a zip "
        "archive); counted from the archive's listing and again while it is unpacked.",
    ),
    SettingSpec(
        "import_max_cells",
        "EVIDENCE_IMPORT_MAX_CELLS",
        "import_max_cells",
        1_000_000,
        int,
        "Most cells a spreadsheet may hold (rows times columns as read, empty formatted cells included), and "
        "most entries in a workbook's table of texts.",
    ),
    SettingSpec(
        "import_max_seconds",
        "EVIDENCE_IMPORT_MAX_SECONDS",
        "import_max_seconds",
        60,
        int,
        "Longest time reading one spreadsheet may take, in seconds, before it is given up.",
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


def _default(name: str) -> Any:
    return next(spec.default for spec in SETTINGS if spec.name == name)


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
    import_max_expanded_mb: int
    import_max_cells: int
    import_max_seconds: int

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def import_limits(self) -> ImportLimits:
        """The bounds on reading one spreadsheet (`scoring.importing.read_table`)."""
        return ImportLimits(
            max_bytes=self.max_upload_bytes,
            max_expanded_bytes=self.import_max_expanded_mb * 1024 * 1024,
            max_cells=self.import_max_cells,
            max_seconds=self.import_max_seconds,
        )


@dataclass(frozen=True)
class ImportLimits:
    """Bounds on reading one spreadsheet, each one a setting (docs/settings.md).

    The defaults are the settings' defaults: far beyond a real form export (a
    few thousand rows of about a hundred columns), far below what would take
    the server's memory or minutes of its time."""

    max_bytes: int = _default("max_upload_mb") * 1024 * 1024
    max_expanded_bytes: int = _default("import_max_expanded_mb") * 1024 * 1024
    max_cells: int = _default("import_max_cells")
    max_seconds: float = _default("import_max_seconds")


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
        if len(cookie_key) < MIN_COOKIE_KEY_LENGTH:
            raise SettingsError(
                key_source,
                "EVIDENCE_COOKIE_KEY",
                f"the cookie key has {len(cookie_key)} characters; it needs at least {MIN_COOKIE_KEY_LENGTH}.",
            )
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
        import_max_expanded_mb=values["import_max_expanded_mb"],
        import_max_cells=values["import_max_cells"],
        import_max_seconds=values["import_max_seconds"],
        data_dir=data_dir,
        cookie_key_source=key_source,
    )


def _demo_cookie_key(data_dir: Path) -> str:
    """A random key kept in the data folder, so demo sign-ins survive restarts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".demo-cookie-key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= MIN_COOKIE_KEY_LENGTH:
            return key
    key = _secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
