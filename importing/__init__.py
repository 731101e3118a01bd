"""The import engine, pure: bytes in, a plan of what to write out.

    table = read_table(content, filename, max_bytes=..., sheet=None)
    mapping = propose_mapping(table, config)          # a person confirms or edits it
    plan = build_plan(table, mapping=mapping, config=config, existing=[...])
    plan.ok, plan.counts, plan.problems, plan.duplicates, plan.rows

Nothing here touches the database (see `data_access.imports`), and nothing
imports Streamlit or SQLAlchemy.
"""

from importing.display import display_value
from importing.fields import FIELD_NAMES, FIELDS_BY_NAME, REQUIRED_FIELDS, TEMPLATE_FIELDS, VALUE_MAPPED_FIELDS
from importing.mapping import (
    ColumnMapping,
    UnmatchedValue,
    best_saved_mapping,
    missing_required,
    propose_mapping,
    unmatched_values,
)
from importing.plan import (
    PROBLEM_COLUMNS,
    DuplicateMatch,
    ExistingSubmission,
    ImportPlan,
    PlannedRow,
    RowProblem,
    build_plan,
    duplicate_keys,
    problems_csv,
)
from importing.reading import ImportRefused, RawRow, Table, check_size, describe_size, read_table

__all__ = [
    "FIELDS_BY_NAME",
    "FIELD_NAMES",
    "PROBLEM_COLUMNS",
    "REQUIRED_FIELDS",
    "TEMPLATE_FIELDS",
    "VALUE_MAPPED_FIELDS",
    "ColumnMapping",
    "DuplicateMatch",
    "ExistingSubmission",
    "ImportPlan",
    "ImportRefused",
    "PlannedRow",
    "RawRow",
    "RowProblem",
    "Table",
    "UnmatchedValue",
    "best_saved_mapping",
    "build_plan",
    "check_size",
    "describe_size",
    "display_value",
    "duplicate_keys",
    "missing_required",
    "problems_csv",
    "propose_mapping",
    "read_table",
    "unmatched_values",
]
