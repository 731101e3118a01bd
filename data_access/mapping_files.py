"""Mappings as files (docs/importing.md, "Mappings as files"): the audit
entry of a mapping downloaded from the Import page. A mapping quotes the
file's headers and the values a person mapped (a coded column's "Other"
answer can name someone), so who took one away, and which, is logged like
any other export. Saved mappings are read and written by
`data_access.imports` (`list_mappings`, `save_mapping`)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from data_access import audit
from data_access.audit_actions import export_action
from importing.mapping import ColumnMapping


def record_mapping_download(session: Session, *, actor: str, mapping: ColumnMapping, content: bytes) -> None:
    values = sum(len(v) for v in mapping.values.values())
    audit.record(
        session,
        actor=actor,
        action=export_action("import_mapping"),
        entity="import_mapping",
        new={"columns": len(mapping.columns), "values": values, "sha256": hashlib.sha256(content).hexdigest()},
        detail=f"a mapping of {len(mapping.columns)} columns and {values} values",
    )
