"""Exports: the presenter list and the scores table, and their audit entries.

Exporters return an `ExportTable` (field names, rows, notes, file name); the
one writer, `formats.csv_export.to_csv_bytes`, makes the file: UTF-8 with a
byte-order mark, RFC 4180 quoting, formula cells neutralised. No export
carries an anonymous contributor's identity (`identity_exportable`), whatever a
saved line-up holds. `record_export` writes the audit entry (who, what, the
file name, the number of rows and the file's SHA-256) for the page's download
button and for `manage.py export-presenters`.

For admin and office; the pages' guard checks the role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.visibility import Viewer, identity_exportable
from config.call_config import CallConfig
from data_access import audit, audit_actions, decisions, lineups
from data_access import auth as auth_da
from data_access.db import Database
from data_access.lineups import SCORE_COLUMN, get_line_up, member_warnings
from data_access.models import Submission
from data_access.submissions import load_submission_frame
from formats.csv_export import export_filename, slug, to_csv_bytes
from scoring.selection import FORMAT_LABELS

SCORE_DECIMALS = 3


@dataclass(frozen=True)
class ExportTable:
    what: str  # "presenters" or "scores"
    field_names: list[str]
    rows: list[dict[str, Any]]
    filename: str
    notes: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)  # for the audit entry
    _csv: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def to_csv(self) -> bytes:
        """The file (written once per table and kept: a table is never changed after it is made)."""
        csv = self._csv
        if csv is None:
            csv = to_csv_bytes(self.field_names, self.rows)
            object.__setattr__(self, "_csv", csv)
        return csv


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value))


def _number(value: Any) -> float | int | None:
    if _missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return round(float(value), SCORE_DECIMALS)


def _flag(value: Any) -> bool:
    return False if _missing(value) else bool(value)


def _labels(config: CallConfig, name: str, codes: Any) -> list[str] | str:
    vocab = config.vocabulary(name)
    if isinstance(codes, str):
        return vocab.label(codes)
    if codes is None or (isinstance(codes, float) and math.isnan(codes)):
        return ""
    return [vocab.label(c) for c in codes]


def _identity(row: Any) -> dict[str, Any]:
    """Organisation and contact, blank for an anonymous submission."""
    if not identity_exportable(anonymous=bool(row["anonymous"])):
        return {"Organisation": None, "Contact name": None, "Contact email": None}
    return {
        "Organisation": row["organisation"],
        "Contact name": row["contact_name"],
        "Contact email": row["contact_email"],
    }


def _score_fields(config: CallConfig) -> list[str]:
    return ["Calibrated score", *(f"{c.label} (mean)" for c in config.criteria), "Reviews"]


def _score_values(config: CallConfig, row: Mapping[str, Any] | None) -> dict[str, Any]:
    """The score columns from one row of `score_submissions` (as a mapping; None: not scored)."""
    row = row or {}
    values = {"Calibrated score": _number(row.get(SCORE_COLUMN)), "Reviews": _number(row.get("n_reviews"))}
    for c in config.criteria:
        values[f"{c.label} (mean)"] = _number(row.get(f"mean_{c.id}"))
    return values


def _score_rows(scores: pd.DataFrame) -> dict[int, dict[str, Any]]:
    """`score_submissions` output as {submission_id: {column: value}}: one pass, no per-row lookups."""
    return {int(i): row for i, row in scores.to_dict("index").items()}


PRESENTER_FIELDS_BEFORE_SCORES = [
    "Position",
    "Reference",
    "Title",
    "Organisation",
    "Contact name",
    "Contact email",
    "Format",
    "Themes",
    "Focus areas",
    "Forms of exploitation",
]

# After the score columns (whose "Reviews" is the number of submitted reviews): today's discussion flag.
PRESENTER_FLAG = "Flagged for discussion"


def presenter_list(
    session: Session, *, config: CallConfig, line_up_id: int, scores: pd.DataFrame, today: dt.date | None = None
) -> ExportTable:
    """The presenter list of a saved line-up, with today's scores; once its presenters are invited,
    also each one's session, its date and time, the format they present in and their reply."""
    # Imported here: data_access.placements builds on this module's ExportTable.
    from data_access.placements import presenter_columns
    from data_access.programme_files import PRESENTER_PROGRAMME_FIELDS

    record = get_line_up(session, line_up_id=line_up_id)
    programme = presenter_columns(session, line_up_id=line_up_id)
    programme_fields = list(PRESENTER_PROGRAMME_FIELDS) if programme else []
    frame = load_submission_frame(session, ids={m.submission_id for m in record.members}).set_index("id")
    score_rows = _score_rows(scores.loc[scores.index.isin([m.submission_id for m in record.members])])
    rows = []
    for m in record.members:
        sub = frame.loc[m.submission_id]
        rows.append(
            {
                "Position": m.position,
                "Reference": m.reference,
                "Title": sub["title"],
                **_identity(sub),
                "Format": FORMAT_LABELS.get(m.format, m.format),
                "Themes": _labels(config, "themes", sub["themes"]),
                "Focus areas": _labels(config, "focus_areas", sub["focus_areas"]),
                "Forms of exploitation": _labels(config, "exploitation_types", sub["exploitation_types"]),
                **_score_values(config, score_rows.get(m.submission_id)),
                PRESENTER_FLAG: _flag((score_rows.get(m.submission_id) or {}).get("flagged")),
                **(programme.get(m.submission_id) or dict.fromkeys(programme_fields)),
            }
        )
    return ExportTable(
        what="presenters",
        field_names=[*PRESENTER_FIELDS_BEFORE_SCORES, *_score_fields(config), PRESENTER_FLAG, *programme_fields],
        rows=rows,
        filename=export_filename(config.call_id, f"presenters-{slug(record.name)}", today),
        notes=tuple(member_warnings(record)),
        detail={"line_up": record.name, "line_up_id": record.id, "version": record.version},
    )


