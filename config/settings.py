"""Deployment settings: one typed object, every setting declared once.

`Settings` is a pydantic-settings model. Each field is one setting: its
validation alias is the environment variable, its name is the key in
Streamlit's secrets file, its default and description are the documented
default and help (`SETTINGS` lists them; `docs/settings.md` documents each one
and a test checks that it does).

A setting is read from the environment first, then from Streamlit's secrets
file (`.streamlit/secrets.toml` in the project, then `~/.streamlit/secrets.toml`),
then its default. An empty value counts as unset and falls through to the next
place. Outside demo mode, a missing, default, short or low-entropy cookie key is
refused: the app and `manage.py` stop with a message instead of signing people
in with a key that anybody could know or guess (`cookie_key_problem`).

Misspellings are refused rather than ignored: an `EVIDENCE_` environment
variable that is not a setting, and a top-level key in the project's secrets
file that is not a setting, stop the app with a message suggesting the nearest
setting. Tables in that file (`[connections.x]`, `[auth]`: Streamlit's own
sections) are left alone, and so is every key of `~/.streamlit/secrets.toml`,
which the service user's other Streamlit apps may share.

What pydantic-settings does here and what it does not, and why:

* `EnvSettingsSource` reads the environment (case-sensitive, empty values
  ignored), subclassed only so that `load_settings(environ)` can pass a mapping
  instead of `os.environ` (tests and `manage.py` rely on that).
* The secrets files have their own source (`StreamlitSecretsSource`) instead
  of the built-in `TomlConfigSettingsSource`, which merges files without
  recording which file a value came from; the messages name the file, and the
  unknown-key rule applies to the project's file only.
* pydantic-settings does not record where a value came from, so the two
  sources record it (`_Loading.origins`) for messages and `cookie_key_source`.
* Booleans use this project's words (1/true/yes/on, 0/false/no/off) rather
  than pydantic's, which also take t/f/y/n.
* pydantic's `ValidationError` is turned into `SettingsError` (a
  `ConfigError`) with the wording the app has always shown: the environment
  variable, where the value came from, and the problem.
* Two edge cases change with pydantic's number and text parsing: a fractional
  TOML number for a whole-number setting (`login_max_failures = 2.5`) is now
  refused instead of cut to 2, and a TOML `true`/`false` or list where text is
  expected is refused instead of turned into text. Whole numbers written as
  "12.0" are now accepted.

Fields are validated in order and later validators read earlier fields
(`database_url` and the demo cookie key need `demo_mode` and `data_dir`), so
those two come first.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets as _secrets
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, PositiveFloat, PositiveInt, PrivateAttr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from config.call_config import ConfigError
from config.mail_address import AddressError, check_address
from config.private_files import FILE_MODE, make_private_dir, restrict_file
from config.value_checks import (
    KNOWN_DEFAULT_KEYS,
    MAKE_A_KEY,
    MIN_COOKIE_KEY_LENGTH,
    cookie_key_problem,
    public_url_problem,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "EVIDENCE_"
# How the connection to the SMTP server is protected, and its usual port.
SMTP_SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class SettingsError(ConfigError):
    """A setting with an unusable value; `path` says where it was read from."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        super().__init__(path, key, problem)
        self.args = (f"setting {key} (from {path}): {problem}",)

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class SettingSpec:
    """One setting as documented: field name, environment variable, secrets key, default, type, help."""

    name: str
    env: str
    secret: str | None
    default: Any
    kind: type
    help: str


@dataclass
class _Loading:
    """What one `load_settings` call reads, and where each value came from."""

    environ: Mapping[str, str]
    root: Path
    secrets: Mapping[str, Any] | None
    origins: dict[str, str] = field(default_factory=dict)  # field -> "environment variable X" / "<file> key x"
    places: dict[str, str] = field(default_factory=dict)  # field -> "environment" / the secrets file
    generated_key: bool = False

    def record(self, name: str, origin: str, place: str) -> None:
        self.origins.setdefault(name, origin)
        self.places.setdefault(name, place)


