"""The one CSV writer: Excel-friendly, RFC 4180, formulas neutralised."""

import csv
import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- Formula triggers after leading whitespace or control characters (issue 12, item 6) ---------------------------

TRIGGERS = "=+-@"


def _skipped_before_a_trigger(ch: str) -> bool:
    """What a spreadsheet may skip before it reads a formula: whitespace and control or format characters."""
    import unicodedata

    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def _is_formula_like(text: str) -> bool:
    if text[:1] in ("\t", "\r"):
        return True  # OWASP: tab- and carriage-return-led cells, whatever follows
    rest = text
    while rest and _skipped_before_a_trigger(rest[0]):
        rest = rest[1:]
    return rest[:1] in tuple(TRIGGERS)


@pytest.mark.parametrize(
    "value",
    [
        " =1+1",
        "  +44 20",
        "\n-2",
        "\u00a0@cmd",
        "\u200b=HYPERLINK(1)",
        "\ufeff=1",
        "\x00=1",
        " \t =1",
        "\x0b+1",
        "\uff1d1+1",
        " \uff0bcmd",
        "\uff0d2",
        "\uff20SUM(A1)",
    ],
)
def test_a_trigger_after_leading_whitespace_or_control_characters_is_neutralised(value):
    assert neutralise(value) == "'" + value
    text = to_csv_bytes(["h"], [[value]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == ["'" + value]


@pytest.mark.parametrize("value", [" a=1", "\n1+1", " 'x", "", "   ", "\n", "a\t=1"])
def test_other_cells_after_leading_whitespace_are_unchanged(value):
    assert neutralise(value) == value


_leading = st.text(
    alphabet=st.sampled_from([" ", "\t", "\r", "\n", "\x0b", "\x0c", "\x00", "\x1f", "\u00a0", "\u200b", "\u2028"]),
    max_size=4,
)
_cells = st.one_of(
    st.text(max_size=20),
    st.builds(
        lambda lead, trigger, tail: lead + trigger + tail, _leading, st.sampled_from(TRIGGERS), st.text(max_size=10)
    ),
    st.builds(lambda lead, tail: lead + tail, _leading, st.text(max_size=10)),
)


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(_cells, min_size=1, max_size=4))
def test_formula_like_cells_and_only_those_are_prefixed_and_survive_a_csv_round_trip(cells):
    expected = ["'" + c if _is_formula_like(c) else c for c in cells]
    assert [neutralise(c) for c in cells] == expected
    text = to_csv_bytes([f"c{i}" for i in range(len(cells))], [cells]).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed == [[f"c{i}" for i in range(len(cells))], expected]
