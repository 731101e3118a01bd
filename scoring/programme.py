"""The conference programme: sessions, and the confirmed presenters placed in them.

A `ProgrammeSession` has a title, a start and an end (timezone-aware), a
format (in person, online or hybrid), a number of places, a room (in person
and hybrid), an online link (online and hybrid), a chair and, optionally, a
theme set by hand. A `Presenter` is a confirmed presenter: the format they
accepted (in person or virtual) and their themes.

`propose_placements` places the presenters, exactly and deterministically,
by an integer programme (`scipy.optimize.milp`), in this order of priority:

1. as many presenters as possible placed, each in one session whose format
   takes theirs (in person: an in-person or hybrid session; virtual: an online
   or hybrid one), no session over its places;
2. as many as possible on their session's theme: each session is given at most
   one theme (its own, when set by hand), and a presenter counts when the
   session's theme is one of theirs, so presenters on one theme sit together;
3. as few sessions left empty as possible.

Presenters and sessions are read in reference and start order, so the same
data give the same programme whatever order they come in. Each placement says
why in one sentence; so does each presenter left out.

`check_programme` checks a programme edited by hand: each session (title,
times, places, format, room, link), clashes between sessions (one room or one
chair at overlapping times), and each placement (a known presenter and
session, the format fits, the places, a presenter in one session only), and
says what is wrong in words.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

UK = ZoneInfo("Europe/London")
SESSION_FORMATS = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}
PRESENTER_FORMATS = {"in_person": "in person", "virtual": "virtually"}
# Which presenters a session takes: its format -> the presenter formats it fits.
TAKES = {"in_person": ("in_person",), "online": ("virtual",), "hybrid": ("in_person", "virtual")}
NEEDS_ROOM = ("in_person", "hybrid")
NEEDS_LINK = ("online", "hybrid")
SOLVER_OPTIONS: dict[str, Any] = {"mip_rel_gap": 0.0, "time_limit": 10.0}
LINK_PATTERN = re.compile(r"https?://[^\s<>\"'\\]+", re.IGNORECASE)


class ProgrammeError(ValueError):
    """Bad input to the programme (sessions, presenters or kept placements); `problems` are for people."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class ProgrammeSession:
    key: int | str  # the session's id: what placements refer to, and the calendar's UID
    title: str
    starts: dt.datetime
    ends: dt.datetime
    format: str  # "in_person", "online" or "hybrid"
    capacity: int  # the most presenters
    room: str = ""
    online_link: str = ""
    chair: str = ""
    theme: str | None = None  # set by hand: the session is on this theme


@dataclass(frozen=True)
class Presenter:
    submission_id: int
    reference: str
    format: str  # the format accepted: "in_person" or "virtual"
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    submission_id: int
    session_key: int | str
    reason: str = ""


@dataclass(frozen=True)
class Unplaced:
    submission_id: int
    reference: str
    reason: str


@dataclass(frozen=True)
class Proposal:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    session_themes: dict[int | str, str | None]  # the theme each session was given (None: none)
    on_theme: int = 0  # presenters on their session's theme
    empty_sessions: int = 0
    proven_best: bool = True  # False: the solver's time ran out first (said in `note`)

    @property
    def note(self) -> str:
        if self.proven_best:
            return ""
        return (
            "The solver reached its time limit before it could prove these placements the best: they keep every "
            "rule, but a better programme may exist."
        )

    @property
    def by_session(self) -> dict[int | str, list[int]]:
        out: dict[int | str, list[int]] = {k: [] for k in self.session_themes}
        for p in self.placements:
            out.setdefault(p.session_key, []).append(p.submission_id)
        return out


@dataclass(frozen=True)
class ProgrammeCheck:
    problems: tuple[str, ...]  # what must be put right
    notes: tuple[str, ...] = ()  # worth knowing (presenters not placed yet)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Names:
    themes: Mapping[str, str] = field(default_factory=dict)

    def theme(self, code: str) -> str:
        return f"“{self.themes.get(code, code)}”"

    def themes_of(self, codes: Iterable[str]) -> str:
        return ", ".join(self.theme(c) for c in codes)


# --- words ---------------------------------------------------------------------


def when(session: ProgrammeSession) -> str:
    """`Thu 14 Oct 2021, 10:00–11:00` in UK time (`… – Fri 15 Oct 2021, 09:00` across midnight)."""
    start, end = session.starts.astimezone(UK), session.ends.astimezone(UK)
    day = f"{start:%a} {start.day} {start:%b %Y}"
    if end.date() == start.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {end:%a} {end.day} {end:%b %Y}, {end:%H:%M}"


