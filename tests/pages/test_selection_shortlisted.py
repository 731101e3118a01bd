"""The Selection page's rule "only shortlisted" (the panel's decisions, data_access.decisions): a checkbox
like the other rules, blocking in words when the panel shortlisted none, costed when it holds. Both databases."""

from __future__ import annotations

import pytest

from data_access import decisions as dec
from tests.pages.test_selection_page import SELECTION, call, line_up_table, submit  # noqa: F401 (call: a fixture)
from tests.support.apptest import run_app

LABEL = "Only submissions the panel shortlisted (Rankings: the panel's decisions)"


@pytest.fixture
def reviewed(request):
    """The Selection page's call (tests.pages.test_selection_page.call): twelve eligible, two never picked."""
    return request.getfixturevalue("call")


def test_only_shortlisted_blocks_in_words_when_none_is_shortlisted_and_is_costed_when_some_are(db, db_url, reviewed):
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    assert not at.exception, at.exception
    box = next(c for c in at.checkbox if c.label == LABEL)
    assert box.value is False  # the call's default (config/call.toml: only_shortlisted = false)
    box.check()
    at = submit(at, "Propose line-up", db_url)
    assert any("No line-up keeps every rule" in e.value for e in at.error)
    said = "\n".join(t.value for t in at.text)
    assert "No eligible submission meets the rule “only submissions the panel shortlisted”" in said

    eligible = reviewed["ids"][:12]  # the anonymous one and the one not available are never selected
    with db.write() as s:
        for sid in eligible:
            dec.record_decision(
                s,
                viewer=reviewed["admin"],
                submission_id=sid,
                decision="shortlisted",
                reason="Yes.",
                expected_version=0,
            )
        dec.record_decision(
            s,
            viewer=reviewed["admin"],
            submission_id=eligible[0],
            decision="not_shortlisted",
            reason="No.",
            expected_version=1,
        )
    at = submit(at, "Propose line-up", db_url)
    assert not at.exception, at.exception
    assert not any("No line-up keeps every rule" in e.value for e in at.error)
    assert "CFE-0001" not in set(line_up_table(at)["Reference"])
    costs = next(df.value for df in at.dataframe if "Given up for this rule" in df.value.columns).set_index("Rule")
    assert "only submissions the panel shortlisted" in costs.index
    listing = next(df.value for df in at.dataframe if "Can be pinned" in df.value.columns).set_index("Reference")
    assert not listing.loc["CFE-0001", "Shortlisted"] and listing.loc["CFE-0002", "Shortlisted"]
    assert "not shortlisted by the panel" in listing.loc["CFE-0001", "Can be pinned"]
