"""A review's values as one Markdown table (`ui.render.review_values`, issue 21): a real table with its
headers instead of an `st.dataframe` per card, every cell shown as its characters, the comment as text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.render import markdown_literal, values_table


def test_markdown_literal_escapes_every_character_markdown_could_read():
    hostile = "**x** [y](javascript:z) <img src=x> | `c` :red[r] $x$ _i_ # h\nline"
    escaped = markdown_literal(hostile)
    assert escaped == (r"\*\*x\*\* \[y\]\(javascript\:z\) \<img src\=x\> \| \`c\` \:red\[r\] \$x\$ \_i\_ \# h line")
    assert markdown_literal("Cannot judge") == "Cannot judge"


def test_the_values_table_has_every_criterion_and_choice_in_our_words(call_config):
    first, second = call_config.criteria[0], call_config.criteria[1]
    values = {
        "scores": {first.id: 4, second.id: None},
        "comment": "**not markdown**",
        "recommendation": call_config.recommendations.ids[0],
        "confidence": None,
    }
    lines = values_table(values, call_config).split("\n")
    assert lines[:2] == ["| Criterion | Score |", "| --- | --- |"]
    assert lines[2] == f"| {markdown_literal(first.label)} | 4 |"
    assert lines[3] == f"| {markdown_literal(second.label)} | Cannot judge |"
    assert len(lines) == 2 + len(call_config.criteria) + 2
    assert (
        lines[-2]
        == f"| Recommendation | {markdown_literal(call_config.recommendations.label(values['recommendation']))} |"
    )
    assert lines[-1] == "| Confidence | — |"
    assert "not markdown" not in "\n".join(lines)  # the comment is not in the table


def _cards():
    from config import load_call_config
    from data_access.models import utcnow
    from data_access.reviews import ReviewRecord
    from ui.render import review_cards

    config = load_call_config()
    now = utcnow()
    record = ReviewRecord(
        id=1,
        submission_id=1,
        reviewer_id=0,
        status="submitted",
        scores={config.criteria[0].id: 5},
        comment="<b>bold?</b> **no**",
        recommendation=None,
        confidence=None,
        version=1,
        updated_at=now,
        submitted_at=now,
        reviewer_name="Reviewer A",
    )
    review_cards([record, record], config)


def test_each_card_is_text_and_one_table_never_a_dataframe():
    at = AppTest.from_function(_cards).run()
    assert not at.exception
    assert len(at.dataframe) == 0
    tables = [m.value for m in at.markdown if m.value.startswith("| Criterion | Score |")]
    assert len(tables) == 2
    assert [t.value for t in at.text].count("<b>bold?</b> **no**") == 2  # the comment, as text
