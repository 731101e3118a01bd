"""The briefing's content, from the demo call made hostile: the same numbers and figures as the pages
(computed here with the pages' own functions), the strongest evidence by calibrated score, the signed-off
line-up and its programme, agreement as on Rankings, and no anonymous identity. Both databases."""

from __future__ import annotations

import json
import math

import pytest
from plotly.utils import PlotlyJSONEncoder

from briefing.content import ANONYMOUS_LABEL, SECTIONS
from charts.coverage import category_figure, gap_map_figure
from data_access import coverage as coverage_da
from data_access import lineups as lineups_da
from data_access.briefing import (
    GAP_MAP_COLUMN,
    INTAKE_FIELDS,
    TOP_PER_FOCUS_AREA,
    BriefingError,
    BriefingOptions,
    gather,
    one_line,
)
from data_access.demo_programme import LINE_UP_NAME, SESSIONS
from data_access.lineups import SCORE_COLUMN
from data_access.reviews import scores_frame
from data_access.submissions import load_submission_frame
from scoring import coverage as cov
from scoring.agreement import agreement_display, agreement_table
from tests.support.briefing import HIDDEN, HOSTILE_ORG, make_hostile


def _page_data(db, config):
    """What the Coverage and Rankings pages compute (ui.coverage.coverage_data, ui.scores, ranking_data)."""
    with db.read() as s:
        inputs = coverage_da.coverage_inputs(s, with_scores=False)
        scores = lineups_da.current_scores(s, config=config)
        reviews = scores_frame(s)
        subs = load_submission_frame(s).set_index("id")
    return cov.coverage_frame(inputs.submissions, scores), scores, reviews, subs


def _json(spec) -> str:
    return json.dumps(spec, cls=PlotlyJSONEncoder, sort_keys=True)


def _ints(table, column):
    i = table.columns.index(column)
    return [int(row[i]) for row in table.rows]


def test_the_briefing_says_what_the_pages_say(demo_db, call_config):
    db = demo_db
    demo = make_hostile(db, call_config)
    with db.read() as s:
        content = gather(s, config=call_config, options=BriefingOptions())
    frame, scores, reviews, subs = _page_data(db, call_config)
    sections = {section.key: section for section in content.sections}
    assert list(sections) == list(SECTIONS)
    assert [t for t, _ in content.themes] == [c.label for c in call_config.vocabulary("themes").codes]

    # What came in: the Coverage page's counts and its very figures.
    intake = {f.key: f for f in sections["intake"].figures}
    assert f"{len(subs)} submissions came in" in sections["intake"].paragraphs[0]
    for name in INTAKE_FIELDS:
        label = cov.COLUMN_DIMENSIONS[name]
        counts = cov.count_by(frame, name, call_config)
        figure = intake[f"intake-{name}"]
        page_figure = category_figure(counts, title=f"Submissions by {label.lower()}", category=label)
        assert _json(figure.spec) == _json(page_figure.to_dict())
        assert _ints(figure.table, "Submissions") == counts["submissions"].tolist()
        assert _ints(figure.table, "Reviewed") == counts["reviewed"].tolist()
        assert figure.alt and all(f"{r.label}: {r.submissions} (" in figure.alt for r in counts.itertuples())

    # The gap map: the page's matrix, figure (with the line-up's cells marked) and gaps in words.
    matrix = cov.coverage_matrix(frame, call_config, column=GAP_MAP_COLUMN, level=call_config.evidence_strength_level)
    [gap_figure] = sections["gap_map"].figures
    with db.read() as s:
        [line_up] = [lu for lu in coverage_da.saved_line_ups(s) if lu.name == LINE_UP_NAME]
    marked = cov.line_up_cells(frame, line_up.submission_ids, call_config, column=GAP_MAP_COLUMN)
    assert _json(gap_figure.spec) == _json(gap_map_figure(matrix, colour_by="score", line_up=marked).to_dict())
    assert _ints(gap_figure.table, "Submissions") == matrix.cells["n"].tolist()
    counts = cov.gap_counts(matrix)
    assert counts[cov.ABSOLUTE] > 0 and counts[cov.EVIDENCE] >= 0
    gap_text = " ".join(sections["gap_map"].paragraphs)
    assert f"{counts[cov.ABSOLUTE]} absolute gaps" in gap_text
    for _, gap in cov.gap_list(matrix).iterrows():
        assert f"{gap['Focus area'] or gap['Theme']} × {gap[matrix.column_label]}" in gap_text

    # The strongest evidence: per focus area, the top calibrated scores with their number of reviews.
    scored = scores[scores[SCORE_COLUMN].notna()]
    groups = {g.heading: g for g in sections["strongest"].groups}
    themes = {c.id: c.label for c in call_config.vocabulary("themes").codes}
    for area in call_config.vocabulary("focus_areas").codes:
        group = groups[f"{themes[area.parent]} — {area.label}"]
        inside = [i for i in scored.index if area.id in (subs.at[i, "focus_areas"] or [])]
        top = sorted(inside, key=lambda i: (-scored.at[i, SCORE_COLUMN], subs.at[i, "reference"]))
        top = top[:TOP_PER_FOCUS_AREA]
        assert [e.reference for e in group.entries] == [subs.at[i, "reference"] for i in top]
        assert [e.score for e in group.entries] == [f"{scored.at[i, SCORE_COLUMN]:.2f}" for i in top]
        assert [e.reviews for e in group.entries] == [int(scored.at[i, "n_reviews"]) for i in top]
    entries = [e for g in sections["strongest"].groups for e in g.entries]
    anonymous = [e for e in entries if e.title == demo.anonymous_title]
    assert anonymous and all(e.contributor == ANONYMOUS_LABEL for e in anonymous)
    assert any(e.contributor == HOSTILE_ORG for e in entries)  # a named contributor keeps their organisation

    # The signed-off line-up, its presenters in order, and the programme's sessions.
    with db.read() as s:
        record = lineups_da.get_line_up(s, line_up_id=line_up.id)
    section = sections["line_up"]
    assert f"“{LINE_UP_NAME}” (version {record.version})" in section.paragraphs[0]
    assert "signed off by the office" in section.paragraphs[0]
    assert [e.reference for e in section.groups[0].entries] == [m.reference for m in record.members]
    [programme] = section.tables
    sessions = {row[0] for row in programme.rows}
    assert sessions == {title for title, *_ in SESSIONS}
    assert "Presenter" not in programme.columns and "Online link" not in programme.columns

    # Agreement: Rankings' table, to two decimals, and a sentence per criterion.
    shown = agreement_display(
        agreement_table(reviews, call_config.criterion_ids), {c.id: c.label for c in call_config.criteria}
    )
    [alpha_table] = sections["panel"].tables
    for row, expected in zip(alpha_table.rows, shown.itertuples(index=False), strict=True):
        assert row[0] == expected[0]
        assert row[1] == ("–" if math.isnan(expected[1]) else f"{expected[1]:.2f}")
    assert len(sections["panel"].paragraphs) >= 3 + len(call_config.criteria)

    # Nothing of the anonymous contributor's identity, and no contact detail of anyone, anywhere.
    everything = repr(content)
    for value in HIDDEN.values():
        assert value not in everything
    assert not any(str(email) in everything for email in subs["contact_email"].dropna())
    assert not any(str(name) in everything for name in subs["contact_name"].dropna() if len(str(name)) > 3)


