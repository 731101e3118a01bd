"""Submissions whose every text field carries its own marker, for identity-leak tests.

`marked_submission(session, config, tag)` writes a submission in which every
free-text field of `SubmissionInput` (found by walking its fields, so a text
field added later gets a marker too) holds a unique marker, and links hold
two. The caller checks where each marker may appear with
`access.visibility.field_class`: SAFE markers reach every reader of the
submission, the others never reach a reviewer who may not see the identity.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from access.visibility import SAFE, field_class
from config import MULTI_VALUED, SINGLE_VALUED, CallConfig
from importing.submission_rules import SubmissionInput
from tests.factories import make_submission

NOT_FREE_TEXT = {"reference", "received_at", "anonymous", *SINGLE_VALUED, *MULTI_VALUED}


def free_text_fields() -> list[str]:
    """Every field of SubmissionInput that holds the contributor's own words."""
    return [f.name for f in dataclasses.fields(SubmissionInput) if f.name not in NOT_FREE_TEXT]


@dataclass(frozen=True)
class Marked:
    id: int
    markers: dict[str, list[str]]  # field -> the markers in it

    def all(self) -> list[str]:
        return [m for ms in self.markers.values() for m in ms]

    def hidden(self) -> list[str]:
        """Markers of every field that is not SAFE (identity-bearing, office-only or unclassified)."""
        return [m for name, ms in self.markers.items() if field_class(name) != SAFE for m in ms]

    def safe(self) -> list[str]:
        return [m for name, ms in self.markers.items() if field_class(name) == SAFE for m in ms]


def marker(tag: str, name: str, n: int = 0) -> str:
    return f"mk{tag}{name.replace('_', '')}{n}q"


def marked_submission(session, config: CallConfig, tag: str, **overrides) -> Marked:
    values: dict[str, object] = {}
    markers: dict[str, list[str]] = {}
    for name in free_text_fields():
        if name == "links":
            urls = [
                f"https://{marker(tag, 'links', 1)}.example/report.pdf",
                f"https://x.example/{marker(tag, 'links', 2)}",
            ]
            values[name] = urls
            markers[name] = [marker(tag, "links", 1), marker(tag, "links", 2)]
        elif name == "contact_email":
            values[name] = f"{marker(tag, name)}@mail.example"
            markers[name] = [marker(tag, name)]
        else:
            values[name] = f"Words of {marker(tag, name)} here"
            markers[name] = [marker(tag, name)]
    values |= overrides
    return Marked(make_submission(session, config, **values), markers)
