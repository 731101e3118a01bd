"""What a message template may use: its fixed list of variables, each with a kind, words and an example."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_KIND, NUMBER, DATE, LINK, LIST = "text", "number", "date", "link", "list"
KINDS = (TEXT_KIND, NUMBER, DATE, LINK, LIST)


@dataclass(frozen=True)
class Variable:
    """One value a template may print. A `list` variable's items each have exactly `fields`
    (read inside a loop: `{% for item in assignments %}{{ item.reference }}{% endfor %}`).
    A `date` is given already written out for people ("Friday 24 September 2021")."""

    name: str
    kind: str
    description: str
    example: Any = field(compare=False)  # not part of what a template may use: specs compare and hash without it
    fields: tuple[Variable, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if (self.kind == LIST) != bool(self.fields):
            raise ValueError(f"{self.name}: a list has fields, and only a list")


@dataclass(frozen=True)
class TemplateSpec:
    """One purpose of message: who receives it, its variables, and its default wording."""

    purpose: str
    title: str  # for people, on the Messages page
    recipient: str  # "reviewer", "contributor"
    when: str  # when it is sent, in words
    variables: tuple[Variable, ...]
    subject: str
    text: str
    html: str | None = None

    def examples(self) -> dict[str, Any]:
        """A value for every variable: the spec's examples (for a preview with no real data)."""
        return {v.name: v.example for v in self.variables}
