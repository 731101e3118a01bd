"""The Exports page's briefing: the person's choices, and a download made, checked and audit-logged at the click.

Drawing the page makes nothing. At the click, in Streamlit's worker thread
(`ui.downloads.button`): the person's sign-in record and role are read again
from the database (`data_access.exports.authorise_download`, the Exports page's
roles); the briefing is gathered and rendered (`data_access.briefing_files`,
no transaction held while the figures are drawn); then, in one unit of work, the
role is checked once more and the `export.briefing` entry written, and only
after that commit are the bytes served. A refusal is logged and serves nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from access.visibility import Viewer
from briefing.content import SECTIONS
from config import CallConfig
from data_access.briefing import BriefingOptions
from data_access.briefing_files import FORMATS, briefing_filename, make_briefing, record_briefing
from data_access.db import Database
from data_access.exports import authorise_download
from data_access.lineups import LineUpSummary
from ui import auth, downloads, scores
from ui.exports import DownloadRefused, roles_for

PAGE = "exports"
WHAT = "briefing"
LATEST = "__latest_signed_off__"


def briefing_run(
    db: Database, *, config: CallConfig, options: BriefingOptions, fmt: str, auth_session_id: int | None, actor: str
) -> Callable[[], bytes]:
    """The click's work (runs outside the script run: everything it needs is given here)."""
    roles = roles_for(PAGE)

    def allowed() -> Viewer:
        with db.write() as session:
            current = authorise_download(session, auth_session_id=auth_session_id, roles=roles, actor=actor, what=WHAT)
        if current is None:
            raise DownloadRefused("download of the briefing refused")  # the refusal is in the audit log
        return current

    def run() -> bytes:
        allowed()
        calibration = scores.calibration(db, config)  # Rankings' own, from the shared cache
        file = make_briefing(db, config=config, options=options, fmt=fmt, calibration=calibration)
        with db.write() as session:
            current = authorise_download(session, auth_session_id=auth_session_id, roles=roles, actor=actor, what=WHAT)
            if current is not None:
                record_briefing(session, actor=current.username, file=file, via="Exports page")
        if current is None:
            raise DownloadRefused("download of the briefing refused")
        return file.content

    return run


def briefing_section(db: Database, config: CallConfig, viewer: Viewer, line_ups: list[LineUpSummary]) -> None:
    st.header("The Commissioner's briefing", anchor=False)
    st.caption(
        "One document to hand on: the call and its themes, what came in, the evidence and gap map, the strongest "
        "evidence per focus area, the line-up and programme, the panel's scores and agreement, and a methods annex. "
        "PDF, or a single HTML file that opens offline. Anonymous contributors appear only by title, as "
        "'Anonymous contributor'. Made when you click (it takes a few seconds) and recorded in the audit log."
    )
    sections = st.multiselect(
        "Sections", list(SECTIONS), default=list(SECTIONS), format_func=SECTIONS.get, key="exports.briefing.sections"
    )
    left, middle, right = st.columns(3)
    names = [s.name for s in line_ups]
    line_up = left.selectbox(
        "Line-up",
        [LATEST, *names],
        format_func=lambda n: "The latest signed-off line-up" if n == LATEST else n,
        key="exports.briefing.line_up",
    )
    reviewed_only = middle.toggle("Reviewed submissions only", key="exports.briefing.reviewed")
    final = middle.toggle("Final (no DRAFT watermark)", key="exports.briefing.final")
    fmt = right.radio("Format", list(FORMATS), format_func=str.upper, horizontal=True, key="exports.briefing.format")
    options = BriefingOptions(
        sections=tuple(sections),
        line_up=None if line_up == LATEST else line_up,
        reviewed_only=reviewed_only,
        final=final,
    )
    problems = options.problems()
    if problems:
        st.error(" ".join(problems), icon=":material/error:")
        return
    run = briefing_run(
        db,
        config=config,
        options=options,
        fmt=fmt,
        auth_session_id=st.session_state.get(auth.SESSION_KEY),
        actor=viewer.username,
    )
    file_name = briefing_filename(config, options, fmt)
    downloads.button(
        "Make and download the briefing",
        run,
        file_name=file_name,
        mime=FORMATS[fmt],
        key="exports.briefing.download",
        icon=":material/description:",
        primary=True,
    )
    st.caption(f"{file_name} · {'final' if final else 'marked DRAFT on every page'}.")
