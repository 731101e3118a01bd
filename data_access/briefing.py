"""The Commissioner's briefing: its content, gathered from the database with the pages' own functions.

`gather(session, config=..., options=...)` returns a `briefing.content.Briefing`
(plain data): the call and its two themes; what came in by sector, nation and
form of evidence (`scoring.coverage.count_by`, the Coverage page's counts and
figures); the evidence and gap map (`scoring.coverage.coverage_matrix`,
`charts.coverage.gap_map_figure`) with every cell's table and the absolute and
evidence gaps named in words; the strongest evidence per theme and focus area by
today's calibrated score (`scoring.calibrate`, as on Rankings) with the number of
reviews; the chosen (or the latest signed-off) line-up and its programme; the
calibration and Krippendorff's alpha (`scoring.agreement`) in plain words; and a
methods annex. `data_access.briefing_files` renders it and writes the audit entry.

Identity: an anonymous contributor appears by the submission's title and
`ANONYMOUS_LABEL` only (`access.visibility.identity_exportable`); no contact
name or email is read into the content at all, for anyone. Counts and figures
carry no identity (`scoring.coverage` keeps none). For admin and office: the
callers check the role.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from access.visibility import identity_exportable
from briefing.content import ANONYMOUS_LABEL, SECTIONS, Briefing, Entry, Figure, Group, Section, Table
from charts.coverage import category_figure, gap_map_figure
from charts.ranking import score_distribution_figure, score_distribution_table
from config.call_config import CallConfig
from data_access import coverage as coverage_da
from data_access import lineups as lineups_da
from data_access import signoff
from data_access.briefing_words import agreement_paragraphs, calibration_paragraphs, methods_paragraphs
from data_access.lineups import SCORE_COLUMN
from data_access.placements import programme_data
from data_access.programme_files import programme_table
from data_access.reviews import scores_frame
from data_access.submissions import load_submission_frame
from scoring import Calibration, calibrate
from scoring import coverage as cov
from scoring.agreement import agreement_display, agreement_table
from scoring.programme import UK
from scoring.selection import FORMAT_LABELS

TOP_PER_FOCUS_AREA = 3
SUMMARY_CHARS = 180
GAP_MAP_COLUMN = "exploitation_types"  # the Coverage page's first choice of columns
INTAKE_FIELDS = ("sector", "nation", "evidence_forms")
PROGRAMME_COLUMNS = ("Session", "Date", "Start (UK time)", "End (UK time)", "Session format", "Room", "Order")
PROGRAMME_COLUMNS_AFTER = ("Reference", "Title", "Organisation", "Presents")
PROGRAMME_WIDTHS = (13, 10, 7, 7, 8, 7, 5, 9, 16, 11, 7)
CELL_TABLE_WIDTHS = (17, 15, 14, 9, 8, 9, 9, 9, 10)


class BriefingError(ValueError):
    """The briefing cannot be made as asked; the message is for people, and nothing was made."""


@dataclass(frozen=True)
class BriefingOptions:
    """What the person chose: sections (keys of `SECTIONS`), a saved line-up by name (None: the one
    signed off last, if any), reviewed submissions only, and final (False: marked DRAFT)."""

    sections: tuple[str, ...] = tuple(SECTIONS)
    line_up: str | None = None
    reviewed_only: bool = False
    final: bool = False
    now: dt.datetime | None = field(default=None, compare=False)

    @classmethod
    def of(cls, args: Any) -> BriefingOptions:
        """From `manage.py briefing`'s arguments (sections, line_up, reviewed_only, final)."""
        return cls(tuple(args.sections or SECTIONS), args.line_up, bool(args.reviewed_only), bool(args.final))

    def problems(self) -> list[str]:
        unknown = [s for s in self.sections if s not in SECTIONS]
        out = [f"Unknown section {s!r}: choose from {', '.join(SECTIONS)}." for s in unknown]
        if not self.sections:
            out.append("Choose at least one section.")
        return out


