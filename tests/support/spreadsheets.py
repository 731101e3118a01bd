"""Spreadsheet files for import tests: CSV in any encoding and XLSX workbooks,
plus a realistic online-form export whose headers are nothing like the
template's."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from importing import FIELD_NAMES

# An online form's export: its own headers, its own wording of the options.
FORM_HEADERS = [
    "Timestamp",
    "Email address",
    "Your name",
    "Name of your organisation",
    "Title of the evidence",
    "Please describe the evidence: what it is, what it does, what it found",
    "Which theme does your evidence address?",
    "Forms of exploitation",
    "Where in the UK?",
    "Would you like to present at the conference?",
    "Do you wish to remain anonymous?",
]
FORM_ROWS = [
    [
        "05/07/2021 09:14:22",
        "priya@northbridge.example",
        "Priya Demo-Dhillon",
        "Northbridge Children's Services",
        "Contextual safeguarding in parks",
        "A partnership that maps where children are exploited.\nSecond line of the summary.",
        "Responses to the sources of harm to children;",
        "Criminal exploitation (including county lines); Sexual exploitation;",
        "England",
        "Online",
        "No",
    ],
    [
        "06/07/2021 14:30",
        "rhys@pennmawr.example",
        "Rhys Demo-Evans",
        "Pennmawr Youth Trust",
        "Advocacy for young people in care",
        "Independent advocates for children at risk.",
        "Responses supporting individuals, families and groups affected by harm",
        "Forced labour",
        "Wales",
        "In person",
        "No",
    ],
    [
        "07/07/2021",
        "",
        "",
        "Castlewick Survivors' Collective",
        '=HYPERLINK("http://evil.example","Click")',
        "A survivor-led programme; the £ sign and “quotes” survive.",
        "Sources of harm, Support",
        "",
        "UK-wide",
        "Either",
        "Yes",
    ],
]


def csv_bytes(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    delimiter: str = ",",
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """A workbook with the given sheets; strings starting with "=" stay text."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_row(**values: str) -> list[str]:
    """One row of the template, in its column order."""
    return [values.get(name, "") for name in FIELD_NAMES]


def template_csv(rows: Sequence[dict[str, str]], **kwargs) -> bytes:
    return csv_bytes(list(FIELD_NAMES), [template_row(**r) for r in rows], **kwargs)


def valid_row(n: int = 1, **overrides: str) -> dict[str, str]:
    """A valid template row (distinct per `n`)."""
    row = {
        "reference": f"CFE-{n:04d}",
        "title": f"Evidence number {n}",
        "summary": f"What project {n} is, does and found.",
        "themes": "sources_of_harm",
        "organisation": f"Organisation {n}",
        "contact_name": f"Contact {n}",
        "contact_email": f"contact{n}@example.org",
        "anonymous": "no",
        "exploitation_types": "Forced labour; Sexual exploitation",
        "nation": "England",
        "received_at": "2021-07-05",
    }
    row.update(overrides)
    return row


def xlsx_workbook(
    rows: Sequence[Sequence[object]],
    *,
    title: str = "Responses",
    merges: Sequence[str] = (),
    formulas: dict[str, str] | None = None,
    saved: dict[str, tuple[str, str]] | None = None,
) -> bytes:
    """A one-sheet workbook as a form tool or a spreadsheet saves it: `merges`
    ("A1:C1"), real formula cells (`formulas`: "B7" -> "SUM(A1:A3)"), and the
    results a spreadsheet saves with them (`saved`: "B7" -> (type, value),
    type "n" for a number, "str" for text, "e" for an error). openpyxl saves
    no results, so they are written into the sheet's XML afterwards."""
    import re
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value).data_type = "s" if isinstance(value, str) else "n"
    for coordinate, formula in (formulas or {}).items():
        sheet[coordinate] = f"={formula}"
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not saved:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                for coordinate, (kind, value) in saved.items():
                    data, n = re.subn(
                        rf'<c r="{coordinate}"( [^>]*)?><f>(.*?)</f><v\s*/?>(</v>)?'.encode(),
                        rf'<c r="{coordinate}" t="{kind}"><f>\2</f><v>{value}</v>'.encode(),
                        data,
                    )
                    assert n == 1, coordinate
            target.writestr(info, data)
    return out.getvalue()
