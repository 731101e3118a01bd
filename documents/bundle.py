"""Matching a ZIP of documents that arrives beside an import to the import's rows.

`match_bundle(entry_names, rows)` takes the ZIP's entry names (as
`zipfile.ZipFile.namelist()` gives them: nothing is unpacked here) and the
rows (each a reference and the file names its file-name column lists, if the
import has one), and returns a `BundleMatch`:

* a file belongs to a row when a folder it sits in is named after the row's
  reference (`CFE-0001/report.pdf`, or `bundle/CFE-0001/report.pdf`: the
  nearest folder that names a reference decides), or when its file name is
  one the row's file-name column lists (compared without case);
* `ambiguous`: a file two rows claim (two rows list the same name, or its
  folder says one row and the file-name column another); it goes to neither;
* `unmatched_files`: files no row claims; `rows_without_files`: references
  with no file; `missing`: names a row lists that the ZIP does not hold;
* `ignored`: folders, `__MACOSX/`, dot-files (`.DS_Store`), `Thumbs.db` and
  `desktop.ini`, which computers add on their own;
* `refused`: names that could write outside a folder if unpacked (`..`,
  absolute paths, drive letters, NUL characters), too long, or repeated; each
  with its reason. The data layer refuses the whole import when any is there
  (all or nothing).

Names are compared after NFC normalisation, so a name written on a Mac (NFD)
matches the same name typed on Windows. More than `max_entries` entries is a
refusal (`DocumentRefused("too_many_files", ...)`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from documents.errors import DocumentRefused

MAX_ENTRIES = 5_000
MAX_NAME = 512
IGNORED_NAMES = {"thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_SPLIT = re.compile(r"[;\n\r]+")


@dataclass(frozen=True)
class BundleRow:
    reference: str
    filenames: tuple[str, ...] = ()  # the row's file-name column: names, or paths inside the ZIP


@dataclass(frozen=True)
class BundleMatch:
    matched: tuple[tuple[str, str], ...]  # (reference, entry name), in the ZIP's order
    unmatched_files: tuple[str, ...]
    rows_without_files: tuple[str, ...]
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...]  # (entry name, the references that claim it)
    missing: tuple[tuple[str, str], ...]  # (reference, a listed name the ZIP does not hold)
    ignored: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # (entry name, why)

    @property
    def clean(self) -> bool:
        """Nothing refused, nothing ambiguous: the import may go ahead with these pairs."""
        return not self.refused and not self.ambiguous


def split_filenames(cell: str) -> tuple[str, ...]:
    """A file-name cell listing one or more names (separated by semicolons or line breaks)."""
    return tuple(name.strip() for name in _SPLIT.split(cell or "") if name.strip())


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def entry_problem(name: str) -> str | None:
    """Why an entry's name is refused, or None."""
    if "\x00" in name:
        return "its name holds a NUL character"
    if len(name) > MAX_NAME:
        return f"its name is longer than {MAX_NAME} characters"
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return "its name is an absolute path"
    if any(part == ".." for part in path.split("/")):
        return "its name climbs out of its folder (..)"
    return None


def _ignored(parts: list[str]) -> bool:
    return (
        not parts[-1]  # a folder
        or parts[0].casefold() == "__macosx"
        or any(part.startswith(".") for part in parts)
        or parts[-1].casefold() in IGNORED_NAMES
    )


def match_bundle(
    entry_names: Sequence[str], rows: Sequence[BundleRow], *, max_entries: int = MAX_ENTRIES
) -> BundleMatch:
    """Which file goes with which row (see the module's docstring)."""
    if len(entry_names) > max_entries:
        raise DocumentRefused(
            "too_many_files",
            f"The attachments ZIP holds {len(entry_names):,} entries; the most one import may bring is "
            f"{max_entries:,}. Split the import in parts, each with its own ZIP.",
        )
    references = {_key(row.reference): row.reference for row in rows if row.reference.strip()}
    listed: dict[str, set[str]] = defaultdict(set)  # a listed name or path -> the references listing it
    for row in rows:
        for name in row.filenames:
            listed[_key(name.replace("\\", "/").strip("/"))].add(row.reference)
    ignored: list[str] = []
    refused: list[tuple[str, str]] = []
    claims: dict[str, set[str]] = {}
    seen: set[str] = set()
    found_listed: set[str] = set()
    for name in entry_names:
        problem = entry_problem(name)
        path = name.replace("\\", "/")
        if problem is None and _key(path) in seen:
            problem = "it is in the ZIP twice"
        if problem:
            refused.append((name, problem))
            continue
        seen.add(_key(path))
        parts = path.split("/")
        if _ignored(parts):
            ignored.append(name)
            continue
        claims[name] = _claims_of(parts, references, listed, found_listed)
    return _result(claims, rows, found_listed, ignored, refused)


def _claims_of(
    parts: list[str], references: dict[str, str], listed: dict[str, set[str]], found_listed: set[str]
) -> set[str]:
    """The references that claim a file: by its nearest folder named after one, and by the file-name column."""
    claimed: set[str] = set()
    for folder in reversed(parts[:-1]):
        if _key(folder) in references:
            claimed.add(references[_key(folder)])
            break
    for key in (_key("/".join(parts)), _key(parts[-1])):
        if key in listed:
            claimed |= listed[key]
            found_listed.add(key)
    return claimed


def _result(
    claims: dict[str, set[str]],
    rows: Sequence[BundleRow],
    found_listed: set[str],
    ignored: list[str],
    refused: list[tuple[str, str]],
) -> BundleMatch:
    matched = [(next(iter(refs)), name) for name, refs in claims.items() if len(refs) == 1]
    with_files = {reference for reference, _ in matched}
    missing = [
        (row.reference, name)
        for row in rows
        for name in row.filenames
        if _key(name.replace("\\", "/").strip("/")) not in found_listed
    ]
    return BundleMatch(
        matched=tuple(matched),
        unmatched_files=tuple(name for name, refs in claims.items() if not refs),
        rows_without_files=tuple(row.reference for row in rows if row.reference not in with_files),
        ambiguous=tuple((name, tuple(sorted(refs))) for name, refs in claims.items() if len(refs) > 1),
        missing=tuple(missing),
        ignored=tuple(ignored),
        refused=tuple(refused),
    )