def one_line(text: str | None, limit: int = SUMMARY_CHARS) -> str:
    """A summary's first sentence, on one line, at most `limit` characters (cut at a word, with …)."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    sentence = re.split(r"(?<=[.!?])\s", flat, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0] if " " in sentence[: limit - 1] else sentence[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def contributor(row: Mapping) -> str:
    """The organisation, or the neutral label when the contributor chose to stay anonymous."""
    if not identity_exportable(anonymous=bool(row["anonymous"])):
        return ANONYMOUS_LABEL
    return str(row["organisation"] or "").strip() or "Organisation not given"


def score_text(value: object) -> str:
    return "not scored" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def _number(value: object, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def as_table(frame: pd.DataFrame, caption: str = "", widths: tuple[int, ...] = ()) -> Table:
    rows = tuple(tuple(_number(v) for v in row) for row in frame.itertuples(index=False, name=None))
    return Table(columns=tuple(str(c) for c in frame.columns), rows=rows, caption=caption, widths=widths)


@dataclass
class _Data:
    """What every section reads, read once."""

    config: CallConfig
    options: BriefingOptions
    submissions: pd.DataFrame  # load_submission_frame, indexed by id
    calibration: Calibration
    reviews: pd.DataFrame  # scores_frame
    frame: pd.DataFrame  # scoring.coverage.coverage_frame, filtered by the options
    line_ups: list[coverage_da.SavedLineUp]
    chosen: coverage_da.SavedLineUp | None = None  # the line-up in the briefing

    @property
    def scores(self) -> pd.DataFrame:
        return self.calibration.submissions


def _read(session: Session, config: CallConfig, options: BriefingOptions, calibration: Calibration | None) -> _Data:
    reviews = scores_frame(session)
    if calibration is None:
        calibration = calibrate(reviews, config.weights, disagreement_threshold=config.disagreement_threshold)
    inputs = coverage_da.coverage_inputs(session, with_scores=False)
    frame = cov.coverage_frame(inputs.submissions, calibration.submissions)
    frame = cov.filter_coverage(frame, cov.CoverageFilter(reviewed_only=options.reviewed_only))
    submissions = load_submission_frame(
        session, scalars=("title", "summary", "organisation", "anonymous", "presentation_preference")
    ).set_index("id")
    return _Data(config, options, submissions, calibration, reviews, frame, inputs.line_ups)


# --- sections -----------------------------------------------------------------------


def _intake(data: _Data) -> Section:
    total, shown = len(data.submissions), len(data.frame)
    reviewed = int((data.frame["n_reviews"] > 0).sum())
    scope = "the reviewed submissions" if data.options.reviewed_only else "every submission"
    paragraphs = [
        f"{total} submissions came in; {int((data.scores['n_reviews'] > 0).sum())} have at least one submitted review.",
        f"The counts below cover {scope} ({shown}; {reviewed} reviewed). A submission with several values "
        "(two forms of evidence, say) counts under each.",
    ]
    figures = []
    for name in INTAKE_FIELDS:
        label = cov.COLUMN_DIMENSIONS[name]
        counts = cov.count_by(data.frame, name, data.config)
        parts = [f"{r.label}: {r.submissions} ({r.reviewed} reviewed)" for r in counts.itertuples()]
        figures.append(
            Figure(
                key=f"intake-{name}",
                title=f"Submissions by {label.lower()}",
                alt=f"Bar chart of submissions by {label.lower()}, reviewed and not yet reviewed. " + "; ".join(parts),
                caption=f"How many submissions came in for each {label.lower()}, dark for those already reviewed.",
                spec=category_figure(counts, title=f"Submissions by {label.lower()}", category=label).to_dict(),
                table=as_table(cov.category_table(counts, label)),
            )
        )
    return Section("intake", SECTIONS["intake"], tuple(paragraphs), tuple(figures))


def _marked_cells(data: _Data) -> pd.DataFrame | None:
    chosen = _chosen_line_up(data)
    if chosen is None:
        return None
    return cov.line_up_cells(data.frame, chosen.submission_ids, data.config, column=GAP_MAP_COLUMN)


def _gap_map(data: _Data) -> Section:
    level = data.config.evidence_strength_level
    matrix = cov.coverage_matrix(data.frame, data.config, column=GAP_MAP_COLUMN, level=level)
    counts = cov.gap_counts(matrix)
    gaps = cov.gap_list(matrix)
    named = [f"{g['Focus area'] or g['Theme']} × {g[matrix.column_label]}" for _, g in gaps.iterrows()]
    absolute = [n for n, kind in zip(named, gaps["Gap"], strict=True) if kind.startswith("Absolute")]
    evidence = [n for n, kind in zip(named, gaps["Gap"], strict=True) if kind.startswith("Evidence")]
    paragraphs = [
        f"Rows are the two themes and their focus areas, columns the {matrix.column_label.lower()}. "
        f"{counts[cov.ABSOLUTE]} absolute gaps (nothing came in), {counts[cov.EVIDENCE]} evidence gaps "
        f"(submissions came in, but none judged reaches evidence strength {level:g}) and {counts[cov.AWAITING]} "
        "cells still awaiting review.",
        "Absolute gaps: " + ("; ".join(absolute) if absolute else "none") + ".",
        "Evidence gaps: " + ("; ".join(evidence) if evidence else "none") + ".",
        cov.totals_note(matrix),
    ]
    marked = _marked_cells(data)
    alt = (
        f"Bubble grid of {len(matrix.rows)} rows (themes and focus areas) by {matrix.column_label.lower()}: a "
        "bubble's area is the number of submissions in the cell, its colour their mean calibrated score; a cross "
        f"marks an absolute gap and a ring an evidence gap. {paragraphs[1]} {paragraphs[2]} The table after the "
        "figure gives every cell."
    )
    figure = Figure(
        key="gap-map",
        title="Evidence and gap map",
        alt=alt,
        caption=(
            "A bubble's area is the number of submissions in the cell, its colour the mean calibrated score of those "
            "reviewed; × marks an absolute gap, a ring an evidence gap, grey a cell awaiting review"
            + ("; ★ marks the cells of the line-up in this briefing." if marked is not None else ".")
        ),
        spec=gap_map_figure(matrix, colour_by="score", line_up=marked).to_dict(),
        table=as_table(cov.cell_table(matrix), "Every cell of the map", CELL_TABLE_WIDTHS),
    )
    return Section("gap_map", SECTIONS["gap_map"], tuple(paragraphs), (figure,))


def _entry(data: _Data, sid: int, note: str = "") -> Entry:
    sub = data.submissions.loc[sid]
    score_row = data.scores.loc[sid] if sid in data.scores.index else None
    return Entry(
        reference=str(sub["reference"]),
        title=str(sub["title"] or ""),
        contributor=contributor(sub),
        summary=one_line(sub["summary"]),
        score=score_text(None if score_row is None else float(score_row[SCORE_COLUMN])),
        reviews=0 if score_row is None else int(score_row["n_reviews"]),
        note=note,
    )


def _top_per_focus_area(data: _Data) -> dict[str, list[int]]:
    """focus area -> the ids of its best-scored submissions (calibrated score, then reference), in one pass."""
    score = data.scores[SCORE_COLUMN].dropna().to_dict()
    refs = data.submissions["reference"].to_dict()
    focus = data.submissions["focus_areas"].to_dict()
    top: dict[str, list[int]] = {}
    for sid in sorted((i for i in score if i in refs), key=lambda i: (-score[i], refs[i])):
        for area in focus.get(sid) or []:
            best = top.setdefault(area, [])
            if len(best) < TOP_PER_FOCUS_AREA:
                best.append(sid)
    return top


def _strongest(data: _Data) -> Section:
    top = _top_per_focus_area(data)
    groups = []
    for theme in data.config.vocabulary("themes").codes:
        for area in (c for c in data.config.vocabulary("focus_areas").codes if c.parent == theme.id):
            entries = tuple(_entry(data, i) for i in top.get(area.id, []))
            note = "" if entries else "No reviewed submission in this focus area yet."
            groups.append(Group(f"{theme.label} — {area.label}", entries, note))
    paragraphs = (
        f"For each focus area, the {TOP_PER_FOCUS_AREA} reviewed submissions with the highest calibrated score "
        "(1 to 5; see the panel's section and the methods annex) and how many reviews each rests on. A submission "
        "in several focus areas can appear under each. Contributors who asked to stay anonymous are shown as "
        f"“{ANONYMOUS_LABEL}”.",
    )
    return Section("strongest", SECTIONS["strongest"], paragraphs, groups=tuple(groups))


def _chosen_line_up(data: _Data) -> coverage_da.SavedLineUp | None:
    return data.chosen


def _line_up_section(session: Session, data: _Data) -> Section:
    chosen = _chosen_line_up(data)
    if chosen is None:
        text = "No line-up has been signed off yet." if data.line_ups else "No line-up has been saved yet."
        return Section("line_up", SECTIONS["line_up"], (text,))
    record = lineups_da.get_line_up(session, line_up_id=chosen.id)
    current = signoff.current_sign_off(session, line_up_id=chosen.id)
    history = signoff.sign_offs(session, line_up_id=chosen.id)
    if current is not None:
        status = f"signed off by the office on {current.signed_off_at.astimezone(UK):%d %B %Y}"
    elif history:
        status = f"version {history[0].version} was signed off; it has changed since and is not signed off as it is"
    else:
        status = "not signed off: a working line-up, not the office's decision"
    paragraphs = [f"“{record.name}” (version {record.version}), {len(record.members)} presenters, {status}."]
    paragraphs += [f"Changed since it was saved: {w}" for w in lineups_da.member_warnings(record)]
    members = tuple(
        _entry(data, m.submission_id, FORMAT_LABELS.get(m.format, m.format).lower())
        for m in record.members
        if m.submission_id in data.submissions.index
    )
    tables = _programme(session, chosen.id)
    if not tables:
        paragraphs.append("No presenter of this line-up is placed in a programme session yet.")
    group = Group("Presenters, in the line-up's order", members)
    return Section("line_up", SECTIONS["line_up"], tuple(paragraphs), groups=(group,), tables=tables)


def _programme(session: Session, line_up_id: int) -> tuple[Table, ...]:
    programme = programme_data(session, line_up_id=line_up_id)
    if not programme.sessions or not programme.placements:
        return ()
    table = programme_table(
        programme.sessions, programme.presenters, programme.placements, programme.speakers, call_id="briefing"
    )
    # No contact names and no meeting links: the programme's people are named by organisation (or not at all).
    columns = [*PROGRAMME_COLUMNS, *PROGRAMME_COLUMNS_AFTER]
    frame = pd.DataFrame(table.rows, columns=table.field_names)[columns]
    named = {
        s.reference: contributor({"anonymous": s.anonymous, "organisation": s.organisation})
        for s in programme.speakers.values()
    }
    frame["Organisation"] = [named.get(ref, "") for ref in frame["Reference"]]
    frame = frame.astype(object).where(frame.notna(), "")
    return (as_table(frame.astype(str), "The programme (UK time)", PROGRAMME_WIDTHS),)


def _panel(data: _Data) -> Section:
    labels = {c.id: c.label for c in data.config.criteria}
    agreement = agreement_table(data.reviews, list(data.config.criterion_ids))
    paragraphs = (*calibration_paragraphs(data.calibration, data.config), *agreement_paragraphs(agreement, labels))
    given = score_distribution_table(data.reviews, labels)  # the table behind Rankings' chart
    figure = Figure(
        key="scores-given",
        title="Scores given per criterion",
        alt="Bar chart of how often each score from 1 to 5, and 'cannot judge', was given on each criterion. "
        + "; ".join(
            f"{row['Criterion']}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "Criterion")
            for row in given.to_dict("records")
        ),
        caption="How often each score was given on each criterion, including 'cannot judge' (raw scores).",
        spec=score_distribution_figure(data.reviews, labels).to_dict(),
        table=as_table(given),
    )
    table = as_table(agreement_display(agreement, labels), "Agreement between reviewers, per criterion")
    return Section("panel", SECTIONS["panel"], paragraphs, (figure,), tables=(table,))


# --- the whole ----------------------------------------------------------------------


def _scope(data: _Data, now: dt.datetime) -> tuple[str, ...]:
    chosen = _chosen_line_up(data)
    return (
        "Submissions: " + ("reviewed submissions only" if data.options.reviewed_only else "all submissions") + ".",
        "Line-up: " + (f"“{chosen.name}” (version {chosen.version})" if chosen else "none") + ".",
        "Sections: " + ", ".join(SECTIONS[s] for s in SECTIONS if s in data.options.sections) + ".",
        f"Scores as calibrated on {now.astimezone(UK):%d %B %Y at %H:%M} (UK time).",
    )


def _latest_signed_off(session: Session, data: _Data) -> coverage_da.SavedLineUp | None:
    latest = []
    for lu in data.line_ups:
        records = signoff.sign_offs(session, line_up_id=lu.id)
        if records:
            latest.append((max(r.signed_off_at for r in records), lu))
    return max(latest, key=lambda pair: pair[0])[1] if latest else None


def gather(
    session: Session, *, config: CallConfig, options: BriefingOptions, calibration: Calibration | None = None
) -> Briefing:
    """The briefing's content. BriefingError: bad options (an unknown section, no such line-up)."""
    problems = options.problems()
    if problems:
        raise BriefingError(" ".join(problems))
    data = _read(session, config, options, calibration)
    if options.line_up is None:
        data.chosen = _latest_signed_off(session, data)
    else:
        data.chosen = next((lu for lu in data.line_ups if lu.name == options.line_up), None)
        if data.chosen is None:
            names = ", ".join(f"“{lu.name}”" for lu in data.line_ups) or "none has been saved yet"
            raise BriefingError(f"There is no saved line-up called “{options.line_up}”. Saved line-ups: {names}.")
    now = options.now or dt.datetime.now(dt.UTC)
    builders = {
        "intake": lambda: _intake(data),
        "gap_map": lambda: _gap_map(data),
        "strongest": lambda: _strongest(data),
        "line_up": lambda: _line_up_section(session, data),
        "panel": lambda: _panel(data),
        "methods": lambda: Section("methods", SECTIONS["methods"], methods_paragraphs(config)),
    }
    themes = tuple(
        (t.label, tuple(c.label for c in config.vocabulary("focus_areas").codes if c.parent == t.id))
        for t in config.vocabulary("themes").codes
    )
    return Briefing(
        title=config.title,
        organisers=config.organisers,
        conference=config.conference,
        generated=f"{now.astimezone(UK):%d %B %Y, %H:%M} UK time",
        final=options.final,
        scope=_scope(data, now),
        intro=(
            f"The call for evidence, run by the {config.organisers}, asked practitioners for emerging good practice "
            "in responses to child exploitation and trafficking, under two themes. Submissions closed on "
            f"{config.submissions_close:%d %B %Y}; the panel reviewed them against a published rubric, and the "
            f"findings inform the conference ({config.conference}) and will be shared with stakeholders across the "
            "modern slavery and related sectors.",
        ),
        themes=themes,
        sections=tuple(builders[key]() for key in SECTIONS if key in options.sections),
    )
