"""Coverage tables: what the evidence covers, how strong it is, and where nothing came in.

Pure: plain frames in, plain frames out (no Streamlit, no SQLAlchemy), in the
grammar of evidence and gap maps (3ie, Campbell, EPPI-Mapper): rows are the
call's themes with their focus areas, columns one other coded dimension, and
each cell counts the submissions coded with both.

* `coverage_frame(submissions, scores)` joins the submissions' codes (the
  shape of `data_access.submissions.load_submission_frame`) with the scores
  of `scoring.score_submissions` into one slim frame. It keeps no title,
  summary or identity, so nothing built on it can show one. Its halves,
  `code_frame` (the codes) and `scored_frame` (with the scores), let a page
  keep the codes while only the scores change.
* `filter_coverage(frame, flt)` applies the page's filters.
* `coverage_matrix(frame, config, column=..., level=...)` counts every cell,
  empty ones included, with its mean scores and its gap: an *absolute gap*
  (nothing came in), an *evidence gap* (submissions came in and some were
  judged, but none reaches the evidence-strength level), or *awaiting review*
  (submissions came in, none judged on evidence strength yet).
* `count_by`, `score_bins` and `review_progress` are the tables behind the
  other charts.

Multi-valued fields are counted in each of their values: a submission on two
forms of exploitation is in both columns, one with two focus areas is in both
rows (and in its theme's row once). Totals count distinct submissions and
`totals_note` says in words how far the cells add up to more.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from config import MULTI_VALUED, SINGLE_VALUED, CallConfig

COLUMN_DIMENSIONS = {
    "exploitation_types": "Form of exploitation",
    "sector": "Sector",
    "evidence_source": "Source of evidence",
    "evidence_forms": "Form of evidence",
    "nation": "Nation",
    "stage": "Stage",
    "reported_impact": "Reported impact",
}
COLOUR_BY = {
    "score": ("mean_score", "Mean calibrated score"),
    "strength": ("mean_strength", "Mean evidence strength"),
}
CODE_COLUMNS = (*MULTI_VALUED, *(f for f in SINGLE_VALUED if f != "presentation_preference"))
FRAME_COLUMNS = ["id", *CODE_COLUMNS, "n_reviews", "score", "strength"]

ALL_ROW = "all"
ABSOLUTE, EVIDENCE, AWAITING = "absolute", "evidence", "awaiting"
SCORE_BINS = tuple(np.arange(1.0, 5.01, 0.5))


def gap_label(kind: str, level: float) -> str:
    return {
        ABSOLUTE: "Absolute gap: nothing came in",
        EVIDENCE: f"Evidence gap: none reaches evidence strength {level:g}",
        AWAITING: "Awaiting review",
    }.get(kind, "")


# --- the frame -------------------------------------------------------------------


def coverage_frame(
    submissions: pd.DataFrame, scores: pd.DataFrame, *, strength_column: str = "mean_evidence_strength"
) -> pd.DataFrame:
    """One row per submission: its codes, reviews, calibrated score and evidence strength.

    `submissions` needs `id` and the coded fields (multi-valued ones as lists);
    `scores` is `score_submissions` output (index submission_id; submissions
    without a review are absent and get n_reviews 0, NaN scores). `strength` is
    the submission's mean evidence-strength score (NaN when nobody judged it).
    """
    return scored_frame(code_frame(submissions), scores, strength_column=strength_column)


def code_frame(submissions: pd.DataFrame) -> pd.DataFrame:
    """`coverage_frame`'s codes: `id` and CODE_COLUMNS, the multi-valued fields as lists. Apart, so that a page
    keeps it while only the scores change (`ui.coverage`: ~20 ms of 10,000 submissions' lists not made again)."""
    out = submissions[["id", *CODE_COLUMNS]].reset_index(drop=True).copy()
    out["id"] = out["id"].astype(int)
    for name in MULTI_VALUED:
        out[name] = out[name].map(lambda codes: list(codes) if isinstance(codes, list | tuple) else [])
    return out


def scored_frame(
    codes: pd.DataFrame, scores: pd.DataFrame, *, strength_column: str = "mean_evidence_strength"
) -> pd.DataFrame:
    """`coverage_frame` from its codes (`code_frame`, left as it is) and the scores."""
    out = codes.copy(deep=False)
    ids = out["id"]
    reviews = scores["n_reviews"] if "n_reviews" in scores else pd.Series(dtype=float)
    out["n_reviews"] = ids.map(reviews).fillna(0).astype(int).to_numpy()
    for target, source in (("score", "overall_calibrated"), ("strength", strength_column)):
        column = scores[source] if source in scores else pd.Series(dtype=float)
        out[target] = ids.map(column).astype(float).to_numpy()
    return out[FRAME_COLUMNS]


@dataclass(frozen=True)
class CoverageFilter:
    stage: tuple[str, ...] = ()
    reported_impact: tuple[str, ...] = ()
    nation: tuple[str, ...] = ()
    reviewed_only: bool = False


def filter_coverage(frame: pd.DataFrame, flt: CoverageFilter) -> pd.DataFrame:
    """Keep submissions with one of the chosen values of each filtered field (none chosen: all)."""
    mask = pd.Series(True, index=frame.index)
    for name in ("stage", "reported_impact", "nation"):
        wanted = getattr(flt, name)
        if wanted:
            mask &= frame[name].isin(wanted)
    if flt.reviewed_only:
        mask &= frame["n_reviews"] > 0
    return frame[mask]


# --- the gap map -----------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    key: str  # "all", "theme:<id>", "focus:<id>"
    kind: str  # "all", "theme", "focus_area"
    code: str | None
    theme: str | None
    label: str


def gap_map_rows(config: CallConfig) -> list[GapRow]:
    """All submissions first, then each theme followed by its focus areas."""
    themes = config.vocabulary("themes")
    focus = config.vocabulary("focus_areas")
    rows = [GapRow(ALL_ROW, "all", None, None, "All submissions")]
    for theme in themes.codes:
        rows.append(GapRow(f"theme:{theme.id}", "theme", theme.id, theme.id, theme.label))
        rows += [
            GapRow(f"focus:{f.id}", "focus_area", f.id, theme.id, f.label) for f in focus.codes if f.parent == theme.id
        ]
    placed = {r.code for r in rows if r.kind == "focus_area"}
    rows += [GapRow(f"focus:{f.id}", "focus_area", f.id, f.parent, f.label) for f in focus.codes if f.id not in placed]
    return rows


@dataclass(frozen=True)
class CoverageMatrix:
    column: str
    column_label: str
    level: float
    rows: list[GapRow]
    columns: list[tuple[str, str]]  # (code, label)
    cells: pd.DataFrame  # one row per (row, column), empty cells included; see coverage_matrix
    row_totals: pd.DataFrame  # row_key, submissions (distinct), entries (sum of its cells), not_recorded
    column_totals: pd.DataFrame  # column_code, submissions
    submissions: int  # distinct submissions in the frame
    not_recorded: int  # submissions with no value of the column's field
    multi_coded: int  # submissions with more than one value of the column's field
    multi_focus: int  # submissions with more than one focus area
    multi_theme: int  # submissions with both themes

    def cell(self, row_key: str, column_code: str) -> pd.Series | None:
        hit = self.cells[(self.cells["row_key"] == row_key) & (self.cells["column_code"] == column_code)]
        return None if hit.empty else hit.iloc[0]

    def submission_ids(self, keys: Iterable[tuple[str, str]]) -> list[int]:
        """The submissions in the given (row_key, column_code) cells, each once, in cell order."""
        seen: dict[int, None] = {}
        for row_key, column_code in keys:
            found = self.cell(row_key, column_code)
            if found is not None:
                seen.update(dict.fromkeys(found["submission_ids"]))
        return list(seen)


def _long(frame: pd.DataFrame, name: str, codes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One coded field as pairs: (position of the submission in `frame`, index of the code in `codes`).

    Values outside `codes` (and missing ones) are left out. Plain integers from
    here on keep the counting in numpy, fast at 10,000 submissions.
    """
    index = {code: i for i, code in enumerate(codes)}
    values = frame[name].tolist()
    if name in MULTI_VALUED:
        positions = np.repeat(np.arange(len(values)), [len(v) for v in values])
        found = [index.get(code, -1) for code in itertools.chain.from_iterable(values)]
    else:
        positions = np.arange(len(values))
        found = [index.get(code, -1) if isinstance(code, str) else -1 for code in values]
    code_index = np.array(found, dtype=np.int64)
    keep = code_index >= 0
    return positions[keep], code_index[keep]


def _multi(frame: pd.DataFrame, name: str) -> int:
    if name not in MULTI_VALUED:
        return 0
    return int((frame[name].map(len) > 1).sum())


def _count(cell: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(cell, weights=weights, minlength=size)[:size]


def _mean(cell: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Per cell, the mean of the values that are not NaN (NaN where there are none)."""
    known = ~np.isnan(values)
    total = _count(cell, size, np.where(known, values, 0.0))
    count = _count(cell, size, known.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def coverage_matrix(
    frame: pd.DataFrame, config: CallConfig, *, column: str, level: float | None = None
) -> CoverageMatrix:
    """Every cell of the gap map, for the rows of `gap_map_rows` and the codes of `column`.

    `frame`: `coverage_frame` output (filtered or not). `level`: the evidence
    strength a submission must reach (default `config.evidence_strength_level`).
    `cells` columns: row_key, row_kind, row_label, theme, row_pos, column_code,
    column_label, col_pos, n, n_reviewed, n_assessed (with an evidence-strength
    score), n_strong (reaching `level`), mean_score (mean calibrated score of
    the reviewed), mean_strength, gap ("absolute", "evidence", "awaiting" or
    ""), submission_ids (a tuple).
    """
    if column not in COLUMN_DIMENSIONS:
        raise ValueError(f"Unknown column {column!r}; choose one of {', '.join(COLUMN_DIMENSIONS)}.")
    level = config.evidence_strength_level if level is None else float(level)
    rows = gap_map_rows(config)
    columns = [(c.id, c.label) for c in config.vocabulary(column).codes]
    n_rows, n_cols, n_subs = len(rows), len(columns), len(frame)
    size = n_rows * n_cols

    # Row memberships (submission position, row position): every submission in
    # "All submissions", and in the row of each of its themes and focus areas.
    row_of = {r.key: i for i, r in enumerate(rows)}
    row_subs, row_pos = [np.arange(n_subs)], [np.zeros(n_subs, dtype=np.int64)]
    for name, prefix in (("themes", "theme:"), ("focus_areas", "focus:")):
        ids = config.vocabulary(name).ids
        subs, code = _long(frame, name, ids)
        row_subs.append(subs)
        row_pos.append(np.array([row_of[prefix + c] for c in ids], dtype=np.int64)[code])
    rows_long = pd.DataFrame({"sub": np.concatenate(row_subs), "row": np.concatenate(row_pos)})
    col_subs, col_pos = _long(frame, column, [code for code, _ in columns])
    pairs = rows_long.merge(pd.DataFrame({"sub": col_subs, "col": col_pos}), on="sub")
    sub = pairs["sub"].to_numpy(dtype=np.int64)
    cell = pairs["row"].to_numpy(dtype=np.int64) * n_cols + pairs["col"].to_numpy(dtype=np.int64)

    strength = frame["strength"].to_numpy(dtype=float)[sub]
    n = _count(cell, size).astype(int)
    order = np.argsort(cell, kind="stable")
    ids = frame["id"].to_numpy(dtype=np.int64)[sub[order]]
    row_index = np.repeat(np.arange(n_rows), n_cols)
    cells = pd.DataFrame(
        {
            "row_key": [rows[i].key for i in row_index],
            "row_kind": [rows[i].kind for i in row_index],
            "row_label": [rows[i].label for i in row_index],
            "theme": [rows[i].theme for i in row_index],
            "row_pos": row_index,
            "column_code": [columns[j][0] for j in range(n_cols)] * n_rows,
            "column_label": [columns[j][1] for j in range(n_cols)] * n_rows,
            "col_pos": np.tile(np.arange(n_cols), n_rows),
            "n": n,
            "n_reviewed": _count(cell, size, (frame["n_reviews"].to_numpy()[sub] > 0).astype(float)).astype(int),
            "n_assessed": _count(cell, size, (~np.isnan(strength)).astype(float)).astype(int),
            "n_strong": _count(cell, size, (strength >= level).astype(float)).astype(int),
            "mean_score": _mean(cell, size, frame["score"].to_numpy(dtype=float)[sub]),
            "mean_strength": _mean(cell, size, strength),
            "submission_ids": [tuple(part.tolist()) for part in np.split(ids, np.cumsum(n)[:-1])],
        }
    )
    cells["gap"] = np.select(
        [cells["n"] == 0, cells["n_assessed"] == 0, cells["n_strong"] == 0], [ABSOLUTE, AWAITING, EVIDENCE], default=""
    )

    coded = np.zeros(n_subs, dtype=bool)
    coded[col_subs] = True
    all_row_subs, all_rows = rows_long["sub"].to_numpy(), rows_long["row"].to_numpy()
    row_totals = pd.DataFrame(
        {
            "row_key": [r.key for r in rows],
            "row_label": [r.label for r in rows],
            "submissions": _count(all_rows, n_rows).astype(int),
            "entries": n.reshape(n_rows, n_cols).sum(axis=1),
            "not_recorded": _count(all_rows[~coded[all_row_subs]], n_rows).astype(int),
        }
    )
    column_totals = pd.DataFrame(
        {
            "column_code": [code for code, _ in columns],
            "column_label": [label for _, label in columns],
            "submissions": _count(col_pos, n_cols).astype(int),
        }
    )
    return CoverageMatrix(
        column=column,
        column_label=COLUMN_DIMENSIONS[column],
        level=level,
        rows=rows,
        columns=columns,
        cells=cells[[*cells.columns.drop(["submission_ids", "gap"]), "gap", "submission_ids"]],
        row_totals=row_totals,
        column_totals=column_totals,
        submissions=n_subs,
        not_recorded=int((~coded).sum()),
        multi_coded=_multi(frame, column),
        multi_focus=_multi(frame, "focus_areas"),
        multi_theme=_multi(frame, "themes"),
    )


def totals_note(matrix: CoverageMatrix) -> str:
    """In words: how many submissions, and why cells add up to more than that."""
    n = matrix.submissions
    what = matrix.column_label.lower()
    parts = [f"{n} submission{'s' if n != 1 else ''} shown; 'All submissions' counts each once."]
    if matrix.multi_coded:
        parts.append(
            f"{matrix.multi_coded} are coded with more than one {what} and are counted in each of those columns, "
            "so a row's cells add up to more than its total."
        )
    if matrix.multi_focus or matrix.multi_theme:
        parts.append(
            f"{matrix.multi_focus} have more than one focus area and {matrix.multi_theme} both themes: they "
            "appear in each of those rows."
        )
    if matrix.not_recorded:
        parts.append(f"{matrix.not_recorded} have no {what} recorded and appear in no column.")
    return " ".join(parts)


def gap_counts(matrix: CoverageMatrix) -> dict[str, int]:
    return {kind: int((matrix.cells["gap"] == kind).sum()) for kind in (ABSOLUTE, EVIDENCE, AWAITING)}


def gap_summary(matrix: CoverageMatrix) -> str:
    """The map's gaps in one line of our own words (Markdown: bold counts), with the right plurals."""
    counts = gap_counts(matrix)

    def count(kind: str, one: str, many: str) -> str:
        return f"**{counts[kind]}** {one if counts[kind] == 1 else many}"

    return (
        f"{count(ABSOLUTE, 'absolute gap', 'absolute gaps')} (×: nothing came in) · "
        f"{count(EVIDENCE, 'evidence gap', 'evidence gaps')} (rings: submissions came in, but none reaches "
        f"evidence strength {matrix.level:g}) · "
        f"{count(AWAITING, 'cell awaiting review', 'cells awaiting review')} (grey)"
    )


def _row_names(matrix: CoverageMatrix) -> tuple[pd.Series, pd.Series]:
    theme_labels = {r.code: r.label for r in matrix.rows if r.kind == "theme"}
    cells = matrix.cells
    theme = cells["theme"].map(lambda t: theme_labels.get(t, "") if isinstance(t, str) else "All themes")
    focus = np.where(cells["row_kind"] == "focus_area", cells["row_label"], "")
    focus = np.where(cells["row_kind"] == "theme", "(whole theme)", focus)
    return theme, pd.Series(focus, index=cells.index)


def cell_table(matrix: CoverageMatrix) -> pd.DataFrame:
    """The table behind the gap map (and the coverage CSV): counts and means, no identities."""
    cells = matrix.cells
    theme, focus = _row_names(matrix)
    return pd.DataFrame(
        {
            "Theme": theme,
            "Focus area": focus,
            matrix.column_label: cells["column_label"],
            "Submissions": cells["n"],
            "Reviewed": cells["n_reviewed"],
            "Mean calibrated score": cells["mean_score"].round(2),
            "Mean evidence strength": cells["mean_strength"].round(2),
            f"Reaching evidence strength {matrix.level:g}": cells["n_strong"],
            "Gap": cells["gap"].map(lambda kind: gap_label(kind, matrix.level)),
        }
    )


def coverage_export_rows(config: CallConfig) -> int:
    """How many rows `coverage_export` has, without building it: every cell of the map (its rows by the
    codes of the columns), for each choice of columns. The call's taxonomy alone decides it."""
    rows = len(gap_map_rows(config))
    return sum(rows * len(config.vocabulary(column).codes) for column in COLUMN_DIMENSIONS)


def coverage_export(frame: pd.DataFrame, config: CallConfig, *, level: float | None = None) -> pd.DataFrame:
    """Every cell of the gap map for every choice of columns, one table (the Exports page's coverage CSV).

    `cell_table` for each of `COLUMN_DIMENSIONS` in turn, with the choice in
    `Columns` and its value in `Value`. Counts and means only, no identities.
    """
    parts = []
    for column, label in COLUMN_DIMENSIONS.items():
        table = cell_table(coverage_matrix(frame, config, column=column, level=level)).rename(columns={label: "Value"})
        table.insert(0, "Columns", label)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def gap_list(matrix: CoverageMatrix) -> pd.DataFrame:
    """Only the absolute and evidence gaps, absolute first, in map order.

    The column's value comes right after the kind of gap, so that it stays in
    view beside the (long) theme labels."""
    table = cell_table(matrix)
    kinds = matrix.cells["gap"]
    keep = kinds.isin([ABSOLUTE, EVIDENCE])
    order = kinds[keep].map({ABSOLUTE: 0, EVIDENCE: 1}).sort_values(kind="stable").index
    return table.loc[order, ["Gap", matrix.column_label, "Focus area", "Theme", "Submissions"]].reset_index(drop=True)


def describe_cell(matrix: CoverageMatrix, row_key: str, column_code: str) -> str:
    """One sentence about a cell, in plain words."""
    cell = matrix.cell(row_key, column_code)
    if cell is None:
        return ""
    where = f"{cell['row_label']} × {cell['column_label']}"
    if cell["n"] == 0:
        return f"{where}: nothing came in (absolute gap)."
    text = f"{where}: {cell['n']} submission{'s' if cell['n'] != 1 else ''}, {cell['n_reviewed']} reviewed"
    if not np.isnan(cell["mean_score"]):
        text += f"; mean calibrated score {cell['mean_score']:.2f}"
    if cell["n_assessed"]:
        text += (
            f"; mean evidence strength {cell['mean_strength']:.2f}, "
            f"{cell['n_strong']} of {cell['n_assessed']} judged reach {matrix.level:g}"
        )
    label = gap_label(cell["gap"], matrix.level)
    return text + (f" ({label.lower()})." if label else ".")


# --- the other charts' tables ------------------------------------------------------


def count_by(frame: pd.DataFrame, name: str, config: CallConfig) -> pd.DataFrame:
    """Per configured code of `name` (zero counts kept): submissions, reviewed, mean calibrated score.

    A submission with two values of a multi-valued field counts under each.
    """
    vocab = config.vocabulary(name)
    subs, code = _long(frame, name, vocab.ids)
    size = len(vocab.ids)
    submissions = _count(code, size).astype(int)
    reviewed = _count(code, size, (frame["n_reviews"].to_numpy()[subs] > 0).astype(float)).astype(int)
    return pd.DataFrame(
        {
            "code": vocab.ids,
            "label": [c.label for c in vocab.codes],
            "submissions": submissions,
            "reviewed": reviewed,
            "not_reviewed": submissions - reviewed,
            "mean_score": _mean(code, size, frame["score"].to_numpy(dtype=float)[subs]),
        }
    )


def score_bins(frame: pd.DataFrame) -> pd.DataFrame:
    """How many submissions fall in each half-point band of calibrated score and of evidence strength."""
    edges = np.array(SCORE_BINS)
    labels = [f"{lo:g}–{hi:g}" for lo, hi in itertools.pairwise(edges)]

    def counts(values: pd.Series) -> list[int]:
        values = values.dropna().clip(edges[0], edges[-1])
        index = np.minimum(np.searchsorted(edges, values.to_numpy(), side="right") - 1, len(labels) - 1)
        return np.bincount(index, minlength=len(labels)).astype(int).tolist()

    return pd.DataFrame(
        {
            "band": labels,
            "lower": edges[:-1],
            "calibrated": counts(frame["score"]),
            "evidence_strength": counts(frame["strength"]),
        }
    )


def review_progress(submitted_at: Iterable[dt.datetime], *, due: int) -> pd.DataFrame:
    """Submitted reviews per day (UTC) and the running total, with its share of the reviews due."""
    return progress_by_day(Counter(t.astimezone(dt.UTC).date() for t in submitted_at if t is not None), due=due)


def progress_by_day(per_day: Mapping[dt.date, int], *, due: int) -> pd.DataFrame:
    """`review_progress` from the number of reviews submitted each day (UTC), as the database counts them
    (`data_access.coverage.reviews_per_day`)."""
    days = sorted(day for day, n in per_day.items() if n)
    out = pd.DataFrame({"date": days, "submitted": np.array([per_day[d] for d in days], dtype=int)})
    out["cumulative"] = out["submitted"].cumsum().astype(int)
    out["percent_of_due"] = (100 * out["cumulative"] / due).round(1) if due else np.nan
    return out


def category_table(counts: pd.DataFrame, header: str) -> pd.DataFrame:
    """`count_by` output with headers for people (the table behind a category chart)."""
    return pd.DataFrame(
        {
            header: counts["label"],
            "Submissions": counts["submissions"],
            "Reviewed": counts["reviewed"],
            "Not yet reviewed": counts["not_reviewed"],
            "Mean calibrated score": counts["mean_score"].round(2),
        }
    )


def line_up_cells(
    frame: pd.DataFrame, submission_ids: Iterable[int], config: CallConfig, *, column: str
) -> pd.DataFrame:
    """The cells (row_key, column_code, n) holding members of a saved line-up, among the submissions in `frame`."""
    members = frame[frame["id"].isin(set(submission_ids))]
    cells = coverage_matrix(members, config, column=column).cells
    return cells.loc[cells["n"] > 0, ["row_key", "column_code", "n"]].reset_index(drop=True)


def scores_of(frame: pd.DataFrame, submission_ids: pd.Series) -> pd.DataFrame:
    """Calibrated score, evidence strength and number of reviews of the given submissions, in their order."""
    indexed = frame.set_index("id")
    return pd.DataFrame(
        {
            "Calibrated score": submission_ids.map(indexed["score"]).round(2).to_numpy(),
            "Evidence strength": submission_ids.map(indexed["strength"]).round(2).to_numpy(),
            "Reviews": submission_ids.map(indexed["n_reviews"]).fillna(0).astype(int).to_numpy(),
        }
    )


def progress_table(progress: pd.DataFrame) -> pd.DataFrame:
    """`review_progress` output with headers for people."""
    return progress.rename(
        columns={
            "date": "Date",
            "submitted": "Submitted that day",
            "cumulative": "Submitted in all",
            "percent_of_due": "% of reviews due",
        }
    )


def bins_table(bins: pd.DataFrame) -> pd.DataFrame:
    """`score_bins` output with headers for people."""
    return bins.drop(columns="lower").rename(
        columns={"band": "Score band", "calibrated": "Calibrated score", "evidence_strength": "Evidence strength"}
    )


HOW_TO_READ = """
**Rows** are the call's two themes, each followed by its focus areas; the first row, *All submissions*,
counts every submission once. **Columns** are what you choose above (forms of exploitation, sectors,
nations, ...).

* A **filled bubble** is a cell where at least one submission's evidence strength (the reviewers' mean
  score on that criterion) reaches {level:g} or more. Its **size** is the number of submissions (the number
  is written in the cell's corner), its **colour** the mean calibrated score of those reviewed (or their
  mean evidence strength, if you choose it): dark purple is lower, yellow higher, as the scale beside the
  map shows.
* A **ring** is an **evidence gap**: submissions came in and some were reviewed, but none of them reaches
  evidence strength {level:g}.
* A **grey bubble** is a cell whose submissions are all still awaiting review.
* A **×** is an **absolute gap**: nothing came in at all.
* A **★** beside a cell (when you pick one under *Mark a saved line-up*) means one or more of the saved line-up's
  presenters are in it.

A submission coded with several values (two forms of exploitation, two focus areas) is counted in each of
its cells, so cells add up to more than the number of submissions; the number after each row and column
label counts each submission once. The filters narrow everything on the
page except the review progress chart. Click a cell, or drag a box over several, to list the submissions in
them. *Table behind this chart* shows the numbers and downloads them as CSV.
"""
