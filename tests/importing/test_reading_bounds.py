"""Bounds on reading a spreadsheet: small hostile workbooks that would expand
into millions of cells or strings are refused quickly, in little memory, with
a message naming the bound and its limit; real files within the bounds are
read as before. (The speed figure is bench/import_bench.py's; the times here
are only generous checks that nothing runs for minutes.)"""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from config.settings import ImportLimits, load_settings
from importing import ImportRefused, read_table
from tests.support import hostile_xlsx
from tests.support.spreadsheets import csv_bytes, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
HEADERS = ["title", "summary", "themes"]

# Each one: the file, then the words of its refusal (which bound, and its limit).
BOMBS = {
    # 2,000,000 cells that only carry a style.
    "styled empty cells": (
        lambda: hostile_xlsx.styled_empty_cells(20_000, 100),
        "more than 1,000,000 cells (rows times columns, empty formatted cells included); the limit is 1,000,000 "
        "(setting EVIDENCE_IMPORT_MAX_CELLS)",
    ),
    # 10,000,000 cells repeating one string: 200 MB of XML.
    "repeated cells": (
        lambda: hostile_xlsx.repeated_cells(100_000, 100),
        "unpacks to more than 100.0 MB",
    ),
    # 50,000 rows of one cell in column ALK: 50,000,000 cells once each row is filled out to its last cell.
    "far cells": (
        lambda: hostile_xlsx.far_cells(50_000, 999),
        "holds more than 1,000,000 cells",
    ),
    "shared strings": (
        lambda: hostile_xlsx.shared_strings_bomb(3_000_000),
        "table of texts holds more than 1,000,000 entries; the limit is 1,000,000 (setting EVIDENCE_IMPORT_MAX_CELLS)",
    ),
    # The sheet's real size is 20 MB; the archive says 1,000 bytes.
    "lying declared size": (
        lambda: hostile_xlsx.lying_sizes(10_000, 100, declared=1_000),
        "damaged",
    ),
}