def _name(session: ProgrammeSession) -> str:
    return f"“{session.title}”"


def _text(value: str | None) -> str:
    return (value or "").strip()


def _same_words(a: str | None, b: str | None) -> bool:
    return bool(_text(a)) and " ".join(_text(a).casefold().split()) == " ".join(_text(b).casefold().split())


# --- checking sessions and placements ------------------------------------------


def _aware(value: Any) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def _called(session: ProgrammeSession) -> str:
    return _name(session) if str(session.title).strip() else f"Session {session.key}"


def time_problems(session: ProgrammeSession) -> list[str]:
    """What is wrong with a session's times, in words (a file cannot be made of it then)."""
    if not (_aware(session.starts) and _aware(session.ends)):
        return [f"{_called(session)} needs a start and an end with their time zone (UK time)."]
    if session.ends <= session.starts:
        return [f"{_called(session)} ends before it starts."]
    return []


def session_problems(session: ProgrammeSession) -> list[str]:
    """Everything wrong with one session as input, in words; empty if usable."""
    name = _called(session)
    out: list[str] = []
    if not str(session.title).strip():
        out.append(f"{name} needs a title.")
    out.extend(time_problems(session))
    if isinstance(session.capacity, bool) or not isinstance(session.capacity, int) or session.capacity < 1:
        out.append(f"{name} needs room for at least one presenter, not {session.capacity!r}.")
    if session.format not in SESSION_FORMATS:
        out.append(f"{name} must be in person, online or hybrid, not {session.format!r}.")
        return out
    if session.format in NEEDS_ROOM and not _text(session.room):
        out.append(f"{name} is {SESSION_FORMATS[session.format]} and needs a room.")
    if session.format in NEEDS_LINK and not LINK_PATTERN.fullmatch(_text(session.online_link)):
        out.append(f"{name} is {SESSION_FORMATS[session.format]} and needs an online link starting https://.")
    return out


def _well_timed(s: ProgrammeSession) -> bool:
    return _aware(s.starts) and _aware(s.ends) and s.ends > s.starts


def _overlap(a: ProgrammeSession, b: ProgrammeSession) -> bool:
    return a.starts < b.ends and b.starts < a.ends


def clashes(sessions: Sequence[ProgrammeSession]) -> list[str]:
    """Sessions at overlapping times in one room (in person or hybrid), or with one chair."""
    out: list[str] = []
    ordered = sorted(filter(_well_timed, sessions), key=_session_order)
    for a, b in itertools.combinations(ordered, 2):
        if not _overlap(a, b):
            continue
        both_in_rooms = a.format in NEEDS_ROOM and b.format in NEEDS_ROOM
        if both_in_rooms and _same_words(a.room, b.room):
            out.append(f"{_name(a)} and {_name(b)} are both in “{_text(a.room)}” at overlapping times ({when(a)}).")
        if _same_words(a.chair, b.chair):
            out.append(f"{_text(a.chair)} chairs both {_name(a)} and {_name(b)}, which overlap ({when(a)}).")
    return out


def _presenter_problems(presenters: Sequence[Presenter]) -> list[str]:
    out: list[str] = []
    seen: set[int] = set()
    for p in presenters:
        if p.submission_id in seen:
            out.append(f"{p.reference} is listed twice among the presenters.")
        seen.add(p.submission_id)
        if p.format not in PRESENTER_FORMATS:
            out.append(f"{p.reference} must present in person or virtually, not {p.format!r}.")
    return out


def _input_problems(sessions: Sequence[ProgrammeSession], presenters: Sequence[Presenter]) -> list[str]:
    out = [problem for s in sessions for problem in session_problems(s)]
    keys = [s.key for s in sessions]
    out.extend(f"Two sessions have the key {k!r}." for k in sorted({k for k in keys if keys.count(k) > 1}, key=str))
    out.extend(clashes(sessions))
    out.extend(_presenter_problems(presenters))
    return out


