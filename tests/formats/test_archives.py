"""The shared bounded unpacking (formats.archives) refuses each kind of excess."""

from __future__ import annotations

import io
import zipfile

import pytest

from formats.archives import RATIO_FLOOR_BYTES, ArchiveTooLarge, UnpackBudget


def archive_of(parts: dict[str, bytes]) -> zipfile.ZipFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


def test_a_listing_within_bounds_passes_and_every_byte_is_counted():
    archive = archive_of({"a.xml": b"x" * 1000, "b.xml": b"y" * 500})
    budget = UnpackBudget(2000, max_entries=2)
    budget.check_listing(archive.infolist())
    assert b"".join(budget.chunks(archive, archive.getinfo("a.xml"), size=100)) == b"x" * 1000
    assert budget.read(archive, archive.getinfo("b.xml")) == b"y" * 500
    assert budget.unpacked == 1500


def test_too_many_entries_are_refused():
    archive = archive_of({f"{i}.xml": b"x" for i in range(3)})
    with pytest.raises(ArchiveTooLarge) as caught:
        UnpackBudget(10_000, max_entries=2).check_listing(archive.infolist())
    assert (caught.value.what, caught.value.found, caught.value.limit) == ("entries", 3, 2)


def test_a_declared_size_over_the_limit_is_refused_before_unpacking():
    archive = archive_of({"a.xml": b"x" * 5000})
    with pytest.raises(ArchiveTooLarge) as caught:
        UnpackBudget(4000).check_listing(archive.infolist())
    assert caught.value.what == "expanded"


def test_the_bytes_really_unpacked_are_counted_across_entries():
    archive = archive_of({"a.xml": b"x" * 3000, "b.xml": b"y" * 3000})
    budget = UnpackBudget(5000)
    budget.read(archive, archive.getinfo("a.xml"))
    with pytest.raises(ArchiveTooLarge) as caught:
        budget.read(archive, archive.getinfo("b.xml"))
    assert caught.value.what == "expanded" and caught.value.found > 5000


def test_a_high_ratio_is_refused_only_past_the_floor():
    small = archive_of({"a.xml": b"\x00" * 100_000})
    UnpackBudget(10**9, max_ratio=2, packed_bytes=1000).check_listing(small.infolist())  # under the floor
    big = archive_of({"a.xml": b"\x00" * (RATIO_FLOOR_BYTES + 1)})
    with pytest.raises(ArchiveTooLarge) as caught:
        UnpackBudget(10**9, max_ratio=2, packed_bytes=1000).check_listing(big.infolist())
    assert caught.value.what == "ratio"