def refusal_in_a_fresh_process(tmp_path: Path, content: bytes, name: str = "bomb.xlsx") -> dict:
    """Read the file in a new interpreter: its refusal, CPU time (not wall time: the machine may be
    busy with other work) and peak memory (the process's own high-water resident set size, VmHWM:
    `ru_maxrss` would carry over the parent's peak, since a spawned child starts from the parent's memory)."""
    path = tmp_path / name
    path.write_bytes(content)
    script = (
        "import json, sys, time\n"
        "from importing import ImportRefused, read_table\n"
        "content = open(sys.argv[1], 'rb').read()\n"
        "started = time.process_time()\n"
        "try:\n"
        "    read_table(content, sys.argv[2], max_bytes=10 * 1024 * 1024)\n"
        "    message = None\n"
        "except ImportRefused as exc:\n"
        "    message = str(exc)\n"
        "seconds = time.process_time() - started\n"
        "status = open('/proc/self/status').read()\n"
        "peak = int(status.split('VmHWM:')[1].split()[0]) / 1024\n"
        "print(json.dumps({'message': message, 'seconds': seconds, 'peak_mb': peak}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script, str(path), name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_hostile_workbooks_are_refused_quickly_in_little_memory_naming_the_bound(tmp_path, bomb):
    build, words = BOMBS[bomb]
    content = build()
    assert len(content) < MB
    result = refusal_in_a_fresh_process(tmp_path, content)
    assert result["message"] is not None and words in result["message"]
    assert result["seconds"] < 5, result  # CPU seconds; generous: under one (bench/import_bench.py)
    assert result["peak_mb"] < 300, result


def test_an_ods_whose_mimetype_is_a_bomb_is_recognised_without_unpacking_it(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("mimetype", "w") as part:
            part.write(b"application/vnd.oasis.opendocument.spreadsheet")
            for _ in range(400):
                part.write(b"\0" * MB)
    assert len(buffer.getvalue()) < MB
    result = refusal_in_a_fresh_process(tmp_path, buffer.getvalue(), "sheet.ods")
    assert "OpenDocument spreadsheet" in result["message"]
    assert result["peak_mb"] < 300, result


def test_each_bound_is_its_setting_and_a_file_within_it_is_read():
    rows = [HEADERS] + [[f"t{n}", "s", "1"] for n in range(99)]  # 100 rows of 3 cells
    workbook, text = xlsx_bytes({"S": rows}), csv_bytes(HEADERS, rows[1:])
    for content, name in ((workbook, "f.xlsx"), (text, "f.csv")):
        table = read_table(content, name, max_bytes=MB, limits=ImportLimits(max_cells=300))
        assert [r.cells for r in table.rows] == [tuple(r) for r in rows[1:]]
        with pytest.raises(ImportRefused, match=r"more than 299 cells .* the limit is 299 \(setting"):
            read_table(content, name, max_bytes=MB, limits=ImportLimits(max_cells=299))
    with pytest.raises(
        ImportRefused, match=r"unpacks to more than 1 KB .* \(setting EVIDENCE_IMPORT_MAX_EXPANDED_MB\)"
    ):
        read_table(workbook, "f.xlsx", max_bytes=MB, limits=ImportLimits(max_expanded_bytes=1024))
    with pytest.raises(ImportRefused, match=r"took longer than 1e-09 seconds, the limit.*EVIDENCE_IMPORT_MAX_SECONDS"):
        read_table(workbook, "g.xlsx", max_bytes=MB, limits=ImportLimits(max_seconds=1e-9))
    with pytest.raises(ImportRefused, match="took longer than"):
        read_table(text, "g.csv", max_bytes=MB, limits=ImportLimits(max_seconds=1e-9))


def test_the_settings_give_the_limits():
    settings = load_settings(
        {
            "EVIDENCE_DEMO": "1",
            "EVIDENCE_IMPORT_MAX_EXPANDED_MB": "7",
            "EVIDENCE_IMPORT_MAX_CELLS": "1234",
            "EVIDENCE_IMPORT_MAX_SECONDS": "9",
            "EVIDENCE_DATA_DIR": "/tmp/evidence-settings-test",
        },
        secrets={},
    )
    assert settings.import_limits == ImportLimits(
        max_bytes=settings.max_upload_bytes, max_expanded_bytes=7 * MB, max_cells=1234, max_seconds=9
    )
    defaults = ImportLimits()
    # Far beyond a real form export: 5,000 rows of 100 columns.
    assert defaults.max_cells >= 2 * 5_000 * 100 and defaults.max_expanded_bytes >= 50 * MB


def test_a_real_form_export_sized_workbook_is_read_within_the_default_bounds():
    rows = [[f"h{c}" for c in range(100)]] + [[f"r{r}c{c}" for c in range(100)] for r in range(3_000)]
    table = read_table(xlsx_bytes({"Responses": rows}), "export.xlsx", max_bytes=10 * MB)
    assert len(table.rows) == 3_000 and table.rows[-1].cells[99] == "r2999c99"


def test_a_styles_part_with_too_many_entries_is_refused_before_openpyxl_parses_it_whole(tmp_path):
    from importing.workbooks import MAX_PART_ELEMENTS

    small = zipfile.ZipFile(io.BytesIO(hostile_xlsx.styled_empty_cells(1, 1)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in small.infolist():
            data = small.read(info)
            if info.filename == "xl/styles.xml":
                data = data.replace(
                    b"</styleSheet>", b"<extra>" + b"<x/>" * MAX_PART_ELEMENTS + b"</extra></styleSheet>"
                )
            archive.writestr(info.filename, data)
    assert len(buffer.getvalue()) < MB
    result = refusal_in_a_fresh_process(tmp_path, buffer.getvalue())
    assert f"part xl/styles.xml holds more than {MAX_PART_ELEMENTS:,} entries" in result["message"]
    assert result["seconds"] < 5 and result["peak_mb"] < 300, result
    # A part openpyxl does not read (here a calculation chain) is only counted in the unpacked size.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in small.infolist():
            archive.writestr(info.filename, small.read(info))
        archive.writestr("xl/calcChain.xml", b"<calcChain>" + b'<c r="A1"/>' * MAX_PART_ELEMENTS + b"</calcChain>")
    with pytest.raises(ImportRefused, match="header row but no submissions"):
        read_table(buffer.getvalue(), "chain.xlsx", max_bytes=MB)