def _placement_problems(
    sessions: Mapping[int | str, ProgrammeSession],
    presenters: Mapping[int, Presenter],
    placements: Sequence[Placement],
) -> list[str]:
    out: list[str] = []
    placed: dict[int, list[ProgrammeSession]] = {}
    for pl in placements:
        person = presenters.get(pl.submission_id)
        session = sessions.get(pl.session_key)
        who = person.reference if person else f"Submission {pl.submission_id}"
        if person is None:
            out.append(f"{who} is not a confirmed presenter, so it cannot be placed.")
        if session is None:
            out.append(f"{who} is placed in a session that does not exist ({pl.session_key!r}).")
        if person is None or session is None:
            continue
        placed.setdefault(person.submission_id, []).append(session)
        if person.format in PRESENTER_FORMATS and person.format not in TAKES.get(session.format, ()):
            out.append(
                f"{who} presents {PRESENTER_FORMATS[person.format]} but {_name(session)} is "
                f"{SESSION_FORMATS.get(session.format, session.format)}."
            )
    out.extend(_twice(presenters, placed))
    out.extend(_over_capacity(sessions, placements))
    return out


def _twice(presenters: Mapping[int, Presenter], placed: Mapping[int, list[ProgrammeSession]]) -> list[str]:
    out: list[str] = []
    for sid, where in placed.items():
        ref = presenters[sid].reference
        for a, b in itertools.combinations(where, 2):
            if a.key == b.key:
                out.append(f"{ref} is placed twice in {_name(a)}.")
            elif _well_timed(a) and _well_timed(b) and _overlap(a, b):
                out.append(f"{ref} is in {_name(a)} and {_name(b)}, which overlap ({when(a)}).")
            else:
                out.append(f"{ref} is placed in both {_name(a)} and {_name(b)}; a presenter speaks in one session.")
    return out


def _over_capacity(sessions: Mapping[int | str, ProgrammeSession], placements: Sequence[Placement]) -> list[str]:
    out: list[str] = []
    for key, session in sessions.items():
        n = sum(1 for pl in placements if pl.session_key == key)
        cap = session.capacity
        if isinstance(cap, int) and not isinstance(cap, bool) and n > cap:
            out.append(f"{_name(session)} has {n} presenters but room for {cap}.")
    return out


def check_programme(
    sessions: Sequence[ProgrammeSession], presenters: Sequence[Presenter], placements: Sequence[Placement]
) -> ProgrammeCheck:
    """What is wrong with a programme (as edited by hand), in words; presenters not placed are a note."""
    problems = _input_problems(sessions, presenters)
    by_key = {s.key: s for s in sessions}
    by_id = {p.submission_id: p for p in presenters}
    problems.extend(_placement_problems(by_key, by_id, placements))
    placed = {pl.submission_id for pl in placements if pl.session_key in by_key}
    notes = [
        f"{p.reference} is not placed in any session yet."
        for p in _presenter_order(presenters)
        if p.submission_id not in placed
    ]
    return ProgrammeCheck(problems=tuple(dict.fromkeys(problems)), notes=tuple(notes))


# --- proposing -----------------------------------------------------------------


def _session_order(s: ProgrammeSession) -> tuple[Any, ...]:
    start = s.starts.timestamp() if _aware(s.starts) else 0.0
    return (start, str(s.title), str(s.key))


def _presenter_order(presenters: Iterable[Presenter]) -> list[Presenter]:
    return sorted(presenters, key=lambda p: (p.reference, p.submission_id))


