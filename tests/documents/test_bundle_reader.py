"""The ZIP beside an import read entry by entry (documents.bundle_reader): the
preview's lists, every refusal that refuses the whole import, the bundle's own
bounds. Pure: no database (the import's tests in tests/data_access and
tests/test_manage_import.py cover the writing)."""

import hashlib
import io
import random
import tracemalloc
import zipfile

import pytest

from config.settings import DocumentLimits
from documents.bundle import BundleRow
from documents.bundle_reader import SPOOL_BYTES, Bundle, BundleLimits, check_bundle
from documents.errors import DocumentRefused
from tests.documents import builders as b


def zip_of(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    out.seek(0)
    return out


ROWS = [BundleRow("CFE-0001"), BundleRow("CFE-0002", ("toolkit.docx",)), BundleRow("CFE-0003")]


def report_of(entries: dict[str, bytes], rows=ROWS, **kwargs):
    with Bundle(zip_of(entries)) as bundle:
        return check_bundle(bundle, bundle.match(rows), **kwargs)


def test_files_matched_by_folder_and_by_column_with_their_kinds():
    report = report_of(
        {
            "CFE-0001/evaluation.pdf": b.plain_pdf(),
            "misc/toolkit.docx": b.plain_docx(),
            "stray.txt": b"A note nobody listed.\n",
            "__MACOSX/._evaluation.pdf": b"junk",
        }
    )
    assert report.ok and report.reasons() == []
    assert [(d.reference, d.entry, d.kind) for d in report.documents] == [
        ("CFE-0001", "CFE-0001/evaluation.pdf", "pdf"),
        ("CFE-0002", "misc/toolkit.docx", "docx"),
    ]
    assert report.warnings() == [
        "stray.txt: no row claims this file; it will not be attached.",
        "CFE-0003: no file in the ZIP for this row.",
    ]
    assert report.counts()["documents"] == 2


def test_an_ambiguous_entry_refuses_the_whole_bundle():
    # Its folder says CFE-0001, the file-name column of CFE-0002 lists it.
    report = report_of({"CFE-0001/toolkit.docx": b.plain_docx()})
    assert not report.ok
    assert report.documents == []
    [reason] = report.reasons()
    assert reason.startswith("CFE-0001/toolkit.docx: claimed by CFE-0001 and CFE-0002")


@pytest.mark.parametrize(
    ("content", "reason", "words"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "executable", "program"),
        (b.rezip(b.plain_docx(), {}, add={"word/vbaProject.bin": b"VBA"}), "macros", "macro"),
    ],
    ids=["exe-renamed-pdf", "macro-docx"],
)
def test_a_refused_document_refuses_the_whole_bundle_with_its_message(content, reason, words):
    name = "CFE-0003/report.pdf" if reason == "executable" else "CFE-0003/report.docx"
    report = report_of({"CFE-0001/evaluation.pdf": b.plain_pdf(), name: content})
    assert not report.ok
    [refused] = report.refused
    assert (refused.reference, refused.entry, refused.reason) == ("CFE-0003", name, reason)
    assert words in refused.message.lower()
    assert report.reasons() == [f"{name} (for CFE-0003): {refused.message}"]


def test_an_entry_climbing_out_of_its_folder_refuses_the_bundle():
    report = report_of({"CFE-0001/../../etc/evil.pdf": b.plain_pdf()})
    assert not report.ok
    assert "climbs out of its folder" in report.reasons()[0]


def test_the_same_bytes_twice_for_one_submission_and_bytes_already_attached():
    pdf = b.plain_pdf()
    report = report_of({"CFE-0001/a.pdf": pdf, "CFE-0001/b.pdf": pdf})
    assert [(r.entry, r.reason) for r in report.refused] == [("CFE-0001/b.pdf", "duplicate")]
    assert "same file as CFE-0001/a.pdf" in report.refused[0].message

    again = report_of({"CFE-0001/a.pdf": pdf}, attached={"CFE-0001": {hashlib.sha256(pdf).hexdigest()}})
    assert again.ok
    assert [d.already_attached for d in again.documents] == [True]
    assert again.counts() == {"documents": 0, "documents_bytes": 0, "documents_already_attached": 1}


