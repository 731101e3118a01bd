"""Unpacking a zip archive within bounds: one helper for every reader of a
zip-based file (an imported XLSX workbook in `importing.reading`, an evidence
document in `documents.sniff`).

A zip archive's listing says how large each entry unpacks to, but a listing
can lie, and a few kilobytes can unpack to gigabytes (an "archive bomb").
`UnpackBudget` checks the listing first (entries, declared size, ratio of
unpacked to packed bytes), then counts the bytes really unpacked while an
entry is read in pieces, never whole, and raises `ArchiveTooLarge` past a
bound. Each caller turns that into its own sentence for people.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CHUNK = 1024 * 1024
# Below this many unpacked bytes the ratio is not checked: a small XML part
# may well compress a hundred times, and cannot take the server's memory.
RATIO_FLOOR_BYTES = 16 * 1024 * 1024


class ArchiveTooLarge(ValueError):
    """An archive past a bound: `what` is "expanded" (bytes unpacked),
    "entries" (number of entries) or "ratio" (unpacked per packed byte)."""

    def __init__(self, what: str, found: float, limit: float) -> None:
        super().__init__(f"archive {what}: {found:,} over the limit {limit:,}")
        self.what = what
        self.found = found
        self.limit = limit


@dataclass
class UnpackBudget:
    """What one archive may unpack to; `unpacked` counts the bytes so far."""

    max_expanded_bytes: int
    max_entries: int | None = None
    max_ratio: float | None = None
    packed_bytes: int | None = None  # the archive's own size, for the ratio
    unpacked: int = 0

    def check_listing(self, infos: Sequence[zipfile.ZipInfo]) -> None:
        """Refuse an archive whose listing is past a bound, before unpacking anything."""
        if self.max_entries is not None and len(infos) > self.max_entries:
            raise ArchiveTooLarge("entries", len(infos), self.max_entries)
        declared = sum(info.file_size for info in infos)
        if declared > self.max_expanded_bytes:
            raise ArchiveTooLarge("expanded", declared, self.max_expanded_bytes)
        self._check_ratio(declared)

    def _check_ratio(self, n_bytes: int) -> None:
        if self.max_ratio is None or not self.packed_bytes or n_bytes < RATIO_FLOOR_BYTES:
            return
        ratio = n_bytes / self.packed_bytes
        if ratio > self.max_ratio:
            raise ArchiveTooLarge("ratio", round(ratio), self.max_ratio)

    def chunks(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = CHUNK) -> Iterator[bytes]:
        """The entry's bytes in pieces, counted against the budget as they come."""
        with archive.open(info) as part:
            while chunk := part.read(size):
                self.unpacked += len(chunk)
                if self.unpacked > self.max_expanded_bytes:
                    raise ArchiveTooLarge("expanded", self.unpacked, self.max_expanded_bytes)
                self._check_ratio(self.unpacked)
                yield chunk

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        """The whole entry, counted against the budget (for the small parts a reader needs whole)."""
        return b"".join(self.chunks(archive, info))
