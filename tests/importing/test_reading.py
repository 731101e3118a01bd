"""Reading files: encodings, formats, sheets, and every kind of unreadable file
refused with a plain message."""

import os
import random

import pytest

from importing import ImportRefused, read_table
from importing.reading import cell_text, column_letter
from tests.support.spreadsheets import csv_bytes, xlsx_bytes, xlsx_workbook

MB = 1024 * 1024
HEADERS = ["title", "summary", "themes"]
TEXT = "£50 for Zoë’s “café” – naïve Łukasz, Róisín"


def read(content: bytes, name: str = "file.csv", **kwargs):
    return read_table(content, name, max_bytes=kwargs.pop("max_bytes", 10 * MB), **kwargs)


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8 with BOM"), ("cp1252", False, "Windows-1252")],
)
def test_every_character_survives_each_encoding(encoding, bom, expected):
    # Windows-1252 has no Ł: the rest of the same text
    text = "£50 for Zoë’s “café” – naïve" if encoding == "cp1252" else TEXT
    table = read(csv_bytes(HEADERS, [[text, "s", "1"]], encoding=encoding, bom=bom))
    assert table.encoding == expected
    assert table.headers == tuple(HEADERS)  # the BOM is not part of the first header
    assert table.rows[0].cells[0] == text


def test_windows_1252_with_capitals_before_quotes_is_still_windows_1252():
    text = "CAFÉ’S menu: crème brûlée, naïve façade, Zoë, £5"  # É’ looks like one UTF-8 character
    table = read(csv_bytes(HEADERS, [[text, "s", "1"]], encoding="cp1252"))
    assert (table.encoding, table.rows[0].cells[0]) == ("Windows-1252", text)


def test_a_file_mixing_utf8_and_windows_1252_is_refused_rather_than_garbled():
    content = csv_bytes(HEADERS, [["Zoë’s café", "s", "1"]]) + "£5 typed elsewhere,s,1\r\n".encode("cp1252")
    with pytest.raises(ImportRefused, match="mixes two kinds of text encoding"):
        read(content)


def test_utf16_with_bom_is_read():
    table = read(csv_bytes(HEADERS, [[TEXT, "s", "1"]], encoding="utf-16"))
    assert table.rows[0].cells[0] == TEXT


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-16-le", "UTF-16 (little-endian, no byte-order mark)"),
        ("utf-16-be", "UTF-16 (big-endian, no byte-order mark)"),
        ("utf-32-le", "UTF-32 (little-endian, no byte-order mark)"),
        ("utf-32-be", "UTF-32 (big-endian, no byte-order mark)"),
        ("utf-32", "UTF-32"),  # with a byte-order mark (FF FE 00 00 also starts UTF-16's)
    ],
)
def test_utf16_and_utf32_without_a_byte_order_mark_are_read(codec, expected):
    table = read(csv_bytes(HEADERS, [[TEXT, "s", "1"], ["second", "s", "2"]], encoding=codec))
    assert table.encoding == expected
    assert table.headers == tuple(HEADERS)
    assert [r.cells for r in table.rows] == [(TEXT, "s", "1"), ("second", "s", "2")]


def test_odd_length_text_with_zero_bytes_is_still_binary_data():
    content = "title,summary,themes\r\nt,s,1\r\n".encode("utf-16-le") + b"\x01"
    with pytest.raises(ImportRefused, match="binary data"):
        read(content)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_recognised(delimiter):
    table = read(csv_bytes(HEADERS, [["a, with comma", "b; with semicolon", "1"]], delimiter=delimiter))
    assert table.delimiter == delimiter
    assert table.rows[0].cells == ("a, with comma", "b; with semicolon", "1")


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_are_counted():
    content = b"\r\n" + csv_bytes(HEADERS, [["a", "line 1\nline 2", "1"], ["", "", ""], [",", "", ""], ["b", "s", "2"]])
    table = read(content)
    assert table.header_row == 2
    assert [r.number for r in table.rows] == [3, 5, 6]
    assert table.rows[0].cells[1] == "line 1\nline 2"
    assert table.blank_rows == 1


def test_trailing_blank_rows_are_not_counted():
    table = read(csv_bytes(HEADERS, [["a", "s", "1"], ["", "", ""], ["", "", ""]]))
    assert table.blank_rows == 0
    assert len(table.rows) == 1


def test_short_rows_are_padded_and_extra_cells_are_kept_for_the_problem_table():
    table = read(b"title,summary,themes\r\na\r\nb,s,1,surplus,\r\nc,s,1,,\r\n")
    assert table.rows[0].cells == ("a", "", "")
    assert table.rows[1].extra == ("surplus",)
    assert table.rows[2].extra == ()


def test_unnamed_and_repeated_headers_get_distinct_names():
    table = read(b"title,,Email,email,\r\nt,x,a@b.org,c@d.org,\r\n")
    assert table.headers == ("title", "(column B)", "Email", "email (column D)")


