"""Importing a file in a data test the way the Import page does: read it, guess its mapping, and apply it in
one unit of work (`data_access.imports.apply_import`). Shared by the corpus and property tests of the importer,
which build their files with `tests.support.spreadsheets`."""

from __future__ import annotations

from data_access import imports
from importing import propose_mapping, read_table

LIMIT = 10 * 1024 * 1024


def proposed(content: bytes, name: str, config, *, max_bytes: int = LIMIT, **kwargs):
    """The file read (`header_row` and the like in `kwargs`) and the mapping guessed for it."""
    table = read_table(content, name, max_bytes=max_bytes, **kwargs)
    return table, propose_mapping(table, config)


def apply_file(
    db, content: bytes, name: str, *, mapping, config, actor: str = "admin", max_bytes: int = LIMIT, **kwargs
):
    """`content` imported through `mapping` in one unit of work; the import's result."""
    with db.write() as session:
        return imports.apply_import(
            session,
            content=content,
            filename=name,
            mapping=mapping,
            config=config,
            max_bytes=max_bytes,
            actor=actor,
            **kwargs,
        )