@dataclass
class _Model:
    """The integer programme: x[p, s] (p placed in s), z[s, t] (s is on theme t), o[p, s] (p is in s and on
    its theme), u[s] (s not empty)."""

    presenters: list[Presenter]
    sessions: list[ProgrammeSession]
    kept: Mapping[int, int | str]
    columns: list[tuple[Any, ...]] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, *name: Any) -> int:
        self.columns.append(name)
        return len(self.columns) - 1

    def build(self) -> None:
        x: dict[tuple[int, int], int] = {}
        for p, person in enumerate(self.presenters):
            for s, session in enumerate(self.sessions):
                if person.format in TAKES[session.format]:
                    x[p, s] = self.var("x", p, s)
        self.x = x
        self._themes(x)
        self._symmetry(x)
        for p in range(len(self.presenters)):
            self.rows.append(({v: 1.0 for (q, _), v in x.items() if q == p}, 0.0, 1.0))
        for s, session in enumerate(self.sessions):
            mine = {v: 1.0 for (_, t), v in x.items() if t == s}
            self.rows.append((mine, 0.0, float(session.capacity)))
            u = self.var("u", s)
            self.rows.append(({**dict.fromkeys(mine, -1.0), u: 1.0}, -np.inf, 0.0))  # u[s] <= sum of x[., s]

    def _themes(self, x: Mapping[tuple[int, int], int]) -> None:
        self.z: dict[tuple[int, str], int] = {}
        self.o: dict[tuple[int, int], int] = {}
        for s, session in enumerate(self.sessions):
            offered = sorted({t for (p, t2) in x if t2 == s for t in self.presenters[p].themes})
            if session.theme is not None:
                offered = [session.theme]
            for t in offered:
                self.z[s, t] = self.var("z", s, t)
            if offered:
                self.rows.append(({self.z[s, t]: 1.0 for t in offered}, 0.0, 1.0))
        for (p, s), xv in x.items():
            mine = [self.z[s, t] for t in dict.fromkeys(self.presenters[p].themes) if (s, t) in self.z]
            if mine:
                o = self.o[p, s] = self.var("o", p, s)
                self.rows.append(({o: 1.0, xv: -1.0}, -np.inf, 0.0))  # on theme only where placed
                self.rows.append(({o: 1.0, **dict.fromkeys(mine, -1.0)}, -np.inf, 0.0))  # and the theme is one of its

    def _symmetry(self, x: Mapping[tuple[int, int], int]) -> None:
        """Interchangeable sessions (same format and places, no theme of their own, nothing kept in them) are
        filled in order, and interchangeable presenters (same format and themes, not kept) placed in order:
        any programme can be rearranged so, with the same worth, so the best is still found, faster."""
        kept_in = set(self.kept.values())
        groups: dict[Any, list[int]] = {}
        for s, session in enumerate(self.sessions):
            if session.theme is None and session.key not in kept_in:
                groups.setdefault((session.format, session.capacity), []).append(s)
        for members in groups.values():
            for a, b in itertools.pairwise(members):
                load = {v: 1.0 for (_, t), v in x.items() if t == a}
                load.update({v: -1.0 for (_, t), v in x.items() if t == b})
                self.rows.append((load, 0.0, np.inf))
        classes: dict[Any, list[int]] = {}
        for p, person in enumerate(self.presenters):
            if person.submission_id not in self.kept:
                classes.setdefault((person.format, frozenset(person.themes)), []).append(p)
        for members in classes.values():
            for a, b in itertools.pairwise(members):
                placed = {v: 1.0 for (q, _), v in x.items() if q == a}
                placed.update({v: -1.0 for (q, _), v in x.items() if q == b})
                self.rows.append((placed, 0.0, np.inf))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lower, upper = np.zeros(len(self.columns)), np.ones(len(self.columns))
        index = {s.key: i for i, s in enumerate(self.sessions)}
        for p, person in enumerate(self.presenters):
            if person.submission_id in self.kept:
                lower[self.x[p, index[self.kept[person.submission_id]]]] = 1.0
        for (s, _theme), v in self.z.items():
            if self.sessions[s].theme is not None:
                lower[v] = 1.0
        return lower, upper

    def weights(self) -> np.ndarray:
        """Lexicographic: one more placed outweighs every on-theme count, which outweighs every empty session."""
        n_s, n_p = len(self.sessions), len(self.presenters)
        w_theme = n_s + 1
        w_placed = w_theme * (n_p + 1)
        c = np.zeros(len(self.columns))
        for v in self.x.values():
            c[v] = -w_placed
        for v in self.o.values():
            c[v] = -w_theme
        for i, name in enumerate(self.columns):
            if name[0] == "u":
                c[i] = -1.0
        return c

    def solve(self) -> tuple[np.ndarray, bool]:
        """The values of the columns, and whether they are proven the best (False: the time limit came first)."""
        n = len(self.columns)
        if n == 0:
            return np.zeros(0), True
        matrix = np.zeros((len(self.rows), n))
        for r, (coefs, _, _) in enumerate(self.rows):
            for v, a in coefs.items():
                matrix[r, v] = a
        lb = np.array([row[1] for row in self.rows])
        ub = np.array([row[2] for row in self.rows])
        lower, upper = self.bounds()
        res = milp(
            self.weights(),
            integrality=np.ones(n),
            bounds=Bounds(lower, upper),
            constraints=[LinearConstraint(matrix, lb, ub)] if self.rows else [],
            options=SOLVER_OPTIONS,
        )
        if res.status not in (0, 1) or res.x is None:
            raise ProgrammeError([f"The placements could not be worked out ({res.message})."])
        return np.rint(res.x).astype(int), res.status == 0


