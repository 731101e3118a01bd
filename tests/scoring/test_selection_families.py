"""The extension point of the selection: a rule family is one class. A family defined here, in the
test alone, changes the line-up, its reasons, its costs, its blocking sets and the line-up check
exactly as the class says, with no other module touched."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from scoring.selection import (
    FAMILIES,
    RULE_FAMILIES,
    Row,
    RuleFamily,
    SelectionRules,
    Unit,
    active_families,
    describe_family,
    rule_violations,
    select_presenters,
)
from scoring.selection.checks import line_up_checker


class AtLeastFromSector(RuleFamily):
    """Test-only rule: at least `minimum` presenters from `sector`. It does not say how candidates
    may stand in for each other, so the reduction must keep everyone it could need."""

    name = "from_sector"
    filter_rank = 3

    def __init__(self, sector: str, minimum: int) -> None:
        self.sector, self.minimum = sector, minimum

    def describe(self, rules: SelectionRules) -> str:
        return f"at least {self.minimum} from {self.sector}"

    def constraints(self, model):
        members = [i for i, s in enumerate(model.cand["sector"].tolist()) if s == self.sector]
        yield Row(Unit(self.name), self.minimum, np.inf, members=members)

    def blocker_message(self, model, units, whole):
        if {u.family for u in units} != {self.name}:
            return None
        n = int((model.eligible["sector"] == self.sector).sum())
        return f"Only {n} eligible from {self.sector}, fewer than {self.minimum}."

    def reasons(self, model, i, chosen):
        return [f"from {self.sector}"] if model.cand["sector"].iloc[i] == self.sector else []

    def violations(self, line_up):
        n = int((line_up.rows["sector"] == self.sector).sum())
        return [f"{n} from {self.sector}, fewer than {self.minimum}."] if n < self.minimum else []


def cand(sid, score, sector="s1"):
    return {
        "submission_id": sid,
        "reference": f"R-{sid:03d}",
        "score": score,
        "anonymous": False,
        "presentation_preference": "either",
        "themes": ["t1"],
        "exploitation_types": ["f1"],
        "sector": sector,
        "evidence_source": "practitioner",
        "organisation": f"Organisation {sid}",
    }


def frame_of(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


RULES = SelectionRules(slots=3, max_in_person=3, max_virtual=3)


def with_rule(rule: RuleFamily) -> tuple[RuleFamily, ...]:
    return (*RULE_FAMILIES, rule)


def test_a_family_of_the_test_alone_changes_the_line_up_as_its_class_says():
    # Thirty strong candidates from s1 and two weak ones from s2 with the same themes and forms:
    # without the rule the weak ones are left out (and the reduction could drop them unseen).
    rows = [cand(sid, 5.0 - sid * 0.01) for sid in range(1, 31)] + [cand(31, 1.5, "s2"), cand(32, 1.2, "s2")]
    frame = frame_of(rows)
    rule = AtLeastFromSector("s2", 2)

    plain = select_presenters(frame, RULES)
    ruled = select_presenters(frame, RULES, families=with_rule(rule))

    assert set(plain.members) == {1, 2, 3}
    assert set(ruled.members) == {1, 31, 32}
    assert ruled.objective == round(4.99 + 1.5 + 1.2, 6)
    by_id = {p.submission_id: p for p in ruled.picks}
    assert "from_sector" in by_id[31].satisfies and "from s2" in by_id[31].reasons
    assert "from_sector" not in by_id[1].satisfies
    cost = next(c for c in ruled.rule_costs if c.family == "from_sector")
    assert cost.rule == "at least 2 from s2"
    assert cost.given_up == pytest.approx((4.98 + 4.97) - (1.5 + 1.2))
    assert "from_sector" not in [c.family for c in plain.rule_costs]


def test_the_line_up_check_uses_the_family():
    rows = [cand(sid, 5.0 - sid * 0.1) for sid in range(1, 6)] + [cand(6, 1.0, "s2")]
    frame = frame_of(rows)
    rule = AtLeastFromSector("s2", 1)
    line_up = {1: "in_person", 2: "in_person", 3: "virtual"}
    assert rule_violations(frame, RULES, line_up) == []
    assert rule_violations(frame, RULES, line_up, families=with_rule(rule)) == ["0 from s2, fewer than 1."]
    assert rule_violations(frame, RULES, {1: "in_person", 2: "virtual", 6: "virtual"}, families=with_rule(rule)) == []


def test_a_blocking_family_is_named_in_its_own_words():
    rows = [cand(sid, 4.0) for sid in range(1, 6)] + [cand(6, 1.0, "s2")]
    result = select_presenters(frame_of(rows), RULES, families=with_rule(AtLeastFromSector("s2", 2)))
    assert not result.feasible
    assert [b.families for b in result.blockers] == [("from_sector",)]
    assert result.blockers[0].message == "Only 1 eligible from s2, fewer than 2."


def test_the_family_is_listed_and_described_with_the_built_in_ones():
    families = with_rule(AtLeastFromSector("s2", 1))
    assert active_families(RULES, families) == ["slots", "in_person", "virtual", "from_sector"]
    assert describe_family("from_sector", RULES, families) == "at least 1 from s2"
    assert active_families(RULES) == ["slots", "in_person", "virtual"]
    assert tuple(f.name for f in RULE_FAMILIES) == FAMILIES


def test_the_optimum_under_the_new_family_matches_brute_force():
    rng = np.random.default_rng(5)
    for _ in range(25):
        n = int(rng.integers(4, 9))
        rows = [
            {
                **cand(sid, float(rng.choice([2.0, 3.0, 3.5, 4.0])), str(rng.choice(["s1", "s2", "s3"]))),
                "presentation_preference": str(rng.choice(["in_person", "virtual", "either"])),
                "organisation": str(rng.choice(["A", "B", "C", "D"])),
            }
            for sid in range(1, n + 1)
        ]
        rules = SelectionRules(slots=3, max_in_person=2, max_virtual=2, max_per_organisation=1, max_per_sector=2)
        rule = AtLeastFromSector("s2", 1)
        result = select_presenters(frame_of(rows), rules, families=with_rule(rule), explain=False)
        breaks = line_up_checker(frame_of(rows), rules, families=with_rule(rule))  # rule_violations, prepared once
        best = None
        for combo in itertools.combinations(rows, 3):
            members = {r["submission_id"]: _format(r, combo) for r in combo}
            if None in members.values():
                continue
            if breaks(members):
                continue
            total = round(sum(r["score"] for r in combo), 6)
            best = total if best is None else max(best, total)
        assert result.feasible == (best is not None)
        if best is not None:
            assert result.objective == best
            assert rule_violations(frame_of(rows), rules, result.members, families=with_rule(rule)) == []


def _format(row, combo):
    """A format for `row` in `combo` that keeps within 2 in person and 2 virtual, if there is one."""
    fixed_in = sum(1 for r in combo if r["presentation_preference"] == "in_person")
    fixed_virtual = sum(1 for r in combo if r["presentation_preference"] == "virtual")
    either = [r for r in combo if r["presentation_preference"] == "either"]
    if fixed_in > 2 or fixed_virtual > 2:
        return None
    pref = row["presentation_preference"]
    if pref != "either":
        return pref
    room_in = 2 - fixed_in
    return "in_person" if either.index(row) < room_in else "virtual"
