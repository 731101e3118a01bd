"""The built-in rule families, one class each, and `RULE_FAMILIES` (their display order).

See `scoring.selection.family` for what each method is for. The display
order is also the order of the model's rows, of the rule costs and of a
blocking set's families.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from scoring.selection.family import LineUp, Row, RuleFamily, StandIn, Unit
from scoring.selection.results import Blocker
from scoring.selection.rules import ABLE_TO_DO, FORMAT_LABELS, SelectionRules
from scoring.selection.words import Names, plural, some_refs

if TYPE_CHECKING:
    from scoring.selection.model import Model


class Slots(RuleFamily):
    name = "slots"
    filter_rank = 5
    switchable = False

    def describe(self, rules: SelectionRules) -> str:
        return f"exactly {plural(rules.slots, 'presenter')}"

    def constraints(self, model: Model) -> Iterable[Row]:
        yield Row(Unit(self.name), model.rules.slots, model.rules.slots, members=range(model.n))

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn()

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        if {u.family for u in units} != {self.name}:
            return None
        return (
            f"There are {plural(model.rules.slots, 'slot')} but only {plural(model.n_eligible, 'eligible submission')} "
            "(scored, not anonymous and able to present)."
        )

    def violations(self, line_up: LineUp) -> list[str]:
        picked, slots = line_up.picked, line_up.rules.slots
        return [f"The line-up has {len(picked)} presenters, not {slots}."] if len(picked) != slots else []


class _FormatCap(RuleFamily):
    """At most `max_<format>` presenters in one format."""

    format: ClassVar[str]

    def cap(self, rules: SelectionRules) -> int:
        return getattr(rules, f"max_{self.format}")

    def describe(self, rules: SelectionRules) -> str:
        return f"at most {self.cap(rules)} {FORMAT_LABELS[self.format].lower()}"

    def constraints(self, model: Model) -> Iterable[Row]:
        yield Row(
            Unit(self.name),
            -np.inf,
            self.cap(model.rules),
            variables=np.flatnonzero(model.var_fmt == self.format).tolist(),
        )

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        able = frozenset({self.format})
        return StandIn(
            covers=[
                able if self.format in ABLE_TO_DO[p] else frozenset()
                for p in eligible["presentation_preference"].tolist()
            ]
        )

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        families = {u.family for u in units}
        if not families <= {"slots", "in_person", "virtual"}:
            return None
        rules = model.rules
        prefs = model.eligible["presentation_preference"]
        text = (
            f"There are {plural(rules.slots, 'slot')} but at most {rules.max_in_person} in person "
            f"and {rules.max_virtual} virtual"
        )
        if not families >= {"in_person", "virtual"} or rules.max_in_person + rules.max_virtual >= rules.slots:
            text += (
                f", and of the eligible submissions {int((prefs != 'virtual').sum())} can present in person "
                f"and {int((prefs != 'in_person').sum())} virtually"
            )
        return text + "."

    def violations(self, line_up: LineUp) -> list[str]:
        n = [line_up.members[s] for s in line_up.picked].count(self.format)
        cap = self.cap(line_up.rules)
        return [f"{n} {FORMAT_LABELS[self.format].lower()}, more than {cap}."] if n > cap else []


class InPerson(_FormatCap):
    name = "in_person"
    format = "in_person"
    filter_rank = 7


class Virtual(_FormatCap):
    name = "virtual"
    format = "virtual"
    filter_rank = 6


class Themes(RuleFamily):
    name = "theme"
    filter_rank = 3

    def active(self, rules: SelectionRules) -> bool:
        return rules.min_per_theme > 0

    def describe(self, rules: SelectionRules) -> str:
        return f"at least {rules.min_per_theme} per theme"

    def constraints(self, model: Model) -> Iterable[Row]:
        rules = model.rules
        count = model.facts.setdefault(self.name, {}).setdefault("count", {})
        by_theme = model.facts[self.name].setdefault("members", {})
        for theme in rules.themes or tuple(sorted({t for ts in model.frame["themes"] for t in ts})):
            count[theme] = sum(theme in ts for ts in model.eligible["themes"])
            by_theme[theme] = [i for i, ts in enumerate(model.cand["themes"]) if theme in ts]
            yield Row(Unit(self.name, theme), rules.min_per_theme, np.inf, members=by_theme[theme])

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        themes = set(rules.themes) or {t for ts in eligible["themes"] for t in ts}
        return StandIn(covers=[frozenset(ts) & themes for ts in eligible["themes"].tolist()])

    def describe_unit(self, model: Model, unit: Unit) -> str:
        n = model.facts[self.name]["count"][unit.member]
        label = model.names.of("themes", unit.member)
        return f"at least {model.rules.min_per_theme} on the theme “{label}” ({n} eligible cover it)"

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        if len(units) != 1 or whole or units[0].family != self.name:
            return None
        n = model.facts[self.name]["count"][units[0].member]
        label = model.names.of("themes", units[0].member)
        minimum = model.rules.min_per_theme
        if n == 0:
            return f"No eligible submission covers the theme “{label}”, which needs at least {minimum}."
        return (
            f"At least {minimum} presenters on the theme “{label}” are required, "
            f"but only {plural(n, 'eligible submission')} cover{'s' if n == 1 else ''} it."
        )

    def reasons(self, model: Model, i: int, chosen: list[int]) -> list[str]:
        out = []
        for theme, members in model.facts.get(self.name, {}).get("members", {}).items():
            if i in members:
                count = sum(1 for j in chosen if j in set(members))
                tight = " (needed to reach the minimum)" if count <= model.rules.min_per_theme else ""
                out.append(f"theme “{model.names.of('themes', theme)}”{tight}")
        return out

    def violations(self, line_up: LineUp) -> list[str]:
        rules, rows = line_up.rules, line_up.rows
        if not self.active(rules):
            return []
        out = []
        for theme in rules.themes or sorted({t for ts in line_up.frame["themes"] for t in ts}):
            n = sum(theme in ts for ts in rows["themes"])
            if n < rules.min_per_theme:
                label = line_up.names.of("themes", theme)
                out.append(f"Only {n} on the theme “{label}”, fewer than {rules.min_per_theme}.")
        return out


class Exploitation(RuleFamily):
    name = "exploitation"
    filter_rank = 2

    def active(self, rules: SelectionRules) -> bool:
        return rules.one_per_exploitation_type

    def describe(self, rules: SelectionRules) -> str:
        return "at least one per form of exploitation that an eligible submission covers"

    def constraints(self, model: Model) -> Iterable[Row]:
        eligible = model.eligible
        refs: dict[str, list[str]] = {}
        for ref, es in zip(eligible["reference"].tolist(), eligible["exploitation_types"].tolist(), strict=True):
            for e in es:
                refs.setdefault(e, []).append(str(ref))
        by_form: dict[str, list[int]] = {}
        model.facts[self.name] = {"refs": refs, "members": by_form}
        for form in sorted(refs, key=model.names.form_order):
            by_form[form] = [i for i, es in enumerate(model.cand["exploitation_types"]) if form in es]
            yield Row(Unit(self.name, form), 1, np.inf, members=by_form[form])

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(covers=[frozenset(es) for es in eligible["exploitation_types"].tolist()])

    def describe_unit(self, model: Model, unit: Unit) -> str:
        label = model.names.of("exploitation_types", unit.member)
        return f"at least one on “{label}” (covered only by {some_refs(model.facts[self.name]['refs'][unit.member])})"

    def reasons(self, model: Model, i: int, chosen: list[int]) -> list[str]:
        out = []
        for form, members in model.facts.get(self.name, {}).get("members", {}).items():
            if i in members:
                only = sum(1 for j in chosen if j in set(members)) == 1
                out.append(f"{'the only pick on' if only else 'covers'} “{model.names.of('exploitation_types', form)}”")
        return out

    def notes(self, frame: pd.DataFrame, rules: SelectionRules, names: Names) -> list[str]:
        if not self.active(rules):
            return []
        eligible = frame[frame["why_not"] == ""]
        covered = {e for es in eligible["exploitation_types"] for e in es}
        known = set(names.labels.get("exploitation_types", {})) | {e for es in frame["exploitation_types"] for e in es}
        missing = sorted(known - covered, key=names.form_order)
        if not missing:
            return []
        words = ", ".join(f"“{names.of('exploitation_types', e)}”" for e in missing)
        return [
            f"No eligible submission covers {words}, so a presenter on {'it' if len(missing) == 1 else 'them'} "
            "is not required."
        ]

    def violations(self, line_up: LineUp) -> list[str]:
        if not self.active(line_up.rules):
            return []
        frame, rows, names = line_up.frame, line_up.rows, line_up.names
        eligible = frame[frame["why_not"] == ""]
        return [
            f"No presenter on “{names.of('exploitation_types', form)}”."
            for form in sorted({e for es in eligible["exploitation_types"] for e in es}, key=names.form_order)
            if not any(form in es for es in rows["exploitation_types"])
        ]


class Survivor(RuleFamily):
    name = "survivor"
    filter_rank = 4

    def active(self, rules: SelectionRules) -> bool:
        return rules.min_survivor_involved > 0

    def describe(self, rules: SelectionRules) -> str:
        return f"at least {rules.min_survivor_involved} survivor-led or survivor-informed"

    def constraints(self, model: Model) -> Iterable[Row]:
        model.facts[self.name] = {"count": int(model.eligible["survivor"].sum())}
        members = list(np.flatnonzero(model.cand["survivor"].to_numpy(dtype=bool)))
        yield Row(Unit(self.name), model.rules.min_survivor_involved, np.inf, members=members)

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        yes: frozenset[bool] = frozenset({True})
        no: frozenset[bool] = frozenset()
        return StandIn(covers=[yes if s else no for s in eligible["survivor"].tolist()])

    def describe_unit(self, model: Model, unit: Unit) -> str:
        n = model.facts[self.name]["count"]
        return f"at least {model.rules.min_survivor_involved} survivor-led or survivor-informed ({n} eligible qualify)"

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        if len(units) != 1 or whole or units[0].family != self.name:
            return None
        n = model.facts[self.name]["count"]
        if n == 0:
            return "No eligible submission is survivor-led or survivor-informed."
        return (
            f"At least {model.rules.min_survivor_involved} survivor-led or survivor-informed presenters are required, "
            f"but only {plural(n, 'eligible submission')} {'is' if n == 1 else 'are'}."
        )

    def reasons(self, model: Model, i: int, chosen: list[int]) -> list[str]:
        survivor = model.cand["survivor"]
        if not survivor.iloc[i]:
            return []
        minimum = model.rules.min_survivor_involved
        tight = ""
        if minimum > 0 and sum(1 for j in chosen if survivor.iloc[j]) <= minimum:
            tight = " (needed to reach the minimum)"
        return ["survivor-led or survivor-informed" + tight]

    def violations(self, line_up: LineUp) -> list[str]:
        n, minimum = int(line_up.rows["survivor"].sum()), line_up.rules.min_survivor_involved
        return [f"Only {n} survivor-led or survivor-informed, fewer than {minimum}."] if n < minimum else []


class _GroupCap(RuleFamily):
    """At most `cap` presenters sharing a value of `column`; a row only for groups that could break it."""

    column: ClassVar[str]
    per: ClassVar[str]

    def cap(self, rules: SelectionRules) -> int | None:
        return getattr(rules, f"max_per_{self.per}")

    def active(self, rules: SelectionRules) -> bool:
        return self.cap(rules) is not None

    def describe(self, rules: SelectionRules) -> str:
        return f"at most {self.cap(rules)} per {self.per}"

    def constraints(self, model: Model) -> Iterable[Row]:
        cap = self.cap(model.rules)
        assert cap is not None, "an inactive family adds no rows"
        spelled = model.cand["organisation"].tolist()
        display = model.facts.setdefault(self.name, {}).setdefault("display", {})
        for key, members in model.cand.groupby(self.column, sort=True).indices.items():
            if len(members) > cap:
                display[key] = str(spelled[members[0]])
                yield Row(Unit(self.name, key), -np.inf, cap, members=members)

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        cap = self.cap(model.rules)
        if {u.family for u in units} != {"slots", self.name} or cap is None:
            return None
        column = model.eligible[self.column]
        fill = int(column.value_counts().clip(upper=cap).sum()) + int(column.isna().sum())
        return (
            f"There are {plural(model.rules.slots, 'slot')} but with at most {cap} per {self.per} the eligible "
            f"submissions can fill only {fill}."
        )


class Sector(_GroupCap):
    name = "sector"
    column = "sector"
    per = "sector"
    filter_rank = 1

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(group=eligible["sector"].tolist())

    def describe_unit(self, model: Model, unit: Unit) -> str:
        return f"at most {model.rules.max_per_sector} from the sector “{model.names.of('sector', unit.member)}”"

    def violations(self, line_up: LineUp) -> list[str]:
        cap = line_up.rules.max_per_sector
        if cap is None:
            return []
        return [
            f"{n} from the sector “{line_up.names.of('sector', sector)}”, more than {cap}."
            for sector, n in line_up.rows["sector"].dropna().value_counts().items()
            if n > cap
        ]


class Organisation(_GroupCap):
    name = "organisation"
    column = "org_key"
    per = "organisation"
    filter_rank = 0

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(distinct=eligible["org_key"].tolist())

    def describe_unit(self, model: Model, unit: Unit) -> str:
        display = model.facts[self.name]["display"].get(unit.member, unit.member)
        return f"at most {model.rules.max_per_organisation} from the organisation “{display}”"

    def violations(self, line_up: LineUp) -> list[str]:
        cap = line_up.rules.max_per_organisation
        if cap is None:
            return []
        return [
            f"{len(group)} from one organisation ({', '.join(group['reference'])}), more than {cap}."
            for _key, group in line_up.rows.dropna(subset=["org_key"]).groupby("org_key")
            if len(group) > cap
        ]


class _Filter(RuleFamily):
    """Only candidates that pass a test of their own may be picked: one row keeping out all who fail."""

    filter_rank = 10

    def passes(self, row: Mapping[str, Any], rules: SelectionRules) -> bool:
        raise NotImplementedError

    def failing(self, rows: pd.DataFrame, rules: SelectionRules) -> list[bool]:
        return [not self.passes(row, rules) for row in rows[list(self.columns)].to_dict("records")]

    def constraints(self, model: Model) -> Iterable[Row]:
        failing = self.failing(model.eligible, model.rules)
        model.facts[self.name] = {"passing": failing.count(False)}
        yield Row(Unit(self.name), -np.inf, 0, members=np.flatnonzero(self.failing(model.cand, model.rules)).tolist())

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        # A stand-in must pass whenever the one it stands in for does (the rule may be switched off
        # when its cost is measured, so the test is made whatever its threshold).
        yes: frozenset[bool] = frozenset({True})
        no: frozenset[bool] = frozenset()
        return StandIn(covers=[no if fails else yes for fails in self.failing(eligible, rules)])

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        if {u.family for u in units} != {"slots", self.name}:
            return None
        passing = model.facts[self.name]["passing"]
        return (
            f"There are {plural(model.rules.slots, 'slot')} but only {plural(passing, 'eligible submission')} "
            f"{'meets' if passing == 1 else 'meet'} the rule “{self.describe(model.rules)}”."
        )

    def refusal(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        return "" if not self.active(rules) or self.passes(row, rules) else self.why(row, rules)

    def why(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        raise NotImplementedError

    def precheck(self, frame: pd.DataFrame, rules: SelectionRules) -> list[Blocker]:
        """Eligible pins this rule keeps out."""
        by_id = frame.set_index("submission_id")
        out = []
        for sid in sorted(set(rules.pinned) - set(rules.excluded)):
            if sid in by_id.index and not by_id.loc[sid, "why_not"]:
                row = by_id.loc[sid]
                why = self.refusal(row.to_dict(), rules)
                if why:
                    out.append(Blocker(("pinned", self.name), f"{row['reference']} is pinned but {why}."))
        return out

    def violations(self, line_up: LineUp) -> list[str]:
        if not self.active(line_up.rules):
            return []
        rows = line_up.rows
        return [
            f"{ref} {self.why(row, line_up.rules)}."
            for ref, row in zip(rows["reference"].tolist(), rows.to_dict("records"), strict=True)
            if not self.passes(row, line_up.rules)
        ]


class MinReviews(_Filter):
    name = "reviews"
    columns = ("reviews",)

    def active(self, rules: SelectionRules) -> bool:
        return rules.min_reviews > 0

    def describe(self, rules: SelectionRules) -> str:
        return f"at least {plural(rules.min_reviews, 'submitted review')} each"

    def passes(self, row: Mapping[str, Any], rules: SelectionRules) -> bool:
        return int(row["reviews"]) >= rules.min_reviews

    def why(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        return f"has {plural(int(row['reviews']), 'submitted review')}, fewer than the {rules.min_reviews} required"


class NoDiscussionFlag(_Filter):
    name = "discussion"
    columns = ("flagged",)
    filter_rank = 11

    def active(self, rules: SelectionRules) -> bool:
        return bool(rules.no_discussion_flag)

    def describe(self, rules: SelectionRules) -> str:
        return "no open discussion flag"

    def passes(self, row: Mapping[str, Any], rules: SelectionRules) -> bool:
        return not bool(row["flagged"])

    def why(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        return "is flagged for discussion (the reviewers disagree), and the rules take no open flag"


class OnlyShortlisted(_Filter):
    """Only submissions the panel shortlisted (their current decision, `data_access.decisions`)."""

    name = "shortlisted"
    columns = ("shortlisted",)
    filter_rank = 12

    def active(self, rules: SelectionRules) -> bool:
        return bool(rules.only_shortlisted)

    def describe(self, rules: SelectionRules) -> str:
        return "only submissions the panel shortlisted"

    def passes(self, row: Mapping[str, Any], rules: SelectionRules) -> bool:
        return bool(row["shortlisted"])

    def why(self, row: Mapping[str, Any], rules: SelectionRules) -> str:
        return "is not shortlisted by the panel, and the rules take only shortlisted submissions"

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        message = super().blocker_message(model, units, whole)
        if message is not None and model.facts[self.name]["passing"] == 0:
            return (
                f"No eligible submission meets the rule “{self.describe(model.rules)}”: the panel has shortlisted "
                f"none that can be selected (Rankings: record the panel's decisions), and there are "
                f"{plural(model.rules.slots, 'slot')} to fill."
            )
        return message


class _ByHand(RuleFamily):
    """Submissions named by hand: one unit per submission."""

    by_hand = True
    verb: ClassVar[str]

    def chosen(self, rules: SelectionRules) -> tuple[int, ...]:
        return getattr(rules, self.name)

    def active(self, rules: SelectionRules) -> bool:
        return bool(self.chosen(rules))

    def describe(self, rules: SelectionRules) -> str:
        return f"{self.name} submissions {self.verb}"

    def describe_unit(self, model: Model, unit: Unit) -> str:
        return f"{model.ref_of[unit.member]} {self.name}"

    def describe_whole(self, model: Model) -> str:
        return (
            f"the {self.name} submissions ("
            + some_refs([model.ref_of[u.member] for u in model.units_of(self.name)])
            + ")"
        )

    def rows_for(self, model: Model, lb: float, ub: float) -> Iterable[Row]:
        for sid in sorted(set(self.chosen(model.rules))):
            if int(sid) in model.pos_of:
                yield Row(Unit(self.name, int(sid)), lb, ub, members=[model.pos_of[int(sid)]])


class Pinned(_ByHand):
    name = "pinned"
    verb = "in"
    filter_rank = 9
    forces_in = True

    def constraints(self, model: Model) -> Iterable[Row]:
        return self.rows_for(model, 1, np.inf)

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(keep=frozenset(int(s) for s in rules.pinned))

    def blocker_message(self, model: Model, units: list[Unit], whole: set[str]) -> str | None:
        pinned = [u for u in units if u.family == self.name]
        slots = model.rules.slots
        if {u.family for u in units} != {"slots", self.name} or len(pinned) <= slots:
            return None
        return f"{plural(len(pinned), 'submission is', 'submissions are')} pinned but there are only {plural(slots, 'slot')}."

    def reasons(self, model: Model, i: int, chosen: list[int]) -> list[str]:
        return ["pinned by hand"] if int(model.ids[i]) in set(model.rules.pinned) else []

    def precheck(self, frame: pd.DataFrame, rules: SelectionRules) -> list[Blocker]:
        """Pins that can never hold: unknown, ineligible, or also excluded."""
        out: list[Blocker] = []
        by_id = frame.set_index("submission_id")
        for sid in sorted(set(rules.pinned)):
            if sid not in by_id.index:
                out.append(Blocker((self.name,), f"Pinned submission {sid} is not among the candidates."))
                continue
            row = by_id.loc[sid]
            if sid in set(rules.excluded):
                out.append(Blocker((self.name, "excluded"), f"{row['reference']} is both pinned and excluded."))
            elif row["why_not"]:
                message = f"{row['reference']} is pinned but cannot be selected: {row['why_not']}."
                out.append(Blocker((self.name,), message))
        return out

    def violations(self, line_up: LineUp) -> list[str]:
        frame = line_up.frame
        return [
            f"{frame.loc[sid, 'reference'] if sid in frame.index else str(sid)} is pinned but not in the line-up."
            for sid in sorted(set(line_up.rules.pinned) - set(line_up.picked))
        ]


class Excluded(_ByHand):
    name = "excluded"
    verb = "out"
    filter_rank = 8

    def constraints(self, model: Model) -> Iterable[Row]:
        return self.rows_for(model, -np.inf, 0)

    def stand_in(self, eligible: pd.DataFrame, rules: SelectionRules) -> StandIn:
        return StandIn(extra=len(set(rules.excluded)))

    def violations(self, line_up: LineUp) -> list[str]:
        excluded = set(line_up.rules.excluded)
        return [f"{row['reference']} is excluded." for sid, row in line_up.rows.iterrows() if sid in excluded]


RULE_FAMILIES: tuple[RuleFamily, ...] = (
    Slots(),
    InPerson(),
    Virtual(),
    Themes(),
    Exploitation(),
    Survivor(),
    Sector(),
    Organisation(),
    MinReviews(),
    NoDiscussionFlag(),
    OnlyShortlisted(),
    Pinned(),
    Excluded(),
)
FAMILIES = tuple(f.name for f in RULE_FAMILIES)


def family_named(name: str, families: Iterable[RuleFamily] = RULE_FAMILIES) -> RuleFamily:
    for family in families:
        if family.name == name:
            return family
    raise KeyError(name)


def active_families(rules: SelectionRules, families: Iterable[RuleFamily] = RULE_FAMILIES) -> list[str]:
    """The rule families these rules switch on, in display order."""
    return [f.name for f in families if f.active(rules)]


def describe_family(family: str, rules: SelectionRules, families: Iterable[RuleFamily] = RULE_FAMILIES) -> str:
    """A rule family in words."""
    return family_named(family, families).describe(rules)
