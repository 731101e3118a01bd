"""Two exact shortcuts in the solver's explanations (issue 21: the Selection page after a save).

* A solve over the best-ranked candidates is accepted once nobody else can
  reach its score. With exactly N presenters, a line-up using someone outside
  scores at most the N - 1 best allowed candidates plus the best one outside;
  when that is already below, the LP relaxation that proves it is not run.
* Every line-up has exactly N presenters, so none scores above the plain top
  N: when the top N itself keeps a rule set (a rule alone, or every rule but
  one), that set's best is the top N's total, without a solve.

Both give the same results as the full solves (checked against the solver
with the shortcuts switched off, and against brute force in test_selection),
for far fewer solves on a large call."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import selection
from scoring.selection import SelectionRules, select_presenters
from scoring.selection.model import Model
from tests.scoring.test_selection import FORMS, SECTORS, THEMES, cand, instances


def without_shortcuts(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(Model, "_top_bound", lambda self, cols, out: None)
    mp.setattr(Model, "holds", lambda self, members, active: False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(), instances(crowded=True)), st.booleans())
def test_the_shortcuts_give_what_the_full_solves_give(instance, restricted):
    rows, r = instance
    frame = pd.DataFrame(rows)
    with pytest.MonkeyPatch.context() as mp:
        if restricted:  # restricted first solves on small calls, so that the bound is used
            mp.setattr(selection.model, "RESTRICT_START", 1)
        fast = select_presenters(frame, r, explain=True)
        without_shortcuts(mp)
        full = select_presenters(frame, r, explain=True)
    assert repr(fast) == repr(full)  # repr: NaN costs compare equal as text


def large_call(n: int = 3000, seed: int = 21) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = [
        cand(
            sid,
            round(rng.uniform(1, 5), 3),
            pref=rng.choice(("either", "either", "in_person", "virtual")),
            themes=rng.sample(THEMES, rng.randint(1, 2)),
            forms=rng.sample(FORMS, rng.randint(1, 2)),
            sector=rng.choice(SECTORS),
            org=f"Organisation {rng.randint(1, 800)}",
        )
        for sid in range(1, n + 1)
    ]
    return pd.DataFrame(rows)


def count_calls(mp: pytest.MonkeyPatch, name: str, *, when=lambda *a, **k: True) -> list[int]:
    original = getattr(Model, name)
    calls: list[int] = []

    def counting(self, *args, **kwargs):
        if when(*args, **kwargs):
            calls.append(1)
        return original(self, *args, **kwargs)

    mp.setattr(Model, name, counting)
    return calls


def test_on_a_large_call_the_explanations_need_no_lp_proof_and_no_solve_for_rules_the_top_n_keeps():
    frame = large_call()
    rules = SelectionRules(
        slots=6, max_in_person=4, max_virtual=3, min_per_theme=1, max_per_sector=3, max_per_organisation=1,
        themes=THEMES,
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        # The model keeps 56 of the 3,000 (the rest can never be needed); a first solve over its 20 best-ranked
        # (150 on a call whose model keeps more) needs a proof that nobody else reaches its score.
        mp.setattr(selection.model, "RESTRICT_START", 20)
        proofs = count_calls(mp, "_milp", when=lambda *a, integral=True, **k: not integral)
        solves = count_calls(mp, "solve")
        result = select_presenters(frame, rules, explain=True)
    assert result.feasible and len(result.picks) == 6 and result.considered > 20
    assert proofs == []  # every restricted solve proved optimal by the bound alone
    # One solve for the line-up, one per pick for its replacement; the rule costs the top N keeps need none.
    kept_by_top = [c for c in result.rule_costs if c.alone_vs_top_n == 0]
    assert kept_by_top
    assert len(solves) <= 1 + len(result.picks) + 2 * len(result.rule_costs) - len(kept_by_top)
    with pytest.MonkeyPatch.context() as mp:
        without_shortcuts(mp)
        assert repr(select_presenters(frame, rules, explain=True)) == repr(result)
