"""A strict, small iCalendar (RFC 5545) reader for tests: it refuses what a careless writer gets wrong.

Refused: bytes that are not UTF-8, a physical line over 75 octets (or one
that is not UTF-8 on its own: a fold inside a character), a line end other
than CRLF (a bare CR or LF), a file not ending in CRLF, a property name that
is not a token, parameters (the writer uses none), a control character in a
value, an unknown escape, an unescaped `;` or `,` in a TEXT value, and
BEGIN/END that do not nest. Written from the RFC, not from the writer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "LOCATION", "UID", "PRODID", "X-WR-CALNAME"}
NAME = re.compile(r"[A-Za-z0-9-]+")
ESCAPES = {"\\": "\\", ";": ";", ",": ",", "n": "\n", "N": "\n"}


class ICalError(AssertionError):
    pass


@dataclass
class Component:
    name: str
    properties: list[tuple[str, str]] = field(default_factory=list)  # (name, raw value), in order
    children: list[Component] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise ICalError(f"{name} appears {len(values)} times")
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [unescape(v) if n in TEXT_PROPERTIES else v for n, v in self.properties if n == name]

    def names(self) -> list[str]:
        return [n for n, _ in self.properties]


def unescape(raw: str) -> str:
    out, i = [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            if i + 1 >= len(raw) or raw[i + 1] not in ESCAPES:
                raise ICalError(f"bad escape in {raw!r}")
            out.append(ESCAPES[raw[i + 1]])
            i += 2
            continue
        if ch in ";,":
            raise ICalError(f"unescaped {ch!r} in TEXT {raw!r}")
        out.append(ch)
        i += 1
    return "".join(out)


def physical_lines(data: bytes) -> list[bytes]:
    if not data.endswith(b"\r\n"):
        raise ICalError("the file does not end with CRLF")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        if b"\r" in line or b"\n" in line:
            raise ICalError(f"a bare CR or LF in {line!r}")
        if len(line) > 75:
            raise ICalError(f"a line of {len(line)} octets: {line!r}")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ICalError(f"a fold inside a UTF-8 character: {line!r}") from e
    return lines


def content_lines(data: bytes) -> list[str]:
    data.decode("utf-8")  # strict
    out: list[str] = []
    for line in physical_lines(data):
        text = line.decode("utf-8")
        if text.startswith((" ", "\t")):
            if not out:
                raise ICalError("a continuation line first")
            out[-1] += text[1:]
        else:
            out.append(text)
    return out


def parse(data: bytes) -> Component:
    """The calendar: the VCALENDAR component, with its children."""
    stack: list[Component] = []
    top: Component | None = None
    for line in content_lines(data):
        name, sep, value = line.partition(":")
        if not sep or not NAME.fullmatch(name):
            raise ICalError(f"not a content line (or has parameters): {line!r}")
        if any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in value):
            raise ICalError(f"a control character in {line!r}")
        name = name.upper()
        if name == "BEGIN":
            component = Component(value)
            if stack:
                stack[-1].children.append(component)
            elif top is not None:
                raise ICalError("two top-level components")
            else:
                top = component
            stack.append(component)
        elif name == "END":
            if not stack or stack[-1].name != value:
                raise ICalError(f"END:{value} does not close {stack[-1].name if stack else 'anything'}")
            stack.pop()
        elif not stack:
            raise ICalError(f"a property outside any component: {line!r}")
        else:
            if name in TEXT_PROPERTIES:
                unescape(value)  # refused now if it is not a well-formed TEXT value
            stack[-1].properties.append((name, value))
    if stack or top is None:
        raise ICalError("components left open")
    return top


def events(data: bytes) -> list[Component]:
    calendar = parse(data)
    if calendar.name != "VCALENDAR":
        raise ICalError(f"the file is a {calendar.name}")
    return [c for c in calendar.children if c.name == "VEVENT"]
