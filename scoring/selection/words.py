"""Labels for codes, and small helpers for putting counts and references into words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config.call_config import CallConfig


class Names:
    """Labels for codes (from the call's configuration when given)."""

    def __init__(self, labels: Mapping[str, Mapping[str, str]] | None) -> None:
        self.labels = {k: dict(v) for k, v in (labels or {}).items()}
        forms = list(self.labels.get("exploitation_types", {}))
        self._form_rank = {f: i for i, f in enumerate(forms)}

    def of(self, kind: str, code: Any) -> str:
        return self.labels.get(kind, {}).get(code, str(code))

    def form_order(self, code: str) -> tuple[int, str]:
        return (self._form_rank.get(code, len(self._form_rank)), code)


def labels_from_config(config: CallConfig) -> dict[str, dict[str, str]]:
    return {name: config.vocabulary(name).labels() for name in ("themes", "exploitation_types", "sector")}


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def some_refs(refs: list[str], limit: int = 6) -> str:
    shown = ", ".join(refs[:limit])
    return shown + (f" and {len(refs) - limit} more" if len(refs) > limit else "")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
