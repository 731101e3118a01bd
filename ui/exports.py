"""Download buttons whose file is made, checked and audit-logged at the click.

Nothing is written when the page is drawn. When the person clicks, one unit
of work (`checked`) re-reads their sign-in record and role from the database
(`data_access.exports.authorise_download`), and only then makes the file and
writes its audit entry; the file Streamlit serves is the bytes that entry
describes (SHA-256). A refusal is logged and serves nothing. The button and
the file's short life are `ui.downloads`.

One way to make each kind of button: `export_button` offers a CSV of an
`ExportTable` (`data_access.exports`; written by `formats.csv_export.to_csv_bytes`,
formulas neutralised) that `make(session)` gives at the click, after the check
(a table the page already holds is `lambda _session: table`); `table_download`
(a plain DataFrame, such as the table behind a chart) and `rows_download` (rows
read at the click) are `export_button`s; `checked_button`, under them all, any
other file. Their options are keywords of their own, never passed through to
Streamlit, so that a wrong one fails at the call
(`tests/pages/test_every_download.py` draws every page's buttons and downloads them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from access.visibility import Viewer
from data_access.db import Database
from data_access.exports import ExportTable, authorise_download, record_export
from formats.csv_export import export_filename
from ui import auth, context, downloads
from ui.navigation import PAGES_BY_KEY

CSV_MIME = "text/csv"


class DownloadRefused(Exception):
    """The person may not have this file any more (signed out, deactivated, another role)."""


def roles_for(page: str, roles: Iterable[str] | None = None) -> frozenset[str]:
    """Who may have a file offered on `page`: the page's roles, narrowed to `roles` if given."""
    allowed = PAGES_BY_KEY[page].roles
    return allowed if roles is None else allowed & frozenset(roles)


def checked(
    db: Database,
    *,
    auth_session_id: int | None,
    actor: str,
    roles: frozenset[str],
    what: str,
    build: Callable[[Session, Viewer], bytes],
) -> Callable[[], bytes]:
    """The click's work: check the person behind `auth_session_id` now, then `build(session, viewer)`
    (which writes the audit entry) in the same unit of work, whose commit comes before the file is
    served. Runs outside the script run: everything it needs is given here, while the page is drawn."""

    def run() -> bytes:
        content = None
        with db.write() as session:
            current = authorise_download(session, auth_session_id=auth_session_id, roles=roles, actor=actor, what=what)
            if current is not None:
                content = build(session, current)
        if content is None:
            raise DownloadRefused(f"download of {what} refused")  # the refusal is in the audit log
        return content

    return run


def checked_button(
    label: str,
    build: Callable[[Session, Viewer], bytes],
    *,
    what: str,
    file_name: str,
    mime: str,
    key: str,
    viewer: Viewer,
    page: str,
    roles: Iterable[str] | None = None,
    icon: str | None = None,
    primary: bool = False,
    disabled: bool = False,
    help: str | None = None,
) -> None:
    """A download button of `page` whose file `build` makes at the click, for `roles` (default: the page's)."""
    run = checked(
        context.database(),
        auth_session_id=st.session_state.get(auth.SESSION_KEY),
        actor=viewer.username,
        roles=roles_for(page, roles),
        what=what,
        build=build,
    )
    downloads.button(
        label, run, file_name=file_name, mime=mime, key=key, icon=icon, primary=primary, disabled=disabled, help=help
    )


def export_button(
    make: Callable[[Session], ExportTable],
    *,
    what: str,
    file_name: str,
    label: str,
    key: str,
    viewer: Viewer,
    page: str,
    via: str,
    roles: Iterable[str] | None = None,
    primary: bool = False,
) -> None:
    """A CSV download whose table `make(session)` gives at the click, after the check, in the click's unit of
    work (drawing the page builds nothing); `what` and `file_name` are the table's own."""

    def build(session: Session, current: Viewer) -> bytes:
        export = make(session)
        content = export.to_csv()
        record_export(session, actor=current.username, table=export, content=content, via=via)
        return content

    checked_button(
        label,
        build,
        what=what,
        file_name=file_name,
        mime=CSV_MIME,
        key=key,
        viewer=viewer,
        page=page,
        roles=roles,
        icon=":material/download:",
        primary=primary,
    )


def table_download(
    table: pd.DataFrame,
    *,
    what: str,
    key: str,
    viewer: Viewer,
    page: str,
    via: str,
    roles: Iterable[str] | None = None,
    label: str = "Download the table as CSV",
) -> None:
    """`table` as a CSV named after `what`; its columns are the header."""
    export = ExportTable(
        what=what,
        field_names=[str(c) for c in table.columns],
        rows=table.to_dict("records"),
        filename=export_filename(context.call_config().call_id, what),
    )
    export_button(
        lambda _session: export,
        what=what,
        file_name=export.filename,
        label=label,
        key=key,
        viewer=viewer,
        page=page,
        via=via,
        roles=roles,
    )


def rows_download(
    rows: Callable[[Session], list[dict]],
    *,
    field_names: Iterable[str],
    what: str,
    label: str,
    **where,
) -> None:
    """A CSV of `rows(session)`, read at the click (not when the page is drawn: a large table, such
    as the whole audit log, is read only if someone asks for it); its header is `field_names`.
    `where`: `key`, `viewer`, `page`, `via` and optionally `roles`, as for `export_button`."""
    names = list(field_names)
    filename = export_filename(context.call_config().call_id, what)
    export_button(
        lambda session: ExportTable(what=what, field_names=names, rows=rows(session), filename=filename),
        what=what,
        file_name=filename,
        label=label,
        **{"roles": None, **where},
    )
