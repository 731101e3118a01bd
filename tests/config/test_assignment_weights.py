"""`[assignment]` in config/call.toml: the fit weights of bids and expertise
(scoring.fit), validated by check-config with the key named."""

import os
import subprocess
import sys

import pytest

from config import ConfigError, load_call_config
from tests.config.test_call_config import _broken
from tests.conftest import ROOT


def test_the_shipped_weights_rank_the_bids():
    weights = load_call_config().assignment_weights
    assert weights == {"eager": 3.0, "willing": 1.0, "rather_not": -3.0, "theme": 1.0, "focus_area": 0.5, "mixing": 0.1}


def test_without_the_section_the_defaults_apply(tmp_path):
    path = _broken(tmp_path, "[assignment]\n", "[assignment_unused]\n")
    assert load_call_config(path).assignment_weights == load_call_config().assignment_weights


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("willing = 1.0", "willing = 5.0", "[assignment]", "eager >= willing"),
        ("rather_not = -3.0", "rather_not = 1.0", "[assignment]", "0 >= rather_not"),
        ("theme = 1.0\nfocus", "theme = -1.0\nfocus", "[assignment.theme]", "0 or more"),
        ("focus_area = 0.5", "focus_area = 0.125", "[assignment.focus_area]", "hundredths"),
        ("eager = 3.0", "eager = 30.0", "[assignment.eager]", "-10 to 10"),
        ("mixing = 0.1", "mixing = -0.1", "[assignment.mixing]", "0 or more"),
        ("eager = 3.0", 'eager = "high"', "[assignment.eager]", "not str"),
        ("eager = 3.0", "eager = 3.0\nkeen = 2.0", "[assignment.keen]", "not a known weight"),
    ],
)
def test_bad_weights_are_refused_with_the_key_named(tmp_path, old, new, key, words):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_call_config(path)
    assert key in str(info.value) and words in str(info.value)


def test_check_config_stops_on_a_bad_weight(tmp_path):
    path = _broken(tmp_path, "rather_not = -3.0", "rather_not = 2.0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "EVIDENCE_CALL_CONFIG": str(path)},
        timeout=60,
    )
    assert result.returncode == 1
    assert "[assignment]" in result.stderr