def test_reviewed_only_counts_only_the_reviewed(demo_db, call_config):
    db = demo_db
    make_hostile(db, call_config)
    with db.read() as s:
        content = gather(s, config=call_config, options=BriefingOptions(sections=("intake",), reviewed_only=True))
    frame, *_ = _page_data(db, call_config)
    reviewed = cov.filter_coverage(frame, cov.CoverageFilter(reviewed_only=True))
    assert len(reviewed) < len(frame)
    [section] = content.sections
    for figure, name in zip(section.figures, INTAKE_FIELDS, strict=True):
        assert _ints(figure.table, "Submissions") == cov.count_by(reviewed, name, call_config)["submissions"].tolist()
        assert set(_ints(figure.table, "Not yet reviewed")) == {0}
    assert "reviewed submissions only" in content.scope[0]


def test_bad_choices_are_refused_in_words(demo_db, call_config):
    db = demo_db
    make_hostile(db, call_config)
    with db.read() as s:
        with pytest.raises(BriefingError, match=f"no saved line-up called “Nope”.*“{LINE_UP_NAME}”"):
            gather(s, config=call_config, options=BriefingOptions(line_up="Nope"))
        with pytest.raises(BriefingError, match="Unknown section 'bogus'"):
            gather(s, config=call_config, options=BriefingOptions(sections=("bogus",)))
        with pytest.raises(BriefingError, match="at least one section"):
            gather(s, config=call_config, options=BriefingOptions(sections=()))


def test_a_call_without_line_up_or_reviews_says_so(db, call_config):
    with db.read() as s:
        content = gather(s, config=call_config, options=BriefingOptions())
    sections = {section.key: section for section in content.sections}
    assert sections["line_up"].paragraphs == ("No line-up has been saved yet.",)
    assert sections["panel"].paragraphs[0] == "No review has been submitted yet, so nothing is scored."
    assert all(not g.entries and g.note for g in sections["strongest"].groups)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One sentence. Another one.", "One sentence."),
        ("  spread\nover\tlines  ", "spread over lines"),
        ("word " * 60, ("word " * 35).strip() + "…"),
        ("x" * 400, "x" * 179 + "…"),
        (None, ""),
    ],
)
def test_one_line(text, expected):
    assert one_line(text) == expected
