"""The template's columns: what each one holds and the headers that name it.

`TEMPLATE_FIELDS` is the template in order (import-format.md). Each field has
a kind (how a cell is read), and `aliases`: header wordings seen in form tools
and office spreadsheets, used to propose a mapping by name. Aliases are
compared after `config.normalise_term`, so case and punctuation do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.call_config import MULTI_VALUED, SINGLE_VALUED


@dataclass(frozen=True)
class TemplateField:
    name: str
    label: str  # our words, shown to people
    kind: str  # text, code, codes, date, yesno, links, reference, email
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""


TEMPLATE_FIELDS: tuple[TemplateField, ...] = (
    TemplateField(
        "title",
        "Title",
        "text",
        required=True,
        aliases=(
            "title",
            "title of the evidence",
            "title of evidence",
            "evidence title",
            "submission title",
            "project title",
            "name of the project",
            "project name",
            "name of the practice",
            "programme name",
        ),
        help="Title of the evidence.",
    ),
    TemplateField(
        "summary",
        "Summary",
        "text",
        required=True,
        aliases=(
            "summary",
            "description",
            "abstract",
            "summary of the evidence",
            "evidence summary",
            "describe the evidence",
            "summarise the evidence",
            "what it is what it does what it found",
        ),
        help="What it is, what it does, what it found.",
    ),
    TemplateField(
        "themes",
        "Themes",
        "codes",
        required=True,
        aliases=("themes", "theme", "area of evidence", "areas of evidence", "which theme", "call themes"),
        help="One or both themes.",
    ),
    TemplateField(
        "reference",
        "Reference",
        "reference",
        aliases=("reference", "ref", "reference number", "our reference", "office reference", "submission reference"),
        help="The office's reference; generated when empty; the key for re-imports.",
    ),
    TemplateField(
        "received_at",
        "Received",
        "date",
        aliases=(
            "received_at",
            "received",
            "date received",
            "received on",
            "date",
            "timestamp",
            "submitted",
            "submitted at",
            "submission date",
            "date submitted",
            "completion time",
            "end date",
        ),
        help="Date, or date and time, received (2021-07-05 or 05/07/2021 14:30).",
    ),
    TemplateField(
        "organisation",
        "Organisation",
        "text",
        aliases=(
            "organisation",
            "organization",
            "organisation name",
            "organization name",
            "name of organisation",
            "name of your organisation",
            "your organisation",
            "org",
            "agency",
            "employer",
            "company",
        ),
    ),
    TemplateField(
        "contact_name",
        "Contact name",
        "text",
        aliases=(
            "contact_name",
            "contact name",
            "name",
            "your name",
            "full name",
            "contact",
            "contact person",
            "name of contact",
            "respondent name",
            "submitted by",
        ),
    ),
    TemplateField(
        "contact_email",
        "Contact email",
        "email",
        aliases=(
            "contact_email",
            "contact email",
            "email",
            "e mail",
            "email address",
            "e mail address",
            "your email",
            "your email address",
            "contact email address",
        ),
    ),
    TemplateField(
        "anonymous",
        "Anonymous",
        "yesno",
        aliases=("anonymous", "anonymity", "submit anonymously", "anonymise", "anonymize", "keep anonymous"),
        help="yes or no.",
    ),
    TemplateField(
        "focus_areas",
        "Focus areas",
        "codes",
        aliases=("focus_areas", "focus areas", "focus area", "focus", "areas of focus", "topics"),
    ),
    TemplateField(
        "exploitation_types",
        "Forms of exploitation",
        "codes",
        aliases=(
            "exploitation_types",
            "exploitation types",
            "forms of exploitation",
            "form of exploitation",
            "types of exploitation",
            "type of exploitation",
            "exploitation",
        ),
    ),
    TemplateField(
        "evidence_forms",
        "Form of evidence",
        "codes",
        aliases=("evidence_forms", "evidence forms", "form of evidence", "forms of evidence", "type of evidence"),
    ),
    TemplateField(
        "evidence_source",
        "Source of evidence",
        "code",
        aliases=("evidence_source", "evidence source", "source of evidence", "source of the evidence", "source"),
    ),
    TemplateField(
        "sector",
        "Sector",
        "code",
        aliases=("sector", "your sector", "organisation type", "type of organisation", "organization type"),
    ),
    TemplateField("nation", "Nation", "code", aliases=("nation", "country", "uk nation", "nation of the uk")),
    TemplateField(
        "stage",
        "Stage",
        "code",
        aliases=("stage", "stage of development", "maturity", "how established"),
    ),
    TemplateField(
        "reported_impact",
        "Reported impact",
        "code",
        aliases=("reported_impact", "reported impact", "impact", "outcome", "outcomes"),
    ),
    TemplateField(
        "presentation_preference",
        "Can present",
        "code",
        aliases=(
            "presentation_preference",
            "presentation preference",
            "can present",
            "presenting",
            "available to present",
            "would you like to present",
            "present at the conference",
        ),
    ),
    TemplateField(
        "region",
        "Region",
        "text",
        aliases=("region", "area", "location", "local area", "town", "city", "county"),
    ),
    TemplateField(
        "links",
        "Links",
        "links",
        aliases=(
            "links",
            "link",
            "url",
            "urls",
            "website",
            "documents",
            "attachments",
            "attachment",
            "files",
            "upload your evidence",
        ),
        help="URLs or file names, separated by ; or line breaks.",
    ),
    TemplateField("notes", "Notes", "text", aliases=("notes", "note", "office notes", "comments", "internal notes")),
)

FIELDS_BY_NAME = {f.name: f for f in TEMPLATE_FIELDS}
FIELD_NAMES = tuple(f.name for f in TEMPLATE_FIELDS)
REQUIRED_FIELDS = tuple(f.name for f in TEMPLATE_FIELDS if f.required)
CODED_FIELDS = (*MULTI_VALUED, *SINGLE_VALUED)
# Fields whose unmatched values a person can map by hand (codes and yes/no).
VALUE_MAPPED_FIELDS = (*CODED_FIELDS, "anonymous")
YES_WORDS = ("yes", "y", "true", "1")
NO_WORDS = ("no", "n", "false", "0")

assert set(CODED_FIELDS) <= set(FIELD_NAMES)
