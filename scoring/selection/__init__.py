"""Picking a balanced presenter line-up, solved exactly as an integer programme.

`select_presenters(candidates, rules)` maximises the sum of the chosen
submissions' scores (the calibrated score, passed in a plain `score` column)
subject to the rules of `SelectionRules`:

* exactly `slots` presenters; at most `max_in_person` in person and
  `max_virtual` virtual, each placed in a format they can do
  (`presentation_preference`: in_person, virtual, or either);
* at least `min_per_theme` on every theme in `themes`;
* with `one_per_exploitation_type`, at least one on each form of exploitation
  that any eligible submission covers;
* at least `min_survivor_involved` survivor-led or survivor-informed
  contributions: `evidence_source == "survivor_led"` or
  `sector == "survivor_led"`;
* at most `max_per_sector` per sector and `max_per_organisation` per
  organisation (organisations compared ignoring case, punctuation and
  spacing; None means no limit);
* with `min_reviews`, only submissions with at least that many submitted
  reviews (a `reviews` column); with `no_discussion_flag`, none flagged for
  discussion (a `flagged` column);
* `pinned` submissions in, `excluded` ones out.

Anonymous submissions, those not available to present (or with no stated
preference) and unscored ones are never eligible.

The model has a binary variable per (candidate, format it can do), solved with
`scipy.optimize.milp` (HiGHS) with a zero optimality gap. Scores are compared
to `SCORE_DECIMALS` decimal places (integer objective, so the optimum is
proven exactly). Ties are broken deterministically by a second pass: among the
line-ups with the best total score, the one whose members come earliest in
reference order (smallest sum of reference ranks) is taken. Presenters who can
do either format go in person while in-person places remain (highest score
first), otherwise virtual.

When the rules cannot all hold, a minimal set of rules that together block
every line-up is found by deletion filtering (first over rule families, then
over the single themes, forms, sectors, pins and exclusions inside them), and
described in words; independent blocks are all reported. With `explain=True`
each rule's cost is measured by re-solving without it and with it alone on
top of the plain top N, and each pick's best replacement by re-solving with
that pick excluded and every rule kept.

The package, by concern: `rules` (the `SelectionRules`, errors, constants),
`results`, `candidates` (checks, eligibility, the plain top N), `family` (the
`RuleFamily` base class: what one rule family declares), `families` (the
built-in families, one class each), `model` (the exact reduction, the rows,
the solves), `diagnosis` (blocking sets), `explanations` (reasons, rule
costs, replacements), `checks` (`rule_violations`), `picking` (pins and exclusions typed by
exact reference, with the reason for each refusal) and `select` (the entry
point). A new rule is one new `RuleFamily` subclass, added to
`families.RULE_FAMILIES` or passed as `families=`.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

from scoring.selection.candidates import (
    REQUIRED_COLUMNS,
    ineligibility,
    organisation_key,
    prepare_candidates,
    survivor_involved,
    top_n,
)
from scoring.selection.checks import rule_violations
from scoring.selection.families import FAMILIES, RULE_FAMILIES, active_families, describe_family, family_named
from scoring.selection.family import LineUp, Row, RuleFamily, StandIn, Unit
from scoring.selection.picking import Picks, pin_refusal, read_picks, split_references
from scoring.selection.results import Blocker, Pick, Replacement, RuleCost, SelectionResult
from scoring.selection.rules import (
    ABLE_TO_DO,
    FORMAT_LABELS,
    SCORE_DECIMALS,
    SCORE_UNIT,
    SURVIVOR_CODE,
    SelectionError,
    SelectionRules,
    SolverDidNotFinish,
)
from scoring.selection.select import select_presenters
from scoring.selection.words import labels_from_config

__all__ = [
    "ABLE_TO_DO",
    "FAMILIES",
    "FORMAT_LABELS",
    "REQUIRED_COLUMNS",
    "RULE_FAMILIES",
    "SCORE_DECIMALS",
    "SCORE_UNIT",
    "SURVIVOR_CODE",
    "Blocker",
    "LineUp",
    "Pick",
    "Picks",
    "Replacement",
    "Row",
    "RuleCost",
    "RuleFamily",
    "SelectionError",
    "SelectionResult",
    "SelectionRules",
    "SolverDidNotFinish",
    "StandIn",
    "Unit",
    "active_families",
    "describe_family",
    "family_named",
    "ineligibility",
    "labels_from_config",
    "organisation_key",
    "pin_refusal",
    "prepare_candidates",
    "read_picks",
    "rule_violations",
    "select_presenters",
    "split_references",
    "survivor_involved",
    "top_n",
]
