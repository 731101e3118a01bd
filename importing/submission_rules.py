"""What a valid submission is, as plain data and pure checks.

`SubmissionInput` is what the importer, the demo generator and the tests hand
to `data_access.submissions`. `check_submission` lists every problem with it in
words, against the call's taxonomy, so that nothing invalid reaches the
database and a person sees all the problems at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

from config.call_config import MULTI_VALUED, SINGLE_VALUED, CallConfig

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
MAX_TITLE = 1000
MAX_SUMMARY = 100_000
WHO_FIELDS = ("anonymous", "organisation", "contact_name")  # who a submission is from


@dataclass
class SubmissionInput:
    title: str
    summary: str
    themes: list[str]
    reference: str | None = None
    received_at: dt.datetime | None = None
    organisation: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    anonymous: bool = False
    focus_areas: list[str] = field(default_factory=list)
    exploitation_types: list[str] = field(default_factory=list)
    evidence_forms: list[str] = field(default_factory=list)
    evidence_source: str | None = None
    sector: str | None = None
    nation: str | None = None
    stage: str | None = None
    reported_impact: str | None = None
    presentation_preference: str | None = None
    region: str | None = None
    links: list[str] = field(default_factory=list)
    notes: str | None = None

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Problem:
    field: str
    value: str
    problem: str
    suggestion: str = ""
    severity: str = "error"  # "error" blocks saving; "warning" is shown only
    # A rule on several fields: the fields it reads. It is reported after those fields' own
    # problems, and not when one of them already has a problem (that is the row's root fault).
    depends_on: tuple[str, ...] = ()


def check_submission(data: SubmissionInput, config: CallConfig) -> list[Problem]:
    """Every problem with `data`; those with severity "error" must block saving."""
    return [
        *_text_problems(data),
        *_identity_problems(data),
        *_code_problems(data, config),
        *_focus_theme_problems(data, config),
        *_time_problems(data),
    ]


def _text_problems(data: SubmissionInput) -> list[Problem]:
    """Title, summary and themes present and not too long."""
    problems: list[Problem] = []
    if not (data.title or "").strip():
        problems.append(Problem("title", "", "A title is required."))
    elif len(data.title) > MAX_TITLE:
        problems.append(Problem("title", data.title[:40] + "…", f"The title is longer than {MAX_TITLE} characters."))
    if not (data.summary or "").strip():
        problems.append(Problem("summary", "", "A summary is required."))
    elif len(data.summary) > MAX_SUMMARY:
        problems.append(
            Problem("summary", data.summary[:40] + "…", f"The summary is longer than {MAX_SUMMARY} characters.")
        )
    if not data.themes:
        problems.append(Problem("themes", "", "At least one theme is required."))
    return problems


def _identity_problems(data: SubmissionInput) -> list[Problem]:
    """The reference, the contact email, and who the submission is from."""
    problems: list[Problem] = []
    if data.reference is not None and not REFERENCE_RE.match(data.reference):
        problems.append(
            Problem(
                "reference",
                data.reference,
                "A reference has up to 64 letters, digits, dots, dashes, slashes or underscores.",
            )
        )
    if data.contact_email and not EMAIL_RE.match(data.contact_email.strip()):
        problems.append(Problem("contact_email", data.contact_email, "This is not an email address."))
    if not data.anonymous and not (data.organisation or "").strip() and not (data.contact_name or "").strip():
        problems.append(
            Problem(
                "organisation",
                "",
                "Give an organisation or a contact name, or mark the submission anonymous.",
                depends_on=WHO_FIELDS,
            )
        )
    return problems


def _code_problems(data: SubmissionInput, config: CallConfig) -> list[Problem]:
    """Every coded field against the call's taxonomy: known codes, none twice."""
    problems: list[Problem] = []
    for name in MULTI_VALUED:
        values = getattr(data, name)
        vocab = config.vocabulary(name)
        if len(set(values)) != len(values):
            problems.append(Problem(name, "; ".join(values), "The same value is given twice."))
        for code in values:
            if code not in vocab.ids:
                problems.append(Problem(name, code, f"Unknown {name.replace('_', ' ')} code."))
    for name in SINGLE_VALUED:
        code = getattr(data, name)
        if code is not None and code not in config.vocabulary(name).ids:
            problems.append(Problem(name, code, f"Unknown {name.replace('_', ' ')} code."))
    return problems


def _focus_theme_problems(data: SubmissionInput, config: CallConfig) -> list[Problem]:
    """Warnings: a focus area whose theme the submission does not have."""
    problems: list[Problem] = []
    focus_theme = config.focus_area_theme()
    for code in data.focus_areas:
        theme = focus_theme.get(code)
        if theme and data.themes and theme not in data.themes:
            problems.append(
                Problem(
                    "focus_areas",
                    code,
                    f"This focus area belongs to the theme {config.vocabulary('themes').label(theme)!r}, which the submission does not have.",
                    "Add that theme or remove the focus area.",
                    severity="warning",
                )
            )
    return problems


def _time_problems(data: SubmissionInput) -> list[Problem]:
    if data.received_at is not None and data.received_at.tzinfo is None:
        return [Problem("received_at", str(data.received_at), "The time has no time zone.")]
    return []