def test_limits_per_document_and_per_submission_count_the_bundle_and_what_is_stored():
    pdf = b.plain_pdf()
    small = DocumentLimits(max_bytes=len(pdf) - 1)
    report = report_of({"CFE-0001/a.pdf": pdf}, limits=small)
    assert [r.reason for r in report.refused] == ["too_large"]
    total = DocumentLimits(max_per_submission_bytes=len(pdf) + 10)
    report = report_of({"CFE-0001/a.pdf": pdf}, existing_bytes={"CFE-0001": 11}, limits=total)
    assert [r.reason for r in report.refused] == ["too_large_total"]
    assert report_of({"CFE-0001/a.pdf": pdf}, existing_bytes={"CFE-0001": 10}, limits=total).ok


def test_the_bundle_itself_is_refused_when_not_a_zip_or_past_its_bounds():
    with pytest.raises(DocumentRefused, match="not a ZIP archive"):
        Bundle(io.BytesIO(b"%PDF-1.4 not a zip"))
    with pytest.raises(DocumentRefused) as caught:
        Bundle(zip_of({f"CFE-0001/{i}.txt": b"x" for i in range(4)}), limits=BundleLimits(max_entries=3))
    assert caught.value.reason == "too_many_files"
    with pytest.raises(DocumentRefused) as caught:
        Bundle(zip_of({"CFE-0001/a.txt": b"x" * 5000}), limits=BundleLimits(max_expanded_bytes=4000))
    assert caught.value.reason == "archive_bomb" and "unpacks to more than" in caught.value.message


def test_an_entry_whose_listing_lies_is_refused_having_read_no_more_than_it_declared():
    # The listing says 100 bytes; the entry really unpacks to 3 MB: reading stops at 100, the check fails.
    data = zip_of({"CFE-0001/notes.txt": b"word " * 600_000}).getvalue()
    lying = b._lie_about_size(data, "CFE-0001/notes.txt", 100)
    with Bundle(io.BytesIO(lying), limits=BundleLimits(max_expanded_bytes=2 * SPOOL_BYTES)) as bundle:
        report = check_bundle(bundle, bundle.match(ROWS))
        assert bundle.budget.unpacked <= 100
    assert [r.reason for r in report.refused] == ["damaged"]


def test_entries_are_unpacked_one_at_a_time_to_a_spool_that_spills_to_disk():
    big = ("Outreach notes. " * 200_000).encode()  # 3.2 MB of text: past the in-memory spool
    with Bundle(zip_of({"CFE-0001/notes.txt": big, "CFE-0002/toolkit.docx": b.plain_docx()})) as bundle:
        with bundle.entry("CFE-0001/notes.txt", DocumentLimits()) as spooled:
            assert spooled.size == len(big)
            assert spooled.stream._rolled  # on disk, not in memory
            assert spooled.stream.read(16) == big[:16]
        assert bundle.budget.unpacked == len(big)  # only that entry was read


def test_the_preview_holds_one_document_at_a_time_not_the_bundle():
    # 20 text files of 1 MB (words, barely compressible past a few times): held whole, they would
    # take 20 MB and more; read one at a time, the peak is that of one file's checks.
    rng = random.Random(15)
    words = ["outreach", "station", "referral", "survivor", "housing", "evening", "support", "worker"]
    base = (" ".join(rng.choice(words) for _ in range(125_000)) + "\n").encode()
    entries = {f"CFE-{n:04d}/notes.txt": f"Notes {n}\n".encode() + base for n in range(1, 21)}
    total = sum(len(data) for data in entries.values())
    source = zip_of(entries)
    rows = [BundleRow(f"CFE-{n:04d}") for n in range(1, 21)]
    tracemalloc.start()
    try:
        with Bundle(source) as bundle:
            report = check_bundle(bundle, bundle.match(rows))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok and len(report.documents) == 20
    assert peak < total / 2, f"peak {peak / 1e6:.1f} MB for {total / 1e6:.1f} MB of documents"
