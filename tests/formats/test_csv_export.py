"""The one CSV writer: Excel-friendly, RFC 4180, formulas neutralised."""

import csv
import datetime as dt
import io

import pytest

from formats.csv_export import BOM, export_filename, neutralise, slug, to_csv_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tindent", "'\tindent"),
        ("\rcarriage", "'\rcarriage"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_written_file_has_bom_crlf_quoting_and_neutralised_cells():
    rows = [
        {
            "name": "Zoë Łukasz-Ó'Brien",
            "note": 'says "hi", then\nleaves',
            "formula": "=1+1",
            "score": -1.5,
            "count": 3,
            "when": dt.datetime(2021, 9, 6, 10, 30),
            "tags": ["=a", "b"],
            "flag": True,
            "missing": None,
        },
    ]
    fields = ["name", "note", "formula", "score", "count", "when", "tags", "flag", "missing"]
    data = to_csv_bytes(fields, rows)
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == fields
    assert parsed[1] == [
        "Zoë Łukasz-Ó'Brien",
        'says "hi", then\nleaves',
        "'=1+1",
        "-1.5",
        "3",
        "2021-09-06 10:30",
        "'=a; b",
        "yes",
        "",
    ]


def test_header_cells_are_neutralised_too():
    text = to_csv_bytes(["=evil"], [["x"]]).decode("utf-8-sig")
    assert text.splitlines()[0] == "'=evil"


def test_export_filename_carries_call_and_date():
    assert (
        export_filename("iasc-cfe-2021", "presenters", dt.date(2026, 11, 30))
        == "iasc-cfe-2021_presenters_2026-11-30.csv"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Plan A (final)", "plan-a-final"),
        ("Llŷr's Łódź line-up", "llyr-s-odz-line-up"),
        ("../../etc/passwd", "etc-passwd"),
        ("!!!", "untitled"),
        ("x" * 60, "x" * 40),
    ],
)
def test_slug_makes_a_safe_file_name_part(text, expected):
    assert slug(text) == expected
