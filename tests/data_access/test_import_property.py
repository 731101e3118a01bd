"""Property: whatever the cells hold, the importer never crashes, and a file
either imports whole or leaves the database exactly as it was (on SQLite,
its own dump compared text for text; on PostgreSQL, every row of every
table)."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import imports
from data_access.models import Submission
from importing import ImportRefused, unmatched_values
from tests.support.dbdump import sqlite_dump, table_contents
from tests.support.importer import apply_file, proposed
from tests.support.spreadsheets import csv_bytes

LIMIT = 1024 * 1024
# Values that import, per column, and odd ones that should be refused in words.
GOOD = {
    "title": ["Evidence", "=SUM(A1)", "  Spaced  ", "@cmd"],
    "summary": ["What it found.", "Line one\nline two", "+44 20 7946 0000", "-5"],
    "themes": ["theme 1", "Sources of harm; Support;", "support_responses"],
    "reference": ["", "", "REF-7"],
    "organisation": ["Org", "Zoë’s £ café"],
    "contact_email": ["", "a@b.example"],
    "nation": ["", "England", "ni"],
    "received_at": ["", "05/07/2021", "2021-07-05T09:30"],
    "anonymous": ["", "yes", "no"],
    "links": ["", "https://a.example; b.pdf"],
}
ODD = ["", "CFE-0001", "not an email", "Narnia", "31/02/2021", "maybe", "\t=1+1", "a,b;c\nd", "\x00", "\x1b[2J"]
COLUMNS = list(GOOD)
odd = st.one_of(st.text(max_size=40), st.sampled_from(ODD))


def cell(column, clean):
    good = st.sampled_from(GOOD[column])
    return good if clean else st.one_of(good, odd)


@st.composite
def files(draw):
    headers = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=len(COLUMNS), unique=True))
    if draw(st.integers(0, 3)):  # mostly files that could import
        headers = [h for h in COLUMNS if h in headers or h in ("title", "summary", "themes", "organisation")]
    clean = draw(st.booleans())  # half the files hold only values that import, half anything at all
    n_rows = draw(st.integers(min_value=1 if clean else 0, max_value=5))
    rows = [[draw(cell(h, clean)) for h in headers] for _ in range(n_rows)]
    kind = draw(st.sampled_from(["utf-8", "utf-8-bom", "cp1252", "xlsx", "utf-8", "xlsx", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300)), draw(st.sampled_from(["f.csv", "f.xlsx"]))
    if kind == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook()
        sheet = workbook.active
        for r in [headers, *rows]:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in r])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue(), "f.xlsx"
    if kind == "cp1252":
        try:
            return csv_bytes(headers, rows, encoding="cp1252"), "f.csv"
        except UnicodeEncodeError:
            pass
    return csv_bytes(headers, rows, bom=kind == "utf-8-bom"), "f.csv"


def snapshot(db):
    return sqlite_dump(db) if db.dialect == "sqlite" else table_contents(db)


@pytest.mark.slow
def test_any_file_imports_whole_or_changes_nothing(db, call_config):
    examples = 60 if db.dialect == "sqlite" else 25

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=files())
    def check(case):
        content, name = case
        before = snapshot(db)
        with db.read() as session:
            count_before = session.scalar(select(func.count(Submission.id)))
        try:
            table, mapping = proposed(content, name, call_config, max_bytes=LIMIT)
            unmatched_values(table, mapping, call_config)
            result = apply_file(
                db, content, name, mapping=mapping, config=call_config, max_bytes=LIMIT, actor="property"
            )
        except (ImportRefused, imports.ImportHasProblems):
            assert snapshot(db) == before
            return
        with db.read() as session:
            count_after = session.scalar(select(func.count(Submission.id)))
        assert count_after == count_before + result.counts["added"]
        if result.batch_id is None:
            assert snapshot(db) == before
            return
        stored = {r.data.reference: r.data.title for r in result.plan.rows if r.action != "unchanged"}
        with db.read() as session:
            titles = dict(
                session.execute(
                    select(Submission.reference, Submission.title).where(Submission.reference.in_(stored))
                ).all()
            )
        assert titles == stored  # every row of the file, as typed (trimmed)

    check()