def test_formula_like_cells_are_kept_as_typed():
    cells = ["=SUM(A1)", "+44 20 7946 0000", "-5", "@cmd"]
    table = read(csv_bytes(["a", "b", "c", "d"], [cells]))
    assert list(table.rows[0].cells) == cells


def test_xlsx_first_sheet_by_default_and_any_sheet_by_name():
    content = xlsx_bytes(
        {
            "Responses": [HEADERS, ["first", "s", "1"]],
            "Second": [[None], HEADERS, ["second", "s", 2], [None, None, None], ["third", "s", 1.0]],
        }
    )
    first = read(content, "book.xlsx")
    assert (first.sheet, first.sheets) == ("Responses", ("Responses", "Second"))
    assert first.rows[0].cells[0] == "first"
    second = read(content, "book.xlsx", sheet="Second")
    assert second.header_row == 2
    assert [(r.number, r.cells) for r in second.rows] == [(3, ("second", "s", "2")), (5, ("third", "s", "1"))]
    assert second.blank_rows == 1


def test_xlsx_formula_cells_give_their_saved_result_never_their_text():
    content = xlsx_workbook(
        [HEADERS, [None, "s", None], ["t", "s", "1"]],
        formulas={"A2": 'UPPER("t")&" report"', "C2": "1+0", "C3": "C2"},
        saved={"A2": ("str", "T report"), "C2": ("n", "1")},
    )
    with pytest.raises(ImportRefused) as refused:  # C3 has no saved result
        read(content, "f.xlsx")
    assert "Responses!C3" in str(refused.value) and "Responses!A2" not in str(refused.value)
    content = xlsx_workbook(
        [HEADERS, [None, "s", None]],
        formulas={"A2": 'UPPER("t")&" report"', "C2": "1+0"},
        saved={"A2": ("str", "T report"), "C2": ("n", "1")},
    )
    assert read(content, "f.xlsx").rows[0].cells == ("T report", "s", "1")


def test_xlsx_formulas_without_a_saved_result_or_with_an_error_are_refused_naming_the_cells():
    rows = [HEADERS, [None, "s", "1"], ["t", None, "1"], ["u", "s", "1"]]
    content = xlsx_workbook(
        rows, formulas={"A2": "SUM(A1:A3)", "B3": "B2", "C4": "1/0"}, saved={"C4": ("e", "#DIV/0!")}
    )
    with pytest.raises(ImportRefused) as refused:
        read(content, "f.xlsx")
    message = str(refused.value)
    assert "Responses!A2, Responses!B3, Responses!C4" in message
    assert "never imported as text" in message and "SUM" not in message


def test_a_group_header_row_of_merged_cells_above_the_headers_is_found():
    # Microsoft-Forms-like: row 1 groups the questions (merged across), row 2 holds the real headers; the
    # reference is merged down over both rows.
    rows = [
        ["Reference", "About the evidence", None, None, "About you"],
        [None, "title", "summary", "themes", "Name"],
        ["CFE-1", "t", "s", "1", "Ann"],
        ["CFE-2", "u", "s", "2", "Bob"],
    ]
    content = xlsx_workbook(rows, merges=["B1:D1", "A1:A2"])
    table = read(content, "f.xlsx")
    assert table.headers == ("Reference", "title", "summary", "themes", "Name")
    assert (table.header_row, table.header_unsure) == (2, False)
    assert [r.number for r in table.rows] == [3, 4]
    assert table.rows[0].cells == ("CFE-1", "t", "s", "1", "Ann")


def test_a_merged_header_cell_names_every_column_it_spans():
    rows = [["title", "summary", "Themes", None], ["t", "s", "1", "2"], ["u", "s", "2", ""]]
    table = read(xlsx_workbook(rows, merges=["C1:D1"]), "f.xlsx")
    assert table.headers == ("title", "summary", "Themes", "Themes (column D)")
    assert [r.cells[3] for r in table.rows] == ["2", ""]


def test_a_sparse_first_row_is_guessed_as_a_group_header_and_the_person_can_pick_the_header_row():
    content = b"About the evidence,,,About you\r\ntitle,summary,themes,Name\r\nt,s,1,Ann\r\nu,s,2,Bob\r\n"
    table = read(content)
    assert (table.header_row, table.header_unsure, table.headers) == (2, True, ("title", "summary", "themes", "Name"))
    assert table.header_choices == (1, 2, 3, 4)
    picked = read(content, header_row=1)
    assert (picked.header_row, picked.header_unsure) == (1, False)
    assert picked.headers[0] == "About the evidence" and len(picked.rows) == 3
    with pytest.raises(ImportRefused, match="Row 9 of file is empty or beyond its end"):
        read(content, header_row=9)


def test_a_full_first_row_stays_the_header():
    table = read(csv_bytes(HEADERS, [["t", "s", "1"], ["u", "s", "2"]]))
    assert (table.header_row, table.header_unsure) == (1, False)