def propose_placements(
    sessions: Sequence[ProgrammeSession],
    presenters: Sequence[Presenter],
    *,
    keep: Sequence[Placement] = (),
    theme_labels: Mapping[str, str] | None = None,
) -> Proposal:
    """Place the confirmed presenters in the sessions (see the module's docstring); `keep` are placements
    made by hand that stay. Raises `ProgrammeError` (in words) for bad sessions, presenters or kept ones."""
    problems = _input_problems(sessions, presenters)
    if not problems and keep:
        problems = _placement_problems({s.key: s for s in sessions}, {p.submission_id: p for p in presenters}, keep)
    if problems:
        raise ProgrammeError(list(dict.fromkeys(problems)))
    model = _Model(
        presenters=_presenter_order(presenters),
        sessions=sorted(sessions, key=_session_order),
        kept={pl.submission_id: pl.session_key for pl in keep},
    )
    model.build()
    values, proven = model.solve()
    return dataclasses.replace(_read(model, values, _Names(dict(theme_labels or {}))), proven_best=proven)


def _read(model: _Model, values: np.ndarray, names: _Names) -> Proposal:
    where = {p: s for (p, s), v in model.x.items() if values[v]}
    chosen = {s: t for (s, t), v in model.z.items() if values[v]}
    on_theme = {p: chosen[s] for (p, s), v in model.o.items() if values[v] and where.get(p) == s}
    used = {where[p] for p in on_theme}  # a session's theme counts only if someone in it is on it
    label: dict[int, str | None] = {
        s: session.theme if session.theme is not None else (chosen.get(s) if s in used else None)
        for s, session in enumerate(model.sessions)
    }
    placements, unplaced = [], []
    for p, person in enumerate(model.presenters):
        if p in where:
            s = where[p]
            reason = _why_here(model, p, s, (where, on_theme, label), names)
            placements.append(Placement(person.submission_id, model.sessions[s].key, reason))
        else:
            unplaced.append(Unplaced(person.submission_id, person.reference, _why_not_placed(model, p)))
    placements.sort(key=lambda pl: ([s.key for s in model.sessions].index(pl.session_key), pl.submission_id))
    return Proposal(
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        session_themes={model.sessions[s].key: label[s] for s in range(len(model.sessions))},
        on_theme=len(on_theme),
        empty_sessions=len(model.sessions) - len(set(where.values())),
    )


def _fits(model: _Model, p: int) -> list[int]:
    return [s for (q, s) in model.x if q == p]


def _takes(fmt: str) -> str:
    return f"takes {'in-person' if fmt == 'in_person' else 'virtual'} presenters"


def _why_here(
    model: _Model,
    p: int,
    s: int,
    solution: tuple[Mapping[int, int], Mapping[int, str], Mapping[int, str | None]],
    names: _Names,
) -> str:
    """One sentence: why presenter p is in session s (`solution`: where each is, who is on which theme, and
    each session's theme)."""
    where, on_theme, label = solution
    person, session = model.presenters[p], model.sessions[s]
    kind = f"{SESSION_FORMATS[session.format]}, so it {_takes(person.format)}"
    if person.submission_id in model.kept:
        return f"Kept in {_name(session)} by hand ({kind})."
    if p in on_theme:
        others = sum(1 for q, t in on_theme.items() if q != p and t == on_theme[p] and where[q] == s)
        company = f"with {others} other{'s' if others != 1 else ''} on it" if others else "the only one on it"
        return f"In {_name(session)}, on its theme {names.theme(on_theme[p])} ({company}); the session is {kind}."
    if not person.themes:
        return f"In {_name(session)}: no theme given; the session is {kind} and had a place."
    on_its = [t for t in _fits(model, p) if label[t] in person.themes]
    if on_its:
        full = ", ".join(_name(model.sessions[t]) for t in on_its)
        return f"In {_name(session)} ({kind}): the sessions on its theme that take it ({full}) are full."
    return (
        f"In {_name(session)} ({kind}): no session that {_takes(person.format)} is on its "
        f"theme{'s' if len(person.themes) > 1 else ''} ({names.themes_of(person.themes)})."
    )


def _why_not_placed(model: _Model, p: int) -> str:
    person = model.presenters[p]
    if not _fits(model, p):
        return f"No session {_takes(person.format)}."
    return f"Every session that {_takes(person.format)} is full."