_LOADING: ContextVar[_Loading | None] = ContextVar("settings_loading", default=None)


@contextlib.contextmanager
def _loading(environ: Mapping[str, str], root: Path, secrets: Mapping[str, Any] | None) -> Iterator[_Loading]:
    loading = _Loading(environ, root, secrets)
    token = _LOADING.set(loading)
    try:
        yield loading
    finally:
        _LOADING.reset(token)


def _current() -> _Loading:
    loading = _LOADING.get()
    if loading is None:  # only when validation is called bypassing Settings.__init__
        raise RuntimeError("Settings are built by load_settings() or Settings(), not by model_validate()")
    return loading


def _refuse(problem: str, origin: str | None = None, *, policy: bool = False) -> PydanticCustomError:
    """A validation error in the app's own wording, with where the value came from if given.

    `policy` marks the checks made once every value reads (the cookie key, the
    bcrypt range): a value that does not read at all is reported before them.
    """
    return PydanticCustomError("setting", "{problem}", {"problem": problem, "origin": origin, "policy": policy})


def _yes_or_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise _refuse(f"must be true or false, not {raw!r}")


class Settings(BaseSettings):
    """The deployment's settings, read and checked; see `docs/settings.md`."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        coerce_numbers_to_str=True,
        frozen=True,
        extra="forbid",
    )

    # demo_mode and data_dir first: later validators read them.
    demo_mode: bool = Field(
        False,
        validation_alias="EVIDENCE_DEMO",
        description="Demo mode: allows a generated cookie key and shows error details. "
        "`make run` switches it on; never use it with real submissions.",
    )
    data_dir: Path = Field(
        Path("data"),
        validation_alias="EVIDENCE_DATA_DIR",
        description="Folder for the default SQLite database, backups and the demo cookie key.",
    )
    database_url: str = Field(
        "",
        validation_alias="DATABASE_URL",
        repr=False,  # may hold the database password
        description="SQLAlchemy URL of the call's database. Empty means the SQLite file "
        "data/evidence.db in the project. For PostgreSQL use "
        "postgresql+psycopg://user:password@host:5432/dbname.",
    )
    call_config: Path = Field(
        Path("config/call.toml"),
        validation_alias="EVIDENCE_CALL_CONFIG",
        description="Path of the call's configuration (taxonomy, rubric, weights, panel rules), "
        "relative to the project or absolute.",
    )
    cookie_key: str | None = Field(
        None,
        validation_alias="EVIDENCE_COOKIE_KEY",
        repr=False,
        description=f"Secret that signs the sign-in cookie; at least {MIN_COOKIE_KEY_LENGTH} random "
        "characters, the same on every replica. Required outside demo mode.",
    )
    cookie_name: str = Field(
        "evidence_review_session",
        validation_alias="EVIDENCE_COOKIE_NAME",
        description="Name of the sign-in cookie.",
    )
    cookie_expiry_days: PositiveFloat = Field(
        1.0,
        validation_alias="EVIDENCE_COOKIE_EXPIRY_DAYS",
        description="How long a browser stays signed in without a password, in days.",
    )
    login_max_failures: PositiveInt = Field(
        5,
        validation_alias="EVIDENCE_LOGIN_MAX_FAILURES",
        description="Failed sign-ins for one username before it is locked.",
    )
    login_lock_minutes: PositiveInt = Field(
        15,
        validation_alias="EVIDENCE_LOGIN_LOCK_MINUTES",
        description="How long a username stays locked after too many failed sign-ins, in minutes.",
    )
    bcrypt_rounds: PositiveInt = Field(
        12,
        validation_alias="EVIDENCE_BCRYPT_ROUNDS",
        description="bcrypt cost for new password hashes (12 takes about 0.3 s; only tests lower it).",
    )
    max_upload_mb: PositiveInt = Field(
        10,
        validation_alias="EVIDENCE_MAX_UPLOAD_MB",
        description="Largest spreadsheet that may be imported, in megabytes; checked by the server.",
    )
    import_max_expanded_mb: PositiveInt = Field(
        100,
        validation_alias="EVIDENCE_IMPORT_MAX_EXPANDED_MB",
        description="Largest uncompressed size of an Excel workbook's contents, in megabytes (an .xlsx file is a "
        "zip archive); counted from the archive's listing and again while it is unpacked.",
    )
    import_max_cells: PositiveInt = Field(
        1_000_000,
        validation_alias="EVIDENCE_IMPORT_MAX_CELLS",
        description="Most cells a spreadsheet may hold (rows times columns as read, empty formatted cells "
        "included), and most entries in a workbook's table of texts.",
    )
    import_max_seconds: PositiveInt = Field(
        60,
        validation_alias="EVIDENCE_IMPORT_MAX_SECONDS",
        description="Longest time reading one spreadsheet may take, in seconds, before it is given up.",
    )
    document_max_bytes: PositiveInt = Field(
        25 * 1024 * 1024,
        validation_alias="EVIDENCE_DOCUMENT_MAX_BYTES",
        description="Largest evidence document (one file attached to a submission), in bytes.",
    )
    document_max_per_submission_bytes: PositiveInt = Field(
        100 * 1024 * 1024,
        validation_alias="EVIDENCE_DOCUMENT_MAX_PER_SUBMISSION_BYTES",
        description="Most bytes of evidence documents one submission may hold, all its files together.",
    )

    smtp_host: str = Field(
        "",
        validation_alias="EVIDENCE_SMTP_HOST",
        description="Host name of the SMTP server that sends the app's messages. Empty: nothing is sent; "
        "queued messages wait and can be downloaded as .eml files or a mail-merge CSV.",
    )
    smtp_port: PositiveInt | None = Field(
        None,
        validation_alias="EVIDENCE_SMTP_PORT",
        description="Port of the SMTP server. Empty: 587 with starttls, 465 with tls, 25 with none.",
    )
    smtp_security: str = Field(
        "starttls",
        validation_alias="EVIDENCE_SMTP_SECURITY",
        description="How the connection to the SMTP server is protected: starttls (upgrade a plain "
        "connection, refusing a server that cannot), tls (TLS from the start) or none (only for a "
        "server on the same machine or network).",
    )
    smtp_username: str = Field(
        "",
        validation_alias="EVIDENCE_SMTP_USERNAME",
        description="User name for the SMTP server's login. Empty: no login.",
    )
    smtp_password: str | None = Field(
        None,
        validation_alias="EVIDENCE_SMTP_PASSWORD",
        repr=False,
        description="Password for the SMTP server's login (a secret: put it in .streamlit/secrets.toml "
        "or the environment, never in a file that is committed). Never printed or logged.",
    )
    mail_from: str = Field(
        "",
        validation_alias="EVIDENCE_MAIL_FROM",
        description="The From address of every message (one bare address). Required when an SMTP host is set.",
    )
    mail_reply_to: str = Field(
        "",
        validation_alias="EVIDENCE_MAIL_REPLY_TO",
        description="The Reply-To address of every message (one bare address). Empty: no Reply-To.",
    )
    mail_max_attempts: PositiveInt = Field(
        5,
        validation_alias="EVIDENCE_MAIL_MAX_ATTEMPTS",
        description="How many times a message is tried before it stays failed (each retry waits twice as "
        "long as the one before, from one minute).",
    )

    public_url: str = Field(
        "",
        validation_alias="EVIDENCE_PUBLIC_URL",
        description="The app's address as people reach it (https://evidence.example.org), from which the "
        "links in messages are made. Empty means messages with links cannot be made.",
    )

    # How long a file made at a download button's click stays at its URL (docs/settings.md; ui.downloads)
    download_lifetime_seconds: PositiveFloat = Field(30.0, validation_alias="EVIDENCE_DOWNLOAD_LIFETIME_SECONDS")

    # How long a one-time link to set a password works (docs/settings.md; data_access.tokens)
    invitation_link_days: PositiveFloat = Field(7.0, validation_alias="EVIDENCE_INVITATION_LINK_DAYS")
    reset_link_minutes: PositiveInt = Field(60, validation_alias="EVIDENCE_RESET_LINK_MINUTES")

    _cookie_key_source: str = PrivateAttr("default")

    def __init__(self) -> None:
        """Read the settings from this process's environment and the project's secrets files.

        `load_settings()` does the same (or reads a given mapping) and reports a
        bad value as a `SettingsError` naming the setting and where it came from.
        """
        if _LOADING.get() is not None:
            super().__init__()
            return
        with _loading(os.environ, PROJECT_ROOT, None):
            super().__init__()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment, then the secrets files; pydantic-settings adds the defaults last.
        loading = _current()
        return (EnvironmentSource(settings_cls, loading), StreamlitSecretsSource(settings_cls, loading))

    @field_validator("demo_mode", mode="before")
    @classmethod
    def _demo_mode_words(cls, raw: Any) -> bool:
        return _yes_or_no(raw)

    @field_validator("data_dir", "call_config")
    @classmethod
    def _in_the_project(cls, path: Path) -> Path:
        return path if path.is_absolute() else _current().root / path

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str, info: ValidationInfo) -> str:
        if not url:
            data_dir = info.data.get("data_dir")
            if data_dir is None:  # data_dir itself is refused; that error is reported
                return url
            return f"sqlite:///{data_dir / 'evidence.db'}"
        if url.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver we ship.
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @field_validator("cookie_key")
    @classmethod
    def _cookie_key(cls, key: str | None, info: ValidationInfo) -> str | None:
        loading = _current()
        demo_mode = info.data.get("demo_mode", False)
        if not key:
            if not demo_mode:
                raise _refuse(
                    "no cookie key is set. Set EVIDENCE_COOKIE_KEY or cookie_key in "
                    ".streamlit/secrets.toml to at least "
                    f"{MIN_COOKIE_KEY_LENGTH} random characters ({MAKE_A_KEY}).",
                    origin="neither the environment nor secrets.toml",
                    policy=True,
                )
            data_dir = info.data.get("data_dir")
            if data_dir is None:
                return key
            loading.generated_key = True
            return _demo_cookie_key(data_dir)
        if not demo_mode:
            origin = loading.origins["cookie_key"]
            if key.strip().lower() in KNOWN_DEFAULT_KEYS:
                raise _refuse(
                    "the cookie key is a published default; anyone could forge sign-ins. Set a random key.",
                    origin=origin,
                    policy=True,
                )
            problem = cookie_key_problem(key)
            if problem:
                raise _refuse(problem, origin=origin, policy=True)
        return key

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _smtp_security(cls, raw: Any) -> str:
        word = str(raw).strip().lower()
        if word not in SMTP_SECURITY_PORTS:
            raise _refuse(f"must be one of {', '.join(SMTP_SECURITY_PORTS)}, not {raw!r}")
        return word

    @field_validator("mail_from", "mail_reply_to")
    @classmethod
    def _mail_address(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        try:
            return check_address(value)
        except AddressError as exc:
            raise _refuse(str(exc)) from None

    @field_validator("mail_from")
    @classmethod
    def _mail_from_with_a_host(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("smtp_host") and not value:
            raise _refuse(
                "an SMTP host is set (EVIDENCE_SMTP_HOST) but no From address; set EVIDENCE_MAIL_FROM", policy=True
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str) -> str:
        problem = public_url_problem(url) if url else None
        if problem:
            raise _refuse(problem, origin=_current().origins.get("public_url"))
        return url

    @field_validator("bcrypt_rounds")
    @classmethod
    def _bcrypt_rounds(cls, rounds: int) -> int:
        if rounds < 4 or rounds > 16:
            raise _refuse("must be between 4 and 16", origin=_current().origins.get("bcrypt_rounds"), policy=True)
        return rounds

    def model_post_init(self, context: Any, /) -> None:
        loading = _current()
        if loading.generated_key:
            self._cookie_key_source = "generated for demo mode"
        else:
            self._cookie_key_source = loading.origins.get("cookie_key", "default")

    @property
    def cookie_key_source(self) -> str:
        """Where the cookie key came from, for `manage.py check-config`."""
        return self._cookie_key_source

    @property
    def smtp_port_or_default(self) -> int:
        """The SMTP port: the one set, or the usual one for the connection's security."""
        return self.smtp_port or SMTP_SECURITY_PORTS[self.smtp_security]

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def import_limits(self) -> ImportLimits:
        """The bounds on reading one spreadsheet (`importing.read_table`)."""
        return ImportLimits(
            max_bytes=self.max_upload_bytes,
            max_expanded_bytes=self.import_max_expanded_mb * 1024 * 1024,
            max_cells=self.import_max_cells,
            max_seconds=self.import_max_seconds,
        )

    @property
    def document_limits(self) -> DocumentLimits:
        """The bounds on one evidence document and on a submission's documents (`documents`)."""
        return DocumentLimits(
            max_bytes=self.document_max_bytes,
            max_per_submission_bytes=self.document_max_per_submission_bytes,
        )


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


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


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on reading one evidence document (the `documents` package).

    The first two are settings (docs/settings.md); the others are constants
    far beyond a real report, toolkit or slide deck (docs/documents.md)."""

    max_bytes: int = _default("document_max_bytes")
    max_per_submission_bytes: int = _default("document_max_per_submission_bytes")
    # A document that is a zip archive (DOCX, PPTX, XLSX, ODT): what it may unpack to.
    max_expanded_bytes: int = 160 * 1024 * 1024
    max_entries: int = 10_000
    max_ratio: float = 200.0  # uncompressed / compressed, for the whole archive
    # Text extracted for reading and search.
    max_text_chars: int = 2_000_000
    max_pdf_pages: int = 2_000
    max_sheet_cells: int = 1_000_000


def _kind(info: FieldInfo) -> type:
    annotation = info.annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return str if annotation is Path else typing.cast(type, annotation)


SETTINGS: tuple[SettingSpec, ...] = tuple(
    SettingSpec(name, str(info.validation_alias), name, info.default, _kind(info), info.description or "")
    for name, info in Settings.model_fields.items()
)
_BY_ENV = {spec.env: spec for spec in SETTINGS}
_BY_NAME = {spec.name: spec for spec in SETTINGS}
_BY_SECRET = {spec.secret: spec for spec in SETTINGS if spec.secret}


def _nearest(name: str, names: list[str], prefix: str = "") -> str:
    """ "; did you mean X?" for the closest of `names` (compared without their common prefix), or "."."""
    close = difflib.get_close_matches(name.removeprefix(prefix), [n.removeprefix(prefix) for n in names], n=1)
    return f"; did you mean {prefix}{close[0]}?" if close else "."


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping (normally `os.environ`).

    An `EVIDENCE_` variable that is not a setting is refused: a misspelt name
    would otherwise be ignored and its default used without a word.
    """

    def __init__(self, settings_cls: type[BaseSettings], loading: _Loading) -> None:
        self._loading = loading
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name: value for name, value in self._loading.environ.items() if not (self.env_ignore_empty and value == "")
        }

    def __call__(self) -> dict[str, Any]:
        known = sorted(env for env in _BY_ENV if env.startswith(ENV_PREFIX))
        for name in sorted(self.env_vars):
            if name.startswith(ENV_PREFIX) and name not in _BY_ENV:
                raise SettingsError(
                    "environment",
                    name,
                    f"is not a setting of this app{_nearest(name, known, ENV_PREFIX)} Every setting is listed in docs/settings.md.",
                )
        data = super().__call__()
        for env in data:
            self._loading.record(_BY_ENV[env].name, f"environment variable {env}", "environment")
        return data