def test_workbook_cells_become_the_text_a_person_sees():
    import datetime as dt

    assert cell_text(dt.datetime(2021, 7, 5)) == "2021-07-05"
    assert cell_text(dt.datetime(2021, 7, 5, 9, 30)) == "2021-07-05 09:30:00"
    assert cell_text(42.0) == "42"
    assert cell_text(0.5) == "0.5"
    assert cell_text(True) == "TRUE"
    assert cell_text(None) == ""
    assert column_letter(0) == "A" and column_letter(27) == "AB"


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "empty.csv", "empty"),
        (b"\xef\xbb\xbf\r\n  \r\n", "blank.csv", "empty"),
        (b",,,\r\n,,\r\n", "commas.csv", "empty"),
        (b"title,summary,themes\r\n", "header.csv", "no submissions"),
        (b"title,summary,themes\r\n,,\r\n\r\n", "header.csv", "no submissions"),
        (b"title,summary,themes\r\nt,s,1\r\n", "renamed.xlsx", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls", "old-style Excel"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "zip archive or a damaged workbook"),
        (bytes(range(256)) * 20, "garbage.csv", "binary data"),
        (b"title,summary\r\n\x00\x01\x02\x03", "nul.csv", "binary data"),
    ],
    ids=[
        "empty",
        "blank",
        "only-commas",
        "header-only",
        "header-and-blanks",
        "csv-renamed-xlsx",
        "xls",
        "bad-zip",
        "garbage",
        "nul",
    ],
)
def test_unreadable_files_are_refused_in_plain_words(content, name, words):
    with pytest.raises(ImportRefused) as refused:
        read(content, name)
    message = str(refused.value)
    assert words in message
    assert "Traceback" not in message and "Error" not in message


def test_random_binary_files_are_refused():
    rng = random.Random(7)
    for _ in range(20):
        with pytest.raises(ImportRefused):
            read(bytes(rng.getrandbits(8) for _ in range(2000)), "random.csv")
    with pytest.raises(ImportRefused):
        read(os.urandom(5000), "random.xlsx")


def test_workbook_renamed_csv_is_refused():
    content = xlsx_bytes({"S": [HEADERS, ["t", "s", "1"]]})
    with pytest.raises(ImportRefused, match=r"named \.csv but it is an Excel workbook"):
        read(content, "book.csv")


def test_empty_sheet_and_unknown_sheet_name_are_refused_with_the_sheets_listed():
    content = xlsx_bytes({"Empty": [], "Data": [HEADERS, ["t", "s", "1"]]})
    with pytest.raises(ImportRefused, match="empty") as refused:
        read(content, "book.xlsx")
    assert refused.value.sheets == ("Empty", "Data")
    with pytest.raises(ImportRefused, match="no sheet called “Nope”") as refused:
        read(content, "book.xlsx", sheet="Nope")
    assert refused.value.sheets == ("Empty", "Data")
    assert read(content, "book.xlsx", sheet="Data").rows[0].cells[0] == "t"


def test_file_over_the_limit_is_refused_before_reading():
    content = csv_bytes(HEADERS, [["x" * 1000, "s", "1"]] * 20)
    with pytest.raises(ImportRefused, match="largest file that can be imported is 10 KB"):
        read(content, max_bytes=10 * 1024)
    assert read(content, max_bytes=len(content)).rows


def test_files_far_too_long_or_wide_are_refused_before_they_fill_the_memory(monkeypatch):
    from importing import reading

    long = b"title,summary,themes\r\n" + b"t,s,1\r\n" * reading.MAX_ROWS
    with pytest.raises(ImportRefused, match="more than 200,000 rows"):
        read(long)
    wide = csv_bytes([f"c{i}" for i in range(1001)], [["x"] * 1001])
    with pytest.raises(ImportRefused, match="1,001 cells"):
        read(wide)
    # The same limit in a workbook, counted before it is parsed (lowered here: 200,000 rows take long to
    # write); the workbook as a whole is refused, so no other sheet is offered.
    monkeypatch.setattr(reading, "MAX_ROWS", 50)
    with pytest.raises(ImportRefused, match="A sheet of this workbook has more than 50 rows") as refused:
        read(xlsx_bytes({"S": [HEADERS] + [["t", "s", "1"]] * 60, "T": [HEADERS]}), "f.xlsx")
    assert refused.value.sheets == ()


def test_the_same_upload_is_read_once_per_sheet():
    content = xlsx_bytes({"A": [HEADERS, ["a", "s", "1"]], "B": [HEADERS, ["b", "s", "1"]]})
    first = read(content, "book.xlsx")
    assert read(content, "book.xlsx") is first
    other = read(content, "book.xlsx", sheet="B")
    assert other is not first and other.rows[0].cells[0] == "b"
    with pytest.raises(ImportRefused, match="largest file"):  # the limit is checked before the kept table is used
        read(content, "book.xlsx", max_bytes=100)