SCORES_FIELDS_BEFORE_SCORES = [
    "Rank",
    "Reference",
    "Title",
    "Organisation",
    "Anonymous",
    "Themes",
    "Focus areas",
    "Forms of exploitation",
    "Sector",
    "Source of evidence",
    "Nation",
    "Stage",
    "Reported impact",
    "Can present",
]
SCORES_FIELDS_AFTER = ["Overall (mean)", "Disagreement", "Flagged for discussion"]
# The panel's current decision and its reason (data_access.decisions; blank when none): typed text,
# neutralised like every cell. "Flagged for discussion" stays the reviewers' disagreement as scored.
SCORES_DECISION_FIELDS = ["Panel decision", "Decision reason"]


def scores_table(
    session: Session, *, config: CallConfig, scores: pd.DataFrame, today: dt.date | None = None
) -> ExportTable:
    """Every scored submission, highest calibrated score first; anonymous ones without organisation."""
    score_rows = _score_rows(scores)
    subs = {int(row["id"]): row for row in load_submission_frame(session, ids=set(score_rows)).to_dict("records")}
    decided = decisions.decisions_for_export(session)
    ordered = sorted(
        (i for i in score_rows if i in subs),
        key=lambda i: (-_sortable(score_rows[i].get(SCORE_COLUMN)), subs[i]["reference"]),
    )
    rows = []
    for rank, sid in enumerate(ordered, start=1):
        sub = subs[sid]
        score_row = score_rows[sid]
        rows.append(
            {
                "Rank": rank,
                "Reference": sub["reference"],
                "Title": sub["title"],
                "Organisation": _identity(sub)["Organisation"],
                "Anonymous": bool(sub["anonymous"]),
                "Themes": _labels(config, "themes", sub["themes"]),
                "Focus areas": _labels(config, "focus_areas", sub["focus_areas"]),
                "Forms of exploitation": _labels(config, "exploitation_types", sub["exploitation_types"]),
                "Sector": _labels(config, "sector", sub["sector"]),
                "Source of evidence": _labels(config, "evidence_source", sub["evidence_source"]),
                "Nation": _labels(config, "nation", sub["nation"]),
                "Stage": _labels(config, "stage", sub["stage"]),
                "Reported impact": _labels(config, "reported_impact", sub["reported_impact"]),
                "Can present": _labels(config, "presentation_preference", sub["presentation_preference"]),
                **_score_values(config, score_row),
                "Overall (mean)": _number(score_row.get("overall_mean")),
                "Disagreement": _number(score_row.get("disagreement")),
                "Flagged for discussion": _flag(score_row.get("flagged")),
                **dict(zip(SCORES_DECISION_FIELDS, decided.get(sid, ("", "")), strict=True)),
            }
        )
    return ExportTable(
        what="scores",
        field_names=[
            *SCORES_FIELDS_BEFORE_SCORES,
            *_score_fields(config),
            *SCORES_FIELDS_AFTER,
            *SCORES_DECISION_FIELDS,
        ],
        rows=rows,
        filename=export_filename(config.call_id, "scores", today),
    )


