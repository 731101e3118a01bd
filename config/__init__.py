"""The call's configuration (`call.toml`) and the deployment settings."""

from config.call_config import (
    FIELD_VOCABULARY,
    MULTI_VALUED,
    SINGLE_VALUED,
    CallConfig,
    Code,
    ConfigError,
    Criterion,
    Vocabulary,
    load_call_config,
    normalise_term,
)
from config.settings import SETTINGS, Settings, SettingsError, load_settings

__all__ = [
    "FIELD_VOCABULARY",
    "MULTI_VALUED",
    "SETTINGS",
    "SINGLE_VALUED",
    "CallConfig",
    "Code",
    "ConfigError",
    "Criterion",
    "Settings",
    "SettingsError",
    "Vocabulary",
    "load_call_config",
    "load_settings",
    "normalise_term",
]
