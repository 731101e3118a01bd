"""The import's words for a terminal (manage.py import-submissions): contributor text made inert,
the mapping, the plan's counts and changes, the problem table. Pure: lines in, lines out."""

from __future__ import annotations

from collections.abc import Iterator

_CONTROL = dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)), "\ufffd")


def printable(value: object, width: int | None = None) -> str:
    """Contributor text for the terminal: control characters (escape
    sequences) made inert, line breaks shown as ⏎, cut to `width`."""
    text = str(value).replace("\r\n", "\n").replace("\n", " ⏎ ").replace("\r", " ⏎ ").replace("\t", " ")
    text = text.translate(_CONTROL)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def printable_lines(text: str) -> str:
    """`text` line by line, each made inert (its line breaks kept)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def mapping_lines(file_name: str, table, mapping) -> Iterator[str]:
    """Which column each field is read from, the key, and the columns left out."""
    where = f", sheet {table.sheet!r}" if table.sheet else f", {table.encoding}"
    yield f"  file {file_name} ({table.kind}{where}): {len(table.rows)} rows"
    for name, header in mapping.columns.items():
        yield f"  {name:<24} <- {printable(header, 60)}"
    yield f"  {'key':<24} <- {printable(mapping.key, 60)}" if mapping.key else "  key: none (rows match by reference)"
    ignored = [h for h in table.headers if mapping.field_for(h) is None]
    if ignored:
        yield "  not imported: " + "; ".join(printable(h, 40) for h in ignored)


def problem_lines(plan) -> Iterator[str]:
    """The problem table: row, column, value, problem and its advice."""
    yield f"{'row':>6}  {'column':<28} {'value':<32} problem"
    for p in plan.problems:
        advice = f" {p.suggestion}" if p.suggestion else ""
        yield (
            f"{'' if p.row is None else p.row:>6}  {printable(p.column, 28):<28} "
            f"{printable(p.value, 32):<32} {printable(p.problem)}{printable(advice)}"
        )


def plan_lines(plan, *, dry_run: bool) -> Iterator[str]:
    """Counts, then each update's changes, likely duplicates and warnings."""
    from importing import FIELDS_BY_NAME, display_value
    from importing.source_key import change_label

    counts = plan.counts
    yield (
        f"{'would add' if dry_run else 'added'} {counts['added']}, "
        f"{'would update' if dry_run else 'updated'} {counts['updated']}, unchanged {counts['unchanged']}, "
        f"blank rows skipped {counts['skipped_blank']}, likely duplicates flagged {counts['likely_duplicates']}"
    )
    labels = {n: f.label for n, f in FIELDS_BY_NAME.items()}
    for row in plan.rows_with("update"):
        yield f"  {row.data.reference} (row {row.row}):"
        for name, (old, new) in row.changes.items():
            label = change_label(name, labels)
            yield f"    {label}: {printable(display_value(old), 60)} -> {printable(display_value(new), 60)}"
    for d in plan.duplicates:
        other = d.other_reference if d.other_row is None else f"{d.other_reference} (row {d.other_row})"
        yield f"  likely duplicate: {d.reference} (row {d.row}) and {other}: {d.reason}"
    for w in plan.warnings:
        yield f"  warning, row {w.row}, {printable(w.column, 28)}: {printable(w.problem)}"