def secrets_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Streamlit's secrets files, the one that wins first."""
    return [root / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(path, "(file)", f"is not valid TOML: {exc}") from None


class StreamlitSecretsSource(PydanticBaseSettingsSource):
    """Settings from Streamlit's secrets files, under their secrets keys.

    A key in the project's `.streamlit/secrets.toml` replaces the same key in
    `~/.streamlit/secrets.toml`; then an empty value counts as unset, as in the
    environment. A key of the project's file that is neither a setting nor a
    table is refused; the home file may hold other apps' secrets and is not
    checked.
    """

    def __init__(self, settings_cls: type[BaseSettings], loading: _Loading) -> None:
        super().__init__(settings_cls)
        self._loading = loading
        if loading.secrets is not None:
            # Given by the caller (tests): checked like the project's file.
            files: list[tuple[str, Mapping[str, Any], bool]] = [("secrets.toml", loading.secrets, True)]
        else:
            project, home = secrets_files(loading.root)
            files = [(str(path), _read_toml(path), path == project) for path in (home, project) if path.is_file()]
        self._checked = [(where, values) for where, values, checked in files if checked]
        self._values: dict[str, Any] = {}
        self._where: dict[str, str] = {}
        for where, values, _checked in files:  # the home file first, so the project's wins
            for key, value in values.items():
                self._values[key] = value
                self._where[key] = where

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        value = self._values.get(field_name)
        return (None if value == "" else value), str(field.validation_alias), False

    def __call__(self) -> dict[str, Any]:
        for where, values in self._checked:
            for key, value in values.items():
                if key not in _BY_SECRET and not isinstance(value, Mapping):
                    raise SettingsError(
                        where,
                        key,
                        f"is not a setting of this app{_nearest(key, sorted(_BY_SECRET))} "
                        "Every setting and its secrets key is listed in docs/settings.md.",
                    )
        data: dict[str, Any] = {}
        for name, info in self.settings_cls.model_fields.items():
            value, alias, _complex = self.get_field_value(info, name)
            if value is not None:
                data[alias] = value
                where = self._where[name]
                self._loading.record(name, f"{where} key {name}", where)
        return data


def _settings_error(exc: ValidationError, loading: _Loading) -> SettingsError:
    """The first problem pydantic found, in the app's wording: values that do not
    read come first, in the order of `SETTINGS`, then the policy checks."""
    errors = exc.errors()
    error = min(errors, key=lambda e: bool((e.get("ctx") or {}).get("policy")))
    # A value read from a source is located by its alias, a default by its field name.
    loc = str(error["loc"][0]) if error["loc"] else "(settings)"
    spec = _BY_ENV.get(loc) or _BY_NAME.get(loc)
    env = spec.env if spec else loc
    place = loading.places.get(spec.name, "default") if spec else "default"
    ctx = error.get("ctx") or {}
    raw = error.get("input")
    if error["type"] == "setting":
        return SettingsError(ctx.get("origin") or place, env, ctx["problem"])
    if error["type"] == "greater_than":
        return SettingsError(place, env, f"must be above {ctx['gt']:g}, not {raw!r}")
    kind = spec.kind.__name__ if spec else "value"
    return SettingsError(place, env, f"must be a {kind}, not {raw!r}")


def load_settings(
    environ: Mapping[str, str] | None = None, *, root: Path = PROJECT_ROOT, secrets: Mapping[str, Any] | None = None
) -> Settings:
    """Read every setting; raise SettingsError naming the setting, its source and the problem.

    `environ` defaults to `os.environ`; `secrets`, when given, stands for the
    secrets files (which are then not read).
    """
    with _loading(os.environ if environ is None else environ, root, secrets) as loading:
        try:
            return Settings()
        except ValidationError as exc:
            raise _settings_error(exc, loading) from None


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
