"""A ZIP of documents beside an import is matched to its rows by folder or by
the file-name column; traversal and junk never match."""

from __future__ import annotations

import pytest

from documents.bundle import BundleRow, match_bundle, split_filenames
from documents.errors import DocumentRefused

ROWS = [BundleRow("CFE-0001"), BundleRow("CFE-0002"), BundleRow("CFE-0003")]


def test_files_in_a_folder_named_after_the_reference_match_its_row():
    result = match_bundle(["CFE-0001/report.pdf", "CFE-0001/annex.docx", "CFE-0002/slides.pptx"], ROWS)
    assert result.matched == (
        ("CFE-0001", "CFE-0001/report.pdf"),
        ("CFE-0001", "CFE-0001/annex.docx"),
        ("CFE-0002", "CFE-0002/slides.pptx"),
    )
    assert result.rows_without_files == ("CFE-0003",)
    assert result.unmatched_files == () and result.clean


def test_the_nearest_folder_named_after_a_reference_decides_and_case_does_not_matter():
    result = match_bundle(["evidence/cfe-0002/report.pdf", "CFE-0001/cfe-0003/x.pdf"], ROWS)
    assert result.matched == (("CFE-0002", "evidence/cfe-0002/report.pdf"), ("CFE-0003", "CFE-0001/cfe-0003/x.pdf"))


def test_the_file_name_column_matches_by_name_or_by_path():
    rows = [
        BundleRow("CFE-0001", split_filenames("Report.PDF; annex.docx")),
        BundleRow("CFE-0002", ("misc/slides.pptx",)),
    ]
    result = match_bundle(["report.pdf", "sub/annex.docx", "misc/slides.pptx", "stray.txt"], rows)
    assert result.matched == (
        ("CFE-0001", "report.pdf"),
        ("CFE-0001", "sub/annex.docx"),
        ("CFE-0002", "misc/slides.pptx"),
    )
    assert result.unmatched_files == ("stray.txt",)
    assert result.missing == () and result.rows_without_files == ()


def test_a_name_two_rows_list_is_ambiguous_and_goes_to_neither():
    rows = [BundleRow("CFE-0001", ("report.pdf",)), BundleRow("CFE-0002", ("report.pdf",))]
    result = match_bundle(["report.pdf"], rows)
    assert result.ambiguous == (("report.pdf", ("CFE-0001", "CFE-0002")),)
    assert result.matched == () and not result.clean
    assert result.rows_without_files == ("CFE-0001", "CFE-0002")


def test_a_folder_and_a_file_name_column_that_disagree_are_ambiguous():
    rows = [BundleRow("CFE-0001"), BundleRow("CFE-0002", ("report.pdf",))]
    result = match_bundle(["CFE-0001/report.pdf"], rows)
    assert result.ambiguous == (("CFE-0001/report.pdf", ("CFE-0001", "CFE-0002")),)


def test_listed_names_the_zip_does_not_hold_are_reported():
    rows = [BundleRow("CFE-0001", ("report.pdf", "gone.docx"))]
    result = match_bundle(["report.pdf"], rows)
    assert result.missing == (("CFE-0001", "gone.docx"),)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/passwd", "climbs out"),
        ("CFE-0001/../../x.pdf", "climbs out"),
        ("..\\windows\\x.pdf", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("C:/Users/x.pdf", "absolute path"),
        ("C:\\Users\\x.pdf", "absolute path"),
        ("CFE-0001/a\x00.pdf", "NUL"),
        ("CFE-0001/" + "a" * 600 + ".pdf", "longer than"),
    ],
)
def test_names_that_could_escape_a_folder_are_refused_and_never_matched(name, why):
    result = match_bundle([name, "CFE-0001/report.pdf"], ROWS)
    assert [n for n, _ in result.refused] == [name]
    assert why in result.refused[0][1]
    assert result.matched == (("CFE-0001", "CFE-0001/report.pdf"),)
    assert not result.clean


def test_a_name_twice_is_refused():
    result = match_bundle(["CFE-0001/report.pdf", "CFE-0001/Report.pdf"], ROWS)
    assert result.refused == (("CFE-0001/Report.pdf", "it is in the ZIP twice"),)


def test_folders_mac_and_windows_leftovers_and_dot_files_are_ignored():
    names = ["CFE-0001/", "__MACOSX/CFE-0001/._report.pdf", "CFE-0001/.DS_Store", "CFE-0001/Thumbs.db", ".hidden/x.pdf"]
    result = match_bundle([*names, "CFE-0001/report.pdf"], ROWS)
    assert result.ignored == tuple(names)
    assert result.matched == (("CFE-0001", "CFE-0001/report.pdf"),)


def test_a_mac_decomposed_name_matches_the_typed_one():
    decomposed = "CFE-0001/re\u0301sume\u0301.pdf"
    result = match_bundle([decomposed], [BundleRow("CFE-0002", ("résumé.pdf",))])
    assert result.matched == (("CFE-0002", decomposed),)
    only_column = match_bundle(["re\u0301sume\u0301.pdf"], [BundleRow("CFE-0002", ("résumé.pdf",))])
    assert only_column.matched == (("CFE-0002", "re\u0301sume\u0301.pdf"),)


def test_too_many_entries_are_refused():
    with pytest.raises(DocumentRefused) as caught:
        match_bundle([f"f{i}.pdf" for i in range(11)], ROWS, max_entries=10)
    assert caught.value.reason == "too_many_files" and "Split the import" in caught.value.message
