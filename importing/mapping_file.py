"""A column mapping as a file a person can read, keep and edit (JSON):

    {
      "format": "evidence-review import mapping",
      "version": 1,
      "name": "Online form 2021",
      "columns": {"title": "Title of your evidence", "themes": "Which theme(s) does it address?"},
      "values": {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}}
    }

`key` (optional) is the header of the source key's column (the form's
response ID: importing.source_key). `columns` maps a template field to the file's header; `values` maps, per
coded field (or `anonymous`), a value as written in the file to a code ("" to
leave the value out; for `anonymous`, "yes" or "no"). `name` is optional.

A mapping file is input: `load_mapping` checks it whole (its JSON, its keys,
every field, every code, and, given the data file's headers, every column)
and raises `MappingFileError` with every problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from config.call_config import CallConfig
from importing.fields import FIELD_NAMES, FIELDS_BY_NAME, VALUE_MAPPED_FIELDS
from importing.mapping import ColumnMapping

FORMAT = "evidence-review import mapping"
VERSION = 1
MAX_BYTES = 1_000_000
KEYS = ("format", "version", "name", "key", "columns", "values")
# Characters a terminal or an editor could act on or display misleadingly: written as \uXXXX escapes.
_INERT = re.compile("[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class MappingFileError(ValueError):
    """A mapping file that cannot be used, with every reason."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source} is not a usable mapping file:\n" + "\n".join(f"  - {p}" for p in self.problems))


def dump_mapping(mapping: ColumnMapping, *, name: str | None = None) -> str:
    """The mapping as the file's JSON text: fields in the template's order."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if name:
        data["name"] = name
    if mapping.key:
        data["key"] = mapping.key
    data["columns"] = {f: mapping.columns[f] for f in FIELD_NAMES if mapping.columns.get(f)}
    data["values"] = {f: dict(mapping.values[f]) for f in FIELD_NAMES if mapping.values.get(f)}
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _INERT.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _quote(text: object) -> str:
    return f"\u201c{text}\u201d"


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Twice(key)
        seen[key] = value
    return seen


class _Twice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse(content: bytes, source: str) -> dict[str, Any]:
    if len(content) > MAX_BYTES:
        raise MappingFileError(source, [f"it is larger than {MAX_BYTES // 1_000_000} MB: a mapping is a few lines."])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MappingFileError(source, ["it is not UTF-8 text (a mapping file is JSON)."]) from None
    try:
        data = json.loads(text, object_pairs_hook=_pairs)
    except _Twice as exc:
        raise MappingFileError(source, [f"the key {_quote(exc.key)} is given twice."]) from None
    except json.JSONDecodeError as exc:
        raise MappingFileError(
            source, [f"it is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."]
        ) from None
    if not isinstance(data, dict):
        raise MappingFileError(source, ["it must be one JSON object, { ... }."])
    return data


def load_mapping(
    content: bytes, config: CallConfig, *, source: str = "The mapping file", headers: Sequence[str] | None = None
) -> ColumnMapping:
    """The mapping a file holds, checked whole against the call's codes and,
    given, the data file's headers."""
    data = _parse(content, source)
    problems: list[str] = []
    if data.get("format") != FORMAT:
        problems.append(f'its "format" must be "{FORMAT}".')
    if "version" in data and data["version"] != VERSION:
        problems.append(f"version {_quote(data['version'])} is not known: this app reads version {VERSION}.")
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        problems.append(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(_quote, unknown))}: "
            f"the keys are {', '.join(KEYS)}."
        )
    if "name" in data and not isinstance(data["name"], str):
        problems.append('its "name" must be text.')
    columns = _columns(data.get("columns", {}), problems, headers)
    values = _values(data.get("values", {}), columns, config, problems)
    key = _key(data.get("key"), problems, headers)
    if problems:
        raise MappingFileError(source, problems)
    return ColumnMapping(columns, values, key)


def _key(raw: Any, problems: list[str], headers: Sequence[str] | None) -> str | None:
    """The source key's column (optional): a header of the file, as text."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        problems.append('its "key" must be the header of the key column (the form\'s response ID), as text.')
        return None
    if headers is not None and raw not in headers:
        problems.append(f"the key column {_quote(raw)} is not in this file.")
    return raw


def _is_object(value: Any, what: str, problems: list[str]) -> bool:
    if isinstance(value, dict):
        return True
    problems.append(f"{what} must be a JSON object, {{ ... }}.")
    return False


def _field_known(name: str, problems: list[str]) -> bool:
    if name in FIELDS_BY_NAME:
        return True
    problems.append(f"{_quote(name)} is not a template field (the fields: {', '.join(FIELD_NAMES)}).")
    return False


def _columns(raw: Any, problems: list[str], headers: Sequence[str] | None) -> dict[str, str]:
    if not _is_object(raw, '"columns"', problems):
        return {}
    columns: dict[str, str] = {}
    used: dict[str, str] = {}
    for name, header in raw.items():
        if not _field_known(name, problems):
            continue
        label = FIELDS_BY_NAME[name].label
        if not isinstance(header, str) or not header.strip():
            problems.append(f"the column for {label} ({name}) must be a header, as text.")
            continue
        if header in used:
            problems.append(f"the column {_quote(header)} is given for both {used[header]} and {label}.")
        elif headers is not None and header not in headers:
            problems.append(f"the column {_quote(header)} (for {label}) is not in this file.")
        used[header] = label
        columns[name] = header
    return {n: columns[n] for n in FIELD_NAMES if n in columns}


def _values(raw: Any, columns: dict[str, str], config: CallConfig, problems: list[str]) -> dict[str, dict[str, str]]:
    if not _is_object(raw, '"values"', problems):
        return {}
    values: dict[str, dict[str, str]] = {}
    for name, mapped in raw.items():
        if not _field_known(name, problems):
            continue
        label = FIELDS_BY_NAME[name].label
        if name not in VALUE_MAPPED_FIELDS:
            problems.append(f"{label} ({name}) takes no value mappings: only coded fields and anonymous do.")
            continue
        if name not in columns:
            problems.append(f"values are given for {label} ({name}), but no column is chosen for it.")
        if not _is_object(mapped, f"the values of {name}", problems):
            continue
        codes = ("yes", "no") if name == "anonymous" else tuple(config.vocabulary(name).ids)
        for value, code in mapped.items():
            if not isinstance(code, str) or (code and code not in codes):
                problems.append(
                    f"{_quote(code)} (for {_quote(value)}) is not a code of {label}: "
                    f'give one of {", ".join(codes)}, or "" to leave the value out.'
                )
                continue
            values.setdefault(name, {})[value] = code
    return values
