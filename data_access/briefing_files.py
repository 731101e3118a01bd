"""The briefing as a file: made from `data_access.briefing.gather`, rendered by `briefing`, audit-logged.

`make_briefing` reads the content (one read-only unit of work), draws the
figures and renders HTML or PDF outside any transaction (that takes seconds, and
no write lock is held meanwhile). `record_briefing` writes the audit entry
(`export.briefing`: file, format, choices, size and the SHA-256 of the very bytes)
in the caller's unit of work; a file leaves only after its entry is committed:
the Exports page's button (`ui.briefing`) and `write_briefing`, for
`manage.py briefing`, which removes the file again if the commit fails.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from briefing.content import FIGURE_SECTIONS
from briefing.figures import FigureError, drawer, to_svg
from briefing.pdf import html_to_pdf
from briefing.render import render_html
from config.call_config import CallConfig
from data_access import audit, audit_actions
from data_access.briefing import BriefingError, BriefingOptions, gather
from data_access.db import Database
from formats.csv_export import export_filename
from scoring import Calibration

__all__ = ["BriefingError", "BriefingFile", "BriefingOptions", "make_briefing", "write_briefing"]
FORMATS = {"pdf": "application/pdf", "html": "text/html"}


@dataclass(frozen=True)
class BriefingFile:
    content: bytes
    filename: str
    mime: str
    detail: dict[str, Any]


def briefing_filename(config: CallConfig, options: BriefingOptions, fmt: str, today: dt.date | None = None) -> str:
    return export_filename(config.call_id, "briefing" if options.final else "briefing-draft", today, ext=fmt)


def make_briefing(
    db: Database, *, config: CallConfig, options: BriefingOptions, fmt: str, calibration: Calibration | None = None
) -> BriefingFile:
    """The briefing file (no audit entry yet: `record_briefing`). BriefingError: bad choices, or the
    figures could not be drawn; nothing was made."""
    if fmt not in FORMATS:
        raise BriefingError(f"Unknown format {fmt!r}: choose pdf or html.")
    try:
        # Chromium starts while the content is gathered (only when a chosen section has figures).
        with drawer() if set(options.sections) & FIGURE_SECTIONS else contextlib.nullcontext() as figures:
            with db.read() as session:
                content = gather(session, config=config, options=options, calibration=calibration)
            specs = [f.spec for f in content.figures]
            svgs = figures.draw(specs) if figures is not None else to_svg(specs)
    except FigureError as exc:
        raise BriefingError(str(exc)) from None
    html = render_html(content, svgs)
    data = html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
    detail = {
        "format": fmt,
        "sections": list(options.sections),
        "line_up": options.line_up,
        "reviewed_only": options.reviewed_only,
        "final": options.final,
        "figures": len(svgs),
    }
    return BriefingFile(data, briefing_filename(config, options, fmt), FORMATS[fmt], detail)


def record_briefing(session: Session, *, actor: str, file: BriefingFile, via: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=audit_actions.export_action("briefing"),
        entity="export",
        entity_id="briefing",
        new={"file": file.filename, "bytes": len(file.content), "sha256": hashlib.sha256(file.content).hexdigest()}
        | file.detail,
        detail=via,
    )


def write_briefing(
    db: Database, config: CallConfig, options: BriefingOptions, *, fmt: str, out: Path, actor: str = "manage.py"
) -> tuple[BriefingFile, Path]:
    """`manage.py briefing`: write the briefing to the new file `out` (or into the folder `out`, under
    the usual name) with its audit entry, or nothing at all (BriefingError says why)."""
    file = make_briefing(db, config=config, options=options, fmt=fmt)
    target = out / file.filename if out.is_dir() else out
    written: Path | None = None
    try:
        with db.write() as session:
            try:
                with target.open("xb") as handle:
                    written = target
                    handle.write(file.content)
            except FileExistsError:
                raise BriefingError(f"{target} exists; choose a new file name.") from None
            except OSError as exc:
                raise BriefingError(f"Cannot write {target}: {exc.strerror}.") from None
            record_briefing(session, actor=actor, file=file, via=f"manage.py briefing {target}")
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return dataclasses.replace(file, filename=target.name), target
