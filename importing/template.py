"""The downloadable template: its columns, and the coded values each accepts.

CSV: the header row alone, plus a second CSV listing the coded values (a CSV
file has one sheet). XLSX: sheet "Submissions" (the header row), sheet
"Codes" (every coded value: column, code, label, other accepted wordings) and
sheet "Columns" (what each column holds). Importing the filled-in workbook
reads its first sheet.
"""

from __future__ import annotations

import io

from config.call_config import CallConfig
from formats.csv_export import neutralise, to_csv_bytes
from importing.fields import CODED_FIELDS, FIELD_NAMES, FIELDS_BY_NAME, NO_WORDS, TEMPLATE_FIELDS, YES_WORDS

CODE_COLUMNS = ["column", "code", "label", "also accepted"]
COLUMN_COLUMNS = ["column", "required", "what it holds"]
MULTI_NOTE = "Several values: separate them with ; or line breaks."


def code_rows(config: CallConfig) -> list[dict[str, str]]:
    rows = []
    for name in CODED_FIELDS:
        for code in config.vocabulary(name).codes:
            rows.append(
                {"column": name, "code": code.id, "label": code.label, "also accepted": "; ".join(code.synonyms)}
            )
    rows.append({"column": "anonymous", "code": "yes", "label": "Yes", "also accepted": "; ".join(YES_WORDS[1:])})
    rows.append({"column": "anonymous", "code": "no", "label": "No", "also accepted": "; ".join(NO_WORDS[1:])})
    return rows


def column_rows() -> list[dict[str, str]]:
    rows = []
    for spec in TEMPLATE_FIELDS:
        meaning = spec.help or spec.label
        if spec.kind in ("codes", "links"):
            meaning = f"{meaning} {MULTI_NOTE}".strip()
        if spec.kind in ("code", "codes"):
            meaning += " Coded: see the Codes sheet."
        rows.append({"column": spec.name, "required": "yes" if spec.required else "", "what it holds": meaning})
    return rows


def template_csv() -> bytes:
    return to_csv_bytes(list(FIELD_NAMES), [])


def codes_csv(config: CallConfig) -> bytes:
    return to_csv_bytes(CODE_COLUMNS, code_rows(config))


def template_xlsx(config: CallConfig) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Submissions"
    sheet.append(list(FIELD_NAMES))
    for i, name in enumerate(FIELD_NAMES, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True)
        width = 60 if name == "summary" else 30 if FIELDS_BY_NAME[name].kind in ("text", "codes") else 18
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    for title, columns, rows in (
        ("Codes", CODE_COLUMNS, code_rows(config)),
        ("Columns", COLUMN_COLUMNS, column_rows()),
    ):
        extra = workbook.create_sheet(title)
        extra.append(columns)
        for row in rows:
            extra.append([neutralise(row[c]) for c in columns])
        for i in range(1, len(columns) + 1):
            extra.cell(row=1, column=i).font = Font(bold=True)
            extra.column_dimensions[extra.cell(row=1, column=i).column_letter].width = 28 if i < 3 else 70
        extra.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
