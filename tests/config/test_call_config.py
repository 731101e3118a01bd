"""The call's configuration: the shipped file is complete, and every way of
breaking it is reported with the file, the key and the problem."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_call_config, normalise_term
from tests.conftest import ROOT
from tests.support.apptest import run_app

SHIPPED = ROOT / "config" / "call.toml"


def test_the_shipped_configuration_carries_the_taxonomy_and_rubric(call_config):
    assert call_config.vocabulary("themes").ids == ["sources_of_harm", "support_responses"]
    assert len(call_config.vocabulary("focus_areas").ids) == 8
    assert call_config.vocabulary("exploitation_types").ids == [
        "domestic_servitude",
        "forced_labour",
        "sexual_exploitation",
        "criminal_exploitation",
    ]
    assert len(call_config.vocabulary("sector").ids) == 15
    assert call_config.vocabulary("nation").ids == [
        "england",
        "scotland",
        "wales",
        "northern_ireland",
        "uk_wide",
        "outside_uk",
    ]
    assert call_config.criterion_ids == ["promise", "evidence_strength", "survivor_involvement"]
    for criterion in call_config.criteria:
        assert len(criterion.descriptors) == 5
    assert call_config.reviewers_per_submission == 3
    assert call_config.focus_area_theme()["guardianship"] == "support_responses"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("themes", "Theme 1", "sources_of_harm"),
        ("themes", "  RESPONSES TO THE SOURCES OF HARM ", "sources_of_harm"),
        ("themes", "2", "support_responses"),
        ("exploitation_types", "county lines", "criminal_exploitation"),
        ("exploitation_types", "CSE", "sexual_exploitation"),
        ("exploitation_types", "Forced labor", "forced_labour"),
        ("focus_areas", "ICTG", "guardianship"),
        ("focus_areas", "Trauma-informed practices", "trauma_informed"),
        ("focus_areas", "non-criminalisation", "non_criminalisation"),
        ("sector", "Children's social care and safeguarding", "childrens_social_care"),
        ("sector", "children’s social care", "childrens_social_care"),
        ("nation", "Northern Ireland", "northern_ireland"),
        ("presentation_preference", "in-person", "in_person"),
    ],
)
def test_codes_match_by_id_label_or_synonym_ignoring_case_and_punctuation(call_config, field, value, code):
    assert call_config.vocabulary(field).match(value) == code


def test_unknown_values_match_nothing(call_config):
    assert call_config.vocabulary("themes").match("Theme 3") is None
    assert normalise_term("  Forced   labour! ") == "forced labour"


def _broken(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "call.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


BROKEN = [
    ("missing title", 'title = "Emerging good practice', 'xtitle = "Emerging good practice', "call.title", "missing"),
    (
        "weights name an unknown criterion",
        "survivor_involvement = 1.0",
        "survivor_involvement = 1.0\nkindness = 2.0",
        "scoring.weights",
        "kindness",
    ),
    ("negative weight", "promise = 1.0", "promise = -1.0", "scoring.weights.promise", "negative"),
    ("weight is text", "promise = 1.0", 'promise = "high"', "scoring.weights.promise", "number"),
    (
        "four descriptors",
        '  "Delivered in more than one place with results kept, and ready to inform national policy or practice.",\n',
        "",
        "rubric.criteria[0].descriptors",
        "five",
    ),
    (
        "focus area of no theme",
        'theme = "sources_of_harm"\nlabel = "Perpetrators',
        'theme = "harm"\nlabel = "Perpetrators',
        "taxonomy.focus_areas[0].theme",
        "themes",
    ),
    (
        "duplicate code id",
        'id = "forced_labour"',
        'id = "domestic_servitude"',
        "taxonomy.exploitation_types[1].id",
        "duplicates",
    ),
    (
        "synonym names two codes",
        'synonyms = ["labour exploitation", "forced labor"]',
        'synonyms = ["domestic"]',
        "taxonomy.exploitation_types[1].synonyms",
        "also matches",
    ),
    (
        "no reviewers",
        "reviewers_per_submission = 3",
        "reviewers_per_submission = 0",
        "review.reviewers_per_submission",
        "at least 1",
    ),
    ("slots cannot be filled", "slots = 6", "slots = 9", "selection.slots", "cannot be filled"),
    ("negative review minimum", "min_reviews = 2", "min_reviews = -1", "selection.min_reviews", "at least 0"),
    ("review minimum not whole", "min_reviews = 2", "min_reviews = 1.5", "selection.min_reviews", "whole number"),
    (
        "flag rule not boolean",
        "no_discussion_flag = false",
        'no_discussion_flag = "yes"',
        "selection.no_discussion_flag",
        "true or false",
    ),
    (
        "shortlisted rule not boolean",
        "only_shortlisted = false",
        'only_shortlisted = "yes"',
        "selection.only_shortlisted",
        "true or false",
    ),
    ("blind switch not boolean", "blind = false", 'blind = "no"', "review.blind", "true or false"),
    (
        "deadline before close",
        "review_deadline = 2021-09-24",
        "review_deadline = 2021-08-01",
        "call.review_deadline",
        "before",
    ),
    (
        "presentation code missing",
        'id = "not_available"',
        'id = "busy"',
        "taxonomy.presentation_preferences",
        "not_available",
    ),
    (
        "bad reference prefix",
        'reference_prefix = "CFE"',
        'reference_prefix = "cfe-"',
        "call.reference_prefix",
        "capital",
    ),
    ("not TOML", "[call]", "[call", "(file)", "not valid TOML"),
    (
        "evidence level off the scale",
        "evidence_strength_level = 3.0",
        "evidence_strength_level = 7.0",
        "coverage.evidence_strength_level",
        "between 1 and 5",
    ),
]


@pytest.mark.parametrize(("old", "new", "key", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_configuration_names_file_key_and_problem(tmp_path, old, new, key, words):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_call_config(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert f"[{key}]" in message
    assert re.search(re.escape(words), message, re.IGNORECASE), message


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_call_config(tmp_path / "nope.toml")


def test_manage_py_stops_on_a_broken_configuration(tmp_path):
    path = _broken(tmp_path, "promise = 1.0", "promise = -1.0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "EVIDENCE_CALL_CONFIG": str(path)},
        timeout=60,
    )
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert "[scoring.weights.promise]" in result.stderr
    assert "negative" in result.stderr


def test_manage_py_check_config_passes_on_the_shipped_file():
    result = subprocess.run(
        [sys.executable, "manage.py", "check-config"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_the_app_stops_on_a_broken_configuration(tmp_path, sqlite_url):
    path = _broken(tmp_path, 'id = "forced_labour"', 'id = "domestic_servitude"')
    os.environ["EVIDENCE_CALL_CONFIG"] = str(path)
    try:
        at = run_app(sqlite_url)
    finally:
        del os.environ["EVIDENCE_CALL_CONFIG"]
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert str(path) in errors[0] and "taxonomy.exploitation_types[1].id" in errors[0]
    assert not at.text_input  # no sign-in form, nothing else


def test_only_shortlisted_is_off_by_default_and_when_absent_and_read_when_on(tmp_path):
    assert load_call_config().selection.only_shortlisted is False
    assert load_call_config(
        _broken(tmp_path, "only_shortlisted = false", "only_shortlisted = true")
    ).selection.only_shortlisted
    path = _broken(tmp_path, "only_shortlisted = false\n", "")
    assert load_call_config(path).selection.only_shortlisted is False


def test_selection_review_minimum_is_on_by_default_and_both_rules_are_off_when_absent(tmp_path):
    selection = load_call_config().selection
    assert (selection.min_reviews, selection.no_discussion_flag) == (2, False)
    path = _broken(tmp_path, "min_reviews = 2\n", "no_discussion_flag = true\n")
    path.write_text(path.read_text(encoding="utf-8").replace("no_discussion_flag = false\n", ""), encoding="utf-8")
    assert load_call_config(path).selection.no_discussion_flag
    path = _broken(tmp_path, "min_reviews = 2\n", "")
    path.write_text(path.read_text(encoding="utf-8").replace("no_discussion_flag = false\n", ""), encoding="utf-8")
    selection = load_call_config(path).selection
    assert (selection.min_reviews, selection.no_discussion_flag) == (0, False)