def scores_table_size(session: Session, *, scores: pd.DataFrame) -> int:
    """How many rows `scores_table` would have for `scores`, without building it: the scored
    submissions that exist."""
    ids = sorted(int(i) for i in scores.index)
    if not ids:
        return 0
    return int(session.scalar(select(func.count(Submission.id)).where(Submission.id.in_(ids))) or 0)


def _sortable(value: Any) -> float:
    number = _number(value)
    return -math.inf if number is None else float(number)


def authorise_download(
    session: Session, *, auth_session_id: int | None, roles: frozenset[str], actor: str, what: str
) -> Viewer | None:
    """The person behind a download, checked at the moment of the click.

    Their sign-in record must still be valid (not signed out, expired,
    deactivated or outdated by a password change) and their role, read from
    the database now, one of `roles`. Otherwise the refusal is logged
    (as `actor`, the name the page was drawn for) and None returned.
    """
    check = (
        auth_da.check_session(session, auth_session_id=auth_session_id)
        if auth_session_id is not None
        else auth_da.SessionCheck(None, "not signed in")
    )
    viewer = check.viewer
    if viewer is not None and viewer.role in roles:
        return viewer
    audit.record_denied(
        session,
        actor=viewer.username if viewer is not None else actor,
        attempted=f"download {what}",
        entity="download",
        entity_id=what,
        detail=f"role {viewer.role}" if viewer is not None else check.reason,
    )
    return None


def record_export(session: Session, *, actor: str, table: ExportTable, content: bytes, via: str) -> None:
    """The audit entry of one export: who, what, where to, how many rows, the file's SHA-256.

    A presenter list is logged against its line-up, so the line-up's history
    shows when it left the app.
    """
    line_up_id = table.detail.get("line_up_id")
    audit.record(
        session,
        actor=actor,
        action=audit_actions.export_action(table.what),
        entity="line_up" if line_up_id is not None else "export",
        entity_id=line_up_id if line_up_id is not None else table.what,
        new={"file": table.filename, "rows": len(table.rows), "sha256": hashlib.sha256(content).hexdigest()}
        | table.detail,
        detail=via,
    )


class ExportRefused(ValueError):
    """A file that cannot be written (nothing was written); the message is for people."""


def write_presenter_list(
    db: Database, *, config: CallConfig, line_up: str, out: Path, actor: str
) -> tuple[ExportTable, Path]:
    """`manage.py export-presenters`: write the presenter list of the saved line-up called
    `line_up` to the new file `out` (or into the folder `out`, under the usual name), in one
    unit of work with its audit entry: if the commit fails, the file is removed again, so no
    export leaves without its entry. The table and the file written; ExportRefused says why
    nothing was written."""
    with db.read() as session:
        line_up_id = lineups.line_up_id_for_name(session, line_up)
        if line_up_id is None:
            names = [s.name for s in lineups.list_line_ups(session)]
            known = f" Saved line-ups: {', '.join(names)}." if names else " No line-up has been saved yet."
            raise ExportRefused(f"There is no saved line-up called {line_up!r}.{known}")
    written: Path | None = None
    try:
        with db.write() as session:
            scores = lineups.current_scores(session, config=config)
            table = presenter_list(session, config=config, line_up_id=line_up_id, scores=scores)
            target = out / table.filename if out.is_dir() else out
            content = table.to_csv()
            try:
                with target.open("xb") as handle:
                    written = target
                    handle.write(content)
            except FileExistsError:
                raise ExportRefused(f"{target} exists; choose a new file name.") from None
            except OSError as exc:
                raise ExportRefused(f"Cannot write {target}: {exc.strerror}.") from None
            record_export(
                session, actor=actor, table=table, content=content, via=f"manage.py export-presenters {target}"
            )
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return table, target
