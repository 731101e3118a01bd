"""A deterministic, clearly synthetic demo call.

About 300 submissions spread unevenly across the taxonomy, with real-looking
gaps (`DELIBERATE_GAPS`), some anonymous, some evaluations that found harm, and
varied presentation preferences; six reviewers with different habits
(lenient, harsh, narrow), assigned by the app's own solver
(`scoring.assignment`, so nobody reviews their own organisation), with partly
finished reviews; an office user and an admin. Every organisation is in an
invented town, every email address is on a reserved `.example` domain, and
every summary says it is synthetic.

`generate_demo(config)` is pure and seeded (`random.Random(42)`): the same
configuration always gives the same call. `seed_demo(db, ...)` writes it
through the same data functions the app uses.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import update

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from config.settings import DocumentLimits
from data_access import assignments as assignments_da
from data_access import documents as documents_da
from data_access import reviews as reviews_da
from data_access import submissions as submissions_da
from data_access import users as users_da
from data_access.db import Database
from data_access.demo_outbox import seed_demo_outbox
from data_access.demo_programme import seed_demo_programme
from data_access.models import Review
from documents.generate import DemoDocument, demo_documents
from importing.submission_rules import SubmissionInput
from scoring.assignment import ReviewerToAssign, SubmissionToAssign, solve_assignment

SEED = 42
N_SUBMISSIONS = 300
ACTOR = "demo-seed"

TOWNS = [
    "Northbridge",
    "Eastmoor",
    "Castlewick",
    "Lowfield",
    "Harrowgate Vale",
    "Kelderby",
    "Ashcombe",
    "Bramblehurst",
    "Glenarvie",
    "Pennmawr",
    "Carrickbeg",
    "Westerholm",
    "Dunmorrow",
    "Fairhaven",
]
ORG_KINDS = {
    "childrens_social_care": ["Children's Services", "Safeguarding Children Partnership"],
    "education": ["Academy Trust", "Further Education College", "Primary Schools Network"],
    "health": ["Community Health Trust", "Child and Adolescent Health Service"],
    "local_authority": ["Borough Council", "District Council"],
    "police": ["Constabulary Exploitation Unit", "Police Missing and Exploited Team"],
    "youth_justice": ["Youth Justice Service"],
    "first_responder": ["Modern Slavery Response Team"],
    "service_provider": ["Victim Support Service", "Recovery Support Service"],
    "ngo": ["Children's Charity", "Youth Trust", "Families Foundation"],
    "community": ["Community Network", "Neighbourhood Association", "Faith and Community Forum"],
    "survivor_led": ["Survivor Alliance", "Survivors' Collective"],
    "academia": ["Institute for Child Protection Studies", "University Centre for Safeguarding Research"],
    "government": ["Regional Policy Unit"],
    "legal": ["Law Centre", "Children's Legal Practice"],
    "other": ["Sports Foundation", "Arts Collective"],
}
FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Priya",
    "Morgan",
    "Eilidh",
    "Rhys",
    "Aoife",
    "Tomasz",
    "Amara",
    "Kofi",
    "Niamh",
    "Dylan",
    "Farah",
    "Callum",
    "Ines",
    "Oluwaseun",
    "Bethan",
    "Hamza",
    "Róisín",
    "Zoë",
    "Łukasz",
]
LAST = [
    "Demo-Ashby",
    "Demo-Baird",
    "Demo-Carver",
    "Demo-Dhillon",
    "Demo-Evans",
    "Demo-Fraser",
    "Demo-Gallagher",
    "Demo-Hughes",
    "Demo-Iqbal",
    "Demo-Jones",
    "Demo-Kowalski",
    "Demo-Lloyd",
    "Demo-McKenna",
    "Demo-Nwosu",
    "Demo-O'Neill",
    "Demo-Price",
    "Demo-Quinn",
    "Demo-Rahman",
]
ACTIVITIES = {
    "perpetrators": [
        "Disruption panel targeting exploiters",
        "Partnership approach to disrupting perpetrators",
        "Intelligence-led disruption of exploitation networks",
    ],
    "contexts": [
        "Contextual safeguarding in parks and transport hubs",
        "Peer-group mapping with schools",
        "Safer neighbourhoods mapping of exploitation hotspots",
    ],
    "structural_drivers": [
        "Tackling poverty as a driver of exploitation",
        "Anti-racist practice review",
        "Income maximisation for families at risk",
    ],
    "trauma_informed": [
        "Trauma-informed practice training",
        "Trauma-informed residential care model",
        "Reflective supervision for exploitation workers",
    ],
    "advocacy": ["Independent advocacy for exploited young people", "Youth advocates in court"],
    "guardianship": ["Independent guardianship for trafficked children", "Guardian-led transition support"],
    "non_criminalisation": [
        "Section 45 defence awareness programme",
        "Diversion from prosecution protocol",
        "Non-criminalisation pathway for exploited children",
    ],
    "culturally_competent": [
        "Culturally competent outreach with diaspora communities",
        "Interpreter-supported safeguarding conversations",
    ],
}
PRODUCTS = {
    "guide_toolkit": "toolkit",
    "research_evaluation": "evaluation",
    "programme": "programme",
    "initiative": "initiative",
    "other": "resource",
}

# Cells the demo leaves empty on purpose, so the gap map has gaps to show.
DELIBERATE_GAPS = (
    ("structural_drivers", "domestic_servitude"),
    ("perpetrators", "domestic_servitude"),
    ("culturally_competent", "forced_labour"),
    ("guardianship", "forced_labour"),
    ("advocacy", "domestic_servitude"),
)
# Northern Ireland sent nothing on forced labour or domestic servitude.
NATION_GAPS = {"northern_ireland": {"forced_labour", "domestic_servitude"}}


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    password: str
    email: str
    organisation: str | None = None
    leniency: float = 0.0  # added to the true quality
    spread: float = 1.0  # how widely they use the scale
    completion: float = 0.0  # share of their assignments they have submitted


DEMO_USERS = (
    DemoUser("admin", "Demo Coordinator", Role.ADMIN, "admin-demo-pass", "coordinator@iasc-demo.example"),
    DemoUser("office", "Demo Office Lead", Role.OFFICE, "office-demo-pass", "office@iasc-demo.example"),
    DemoUser(
        "reviewer1",
        "Asha Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "asha@panel.example",
        "Northbridge Children's Charity",
        leniency=0.9,
        spread=0.6,
        completion=0.95,
    ),
    DemoUser(
        "reviewer2",
        "Ben Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "ben@panel.example",
        None,
        leniency=-0.8,
        spread=0.8,
        completion=0.85,
    ),
    DemoUser(
        "reviewer3",
        "Carys Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "carys@panel.example",
        "Pennmawr Youth Justice Service",
        leniency=0.1,
        spread=1.3,
        completion=0.7,
    ),
    DemoUser(
        "reviewer4",
        "Declan Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "declan@panel.example",
        None,
        leniency=0.4,
        spread=1.0,
        completion=0.5,
    ),
    DemoUser(
        "reviewer5",
        "Esi Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "esi@panel.example",
        "Institute for Child Protection Studies, Castlewick",
        leniency=-0.3,
        spread=1.1,
        completion=0.3,
    ),
    DemoUser(
        "reviewer6",
        "Fergus Demo-Reviewer",
        Role.REVIEWER,
        "reviewer-demo-pass",
        "fergus@panel.example",
        None,
        leniency=0.0,
        spread=0.9,
        completion=0.1,
    ),
)


@dataclass
class DemoReview:
    submission_index: int
    reviewer: str
    scores: dict[str, int | None]
    comment: str
    recommendation: str
    confidence: str
    submitted: bool
    day: int  # days after the call closed


# One submission in DOCUMENT_EVERY carries evidence documents (and, for each
# reviewer, at least one assigned submission carries a PDF): a sensible subset,
# so that the call has documents to read and seeding stays fast.
DOCUMENT_EVERY = 12
# Word documents cost most to check and clean (every XML part of the package is
# parsed): at most this many toolkits are attached; a toolkit past them is left out.
WORD_DOCUMENTS = 4
# Which of a theme's demo documents (`documents.generate.demo_documents`) an evidence form brings.
FORM_DOCUMENT = {"research_evaluation": "evaluation", "guide_toolkit": "toolkit", "programme": "programme"}


@dataclass
class DemoCall:
    submissions: list[SubmissionInput]
    assignments: list[tuple[int, str]]  # (submission index, reviewer username)
    conflicts: list[tuple[int, str, str]]  # (submission index, reviewer, reason)
    reviews: list[DemoReview] = field(default_factory=list)
    documents: list[tuple[int, str]] = field(default_factory=list)  # (submission index, demo document's file name)


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


FOCUS_WEIGHTS = {
    "perpetrators": 5,
    "contexts": 6,
    "structural_drivers": 1.2,
    "trauma_informed": 7,
    "advocacy": 3,
    "guardianship": 2,
    "non_criminalisation": 3,
    "culturally_competent": 1,
}
SECTOR_WEIGHTS = {
    "childrens_social_care": 14,
    "education": 8,
    "health": 5,
    "local_authority": 7,
    "police": 9,
    "youth_justice": 5,
    "first_responder": 3,
    "service_provider": 6,
    "ngo": 16,
    "community": 6,
    "survivor_led": 4,
    "academia": 10,
    "government": 2,
    "legal": 2,
    "other": 2,
}
SOURCE_OF_SECTOR = {
    "survivor_led": "survivor_led",
    "academia": "academic_ngo",
    "community": "community",
    "childrens_social_care": "multi_agency",
    "local_authority": "multi_agency",
    "police": "multi_agency",
}
FINDINGS = {
    "positive": "Early monitoring suggests fewer missing episodes and more disclosures.",
    "mixed": "Results were mixed: engagement improved but outcomes varied between sites.",
    "negative": "The evaluation found the approach increased some children's contact with exploiters; "
    "it was stopped and the learning shared.",
    "not_yet_known": "Outcomes are not yet known; an evaluation is planned.",
}


# The steps of one synthetic submission. Each draws from `rng` in a fixed order:
# `_submission` calls them in that order, so a seed gives the same call every time.


def _focus_and_themes(rng: random.Random, config: CallConfig) -> tuple[list[str], list[str]]:
    theme_of = config.focus_area_theme()
    focus_weights = {k: FOCUS_WEIGHTS.get(k, 1.0) for k in theme_of}
    focus = [_weighted(rng, focus_weights)]
    if rng.random() < 0.35:
        second = _weighted(rng, focus_weights)
        if second not in focus:
            focus.append(second)
    themes = sorted({theme_of[f] for f in focus}, key=lambda t: config.vocabulary("themes").ids.index(t))
    if len(themes) == 1 and rng.random() < 0.12:
        themes = config.vocabulary("themes").ids[:]
    return focus, themes


def _exploitation_types(rng: random.Random, focus: list[str], nation: str) -> list[str]:
    exploitation = [
        _weighted(
            rng, {"criminal_exploitation": 9, "sexual_exploitation": 7, "forced_labour": 2.5, "domestic_servitude": 1}
        )
    ]
    if rng.random() < 0.4:
        extra = _weighted(
            rng, {"criminal_exploitation": 4, "sexual_exploitation": 4, "forced_labour": 2, "domestic_servitude": 1}
        )
        if extra not in exploitation:
            exploitation.append(extra)
    blocked = {e for f in focus for (g, e) in DELIBERATE_GAPS if g == f} | NATION_GAPS.get(nation, set())
    return [e for e in exploitation if e not in blocked] or (
        ["criminal_exploitation"] if "criminal_exploitation" not in blocked else ["sexual_exploitation"]
    )


def _sector_and_source(rng: random.Random, config: CallConfig) -> tuple[str, str]:
    sector = _weighted(rng, SECTOR_WEIGHTS)
    source = SOURCE_OF_SECTOR.get(sector, "practitioner")
    if rng.random() < 0.15:
        source = rng.choice(config.vocabulary("evidence_source").ids)
    return sector, source


def _forms_stage_impact(rng: random.Random) -> tuple[list[str], str, str, bool]:
    """Evidence forms, stage, reported impact, and whether the submission is anonymous."""
    forms = [
        _weighted(rng, {"guide_toolkit": 6, "research_evaluation": 5, "programme": 6, "initiative": 4, "other": 0.5})
    ]
    if rng.random() < 0.25:
        extra_form = rng.choice(["research_evaluation", "programme", "guide_toolkit"])
        if extra_form not in forms:
            forms.append(extra_form)
    stage = _weighted(rng, {"early": 4, "established": 4, "evaluated": 3})
    if "research_evaluation" in forms and rng.random() < 0.6:
        stage = "evaluated"
    impact = _weighted(rng, {"positive": 5, "mixed": 2, "not_yet_known": 2.5, "negative": 0.3})
    if stage == "evaluated" and rng.random() < 0.18:
        impact = "negative"
    if stage == "early" and impact == "negative":
        impact = "not_yet_known"
    anonymous = (impact == "negative" and rng.random() < 0.6) or rng.random() < 0.03
    return forms, stage, impact, anonymous


def _title_and_summary(
    rng: random.Random,
    i: int,
    config: CallConfig,
    *,
    town: str,
    focus: list[str],
    forms: list[str],
    exploitation: list[str],
    impact: str,
) -> tuple[str, str]:
    activity = rng.choice(ACTIVITIES[focus[0]])
    product = PRODUCTS[forms[0]]
    title = f"{activity}: {town} {product}"
    if i % 17 == 0:
        title += f" (phase {rng.randint(2, 3)})"
    exploitation_text = " and ".join(config.vocabulary("exploitation_types").label(e).lower() for e in exploitation)
    summary = (
        f"{activity} in {town}, focused on {exploitation_text}. "
        f"Developed with {rng.choice(['young people', 'parents and carers', 'practitioners', 'survivors', 'schools'])}.\n"
        f"{FINDINGS[impact]}\n(Synthetic demo data: this organisation and project do not exist.)"
    )
    return title, summary


def _submission(rng: random.Random, i: int, config: CallConfig) -> SubmissionInput:
    focus, themes = _focus_and_themes(rng, config)
    nation = _weighted(
        rng, {"england": 62, "scotland": 12, "wales": 9, "northern_ireland": 4, "uk_wide": 10, "outside_uk": 3}
    )
    exploitation = _exploitation_types(rng, focus, nation)
    sector, source = _sector_and_source(rng, config)
    forms, stage, impact, anonymous = _forms_stage_impact(rng)
    town = rng.choice(TOWNS)
    org = f"{town} {rng.choice(ORG_KINDS[sector])}"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    slug = "".join(ch for ch in town.lower() if ch.isalpha())
    email_user = "".join(ch for ch in first.lower() if ch.isascii() and ch.isalpha()) or "contact"
    title, summary = _title_and_summary(
        rng, i, config, town=town, focus=focus, forms=forms, exploitation=exploitation, impact=impact
    )
    pref = _weighted(rng, {"either": 40, "in_person": 20, "virtual": 25, "not_available": 15})
    received = dt.datetime(2021, 7, 5, 9, tzinfo=dt.UTC) + dt.timedelta(
        minutes=int(rng.betavariate(2.2, 1.1) * 63 * 24 * 60)
    )
    return SubmissionInput(
        reference=f"{config.reference_prefix}-{i + 1:04d}",
        title=title,
        summary=summary,
        themes=themes,
        focus_areas=focus,
        exploitation_types=exploitation,
        evidence_forms=forms,
        evidence_source=source,
        sector=sector,
        nation=nation,
        stage=stage,
        reported_impact=impact,
        presentation_preference=pref,
        anonymous=anonymous,
        organisation=org,
        contact_name=f"{first} {last}",
        contact_email=f"{email_user}.{i + 1}@{slug}.example",
        region=town if nation != "uk_wide" else None,
        received_at=received,
        links=[f"https://{slug}.example/evidence/{i + 1}.pdf"] if rng.random() < 0.5 else [],
    )


def _assign(
    subs: list[SubmissionInput], reviewers: list[DemoUser], config: CallConfig, seed: int
) -> list[tuple[int, str]]:
    """(submission index, reviewer username) pairs, from the app's own solver."""
    plan = solve_assignment(
        [
            SubmissionToAssign(i, sub.reference or str(i), sub.organisation, sub.contact_email)
            for i, sub in enumerate(subs)
        ],
        [ReviewerToAssign(j, u.name, u.organisation, u.email) for j, u in enumerate(reviewers)],
        k=config.reviewers_per_submission,
        seed=seed,
    )
    return [(i, reviewers[j].username) for i, j in plan.new]


def _declared_conflicts(by_reviewer: dict[str, list[int]]) -> list[tuple[int, str, str]]:
    declared = [
        ("reviewer4", 7, "I advised this project in 2020."),
        ("reviewer2", 21, "A close colleague leads this work."),
    ]
    return [
        (by_reviewer[r][min(pos, len(by_reviewer[r]) - 1)], r, reason)
        for r, pos, reason in declared
        if by_reviewer.get(r)
    ]


def _review_scores(
    rng: random.Random, u: DemoUser, quality: dict[str, float], config: CallConfig
) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for c in config.criterion_ids:
        if rng.random() < 0.04:
            scores[c] = None
            continue
        raw = 3 + u.leniency + u.spread * quality[c] + rng.gauss(0, 0.5)
        scores[c] = max(1, min(5, round(raw)))
    return scores


def _review(
    rng: random.Random, u: DemoUser, i: int, *, submitted: bool, quality: dict[str, float], config: CallConfig
) -> DemoReview:
    """One reviewer's review of submission `i`, submitted or a draft."""
    scores = _review_scores(rng, u, quality, config)
    extreme = any(v in (1, 5) for v in scores.values())
    comment = (
        "Strong, well-evidenced work that others could adopt."
        if max(v or 0 for v in scores.values()) >= 4
        else "Promising but the evidence is thin so far."
    )
    if not extreme and rng.random() < 0.3:
        comment = ""
    mean = sum(v for v in scores.values() if v) / max(1, sum(1 for v in scores.values() if v))
    recommendation = "invite" if mean >= 4 else ("feature" if mean >= 3 else "note")
    return DemoReview(
        i,
        u.username,
        scores if submitted else dict(list(scores.items())[:2]),
        comment,
        recommendation,
        rng.choice(["low", "medium", "high", "high"]),
        submitted,
        day=1 + int(rng.random() * 17),
    )


def generate_demo(config: CallConfig, *, n: int = N_SUBMISSIONS, seed: int = SEED) -> DemoCall:
    rng = random.Random(seed)
    subs = [_submission(rng, i, config) for i in range(n)]
    reviewers = [u for u in DEMO_USERS if u.role == Role.REVIEWER]
    assignments = _assign(subs, reviewers, config, seed)
    by_reviewer: dict[str, list[int]] = {}
    for i, name in assignments:
        by_reviewer.setdefault(name, []).append(i)
    conflicts = _declared_conflicts(by_reviewer)
    conflicted = {(i, r) for i, r, _ in conflicts}
    quality = {i: {c: rng.gauss(0, 1) for c in config.criterion_ids} for i in range(n)}
    reviews: list[DemoReview] = []
    for u in reviewers:
        mine = [i for i in by_reviewer.get(u.username, []) if (i, u.username) not in conflicted]
        n_done = round(u.completion * len(mine))
        n_draft = min(len(mine) - n_done, max(1, len(mine) // 20))
        reviews += [
            _review(rng, u, i, submitted=pos < n_done, quality=quality[i], config=config)
            for pos, i in enumerate(mine[: n_done + n_draft])
        ]
    return DemoCall(subs, assignments, conflicts, reviews, _plan_documents(subs, assignments, conflicted))


def _document_name(sub: SubmissionInput, form: str) -> str:
    slug = FORM_DOCUMENT.get(form, "programme")
    return f"{sub.themes[0]}-{slug}.{'docx' if slug == 'toolkit' else 'pdf'}"


def _plan_documents(
    subs: list[SubmissionInput], assignments: list[tuple[int, str]], conflicted: set[tuple[int, str]]
) -> list[tuple[int, str]]:
    """Which demo document goes to which submission: its first evidence form's
    document (a second form brings a second one) for one submission in
    DOCUMENT_EVERY (the first WORD_DOCUMENTS toolkits only; a submission left
    without one gets its programme description); then, for a reviewer with no
    PDF among their assignments yet, their first assignment's evaluation report."""
    plan: list[tuple[int, str]] = []
    for i, sub in enumerate(subs):
        if i % DOCUMENT_EVERY == DOCUMENT_EVERY // 2:
            names = list(dict.fromkeys(_document_name(sub, form) for form in sub.evidence_forms))
            words = sum(name.endswith(".docx") for _, name in plan)
            names = [n for n in names if not n.endswith(".docx") or words < WORD_DOCUMENTS]
            plan += [(i, name) for name in names or [_document_name(sub, "programme")]]
    for reviewer in sorted({r for _, r in assignments}):
        mine = [i for i, r in assignments if r == reviewer and (i, reviewer) not in conflicted]
        if mine and not any(i in mine and name.endswith(".pdf") for i, name in plan):
            plan.append((mine[0], _document_name(subs[mine[0]], "research_evaluation")))
    return plan


def seed_demo(db: Database, *, config: CallConfig, bcrypt_rounds: int = 12, n: int = N_SUBMISSIONS) -> dict[str, int]:
    """Write the demo call into an empty database, in one transaction."""
    demo = generate_demo(config, n=n)
    with db.write() as session:
        if submissions_da.count_submissions(session) or users_da.count_users(session):
            raise RuntimeError("The database is not empty; the demo call is only written into an empty one.")
        hashes: dict[str, str] = {}
        user_ids: dict[str, int] = {}
        for u in DEMO_USERS:
            if u.password not in hashes:
                # The demo's published passwords: accepted here, the demo call itself, and
                # refused everywhere else outside demo mode (`manage.py seed-demo` needs it on).
                hashes[u.password] = users_da.hash_password(
                    u.password, username=u.username, rounds=bcrypt_rounds, demo_mode=True
                )
            user_ids[u.username] = users_da.create_user(
                session,
                username=u.username,
                name=u.name,
                role=u.role,
                password_hash=hashes[u.password],
                email=u.email,
                organisation=u.organisation,
                actor=ACTOR,
            ).id
        sub_ids = [
            submissions_da.create_submission(session, data=s, config=config, actor=ACTOR) for s in demo.submissions
        ]
        for i, reviewer in demo.assignments:
            assignments_da.add_assignment(
                session, submission_id=sub_ids[i], reviewer_id=user_ids[reviewer], actor=ACTOR, source="auto"
            )
        for i, reviewer, reason in demo.conflicts:
            assignments_da.declare_conflict(
                session,
                submission_id=sub_ids[i],
                reviewer_id=user_ids[reviewer],
                actor=reviewer,
                source="reviewer",
                reason=reason,
            )
        closed = dt.datetime.combine(config.submissions_close, dt.time(10), tzinfo=dt.UTC)
        for r in demo.reviews:
            record = reviews_da.save_review(
                session,
                submission_id=sub_ids[r.submission_index],
                reviewer_id=user_ids[r.reviewer],
                actor=r.reviewer,
                submit=r.submitted,
                expected_version=None,
                config=config,
                draft=reviews_da.ReviewDraft(
                    scores=r.scores,
                    comment=r.comment,
                    recommendation=r.recommendation if r.submitted else None,
                    confidence=r.confidence if r.submitted else None,
                ),
            )
            when = closed + dt.timedelta(days=r.day, hours=r.submission_index % 8)
            session.execute(
                update(Review)
                .where(Review.id == record.id)
                .values(created_at=when, updated_at=when, submitted_at=when if r.submitted else None)
            )
        admin = next(u for u in DEMO_USERS if u.role == Role.ADMIN)
        coordinator = Viewer(user_ids[admin.username], admin.username, admin.name, admin.role)
        _attach_documents(session, demo, sub_ids, themes=tuple(config.vocabulary("themes").ids), admin=coordinator)
        messages = seed_demo_outbox(session, config=config, admin=coordinator, sub_ids=sub_ids)
        presenters = seed_demo_programme(session, config=config, admin=coordinator)
    return {
        "users": len(DEMO_USERS),
        "submissions": len(sub_ids),
        "documents": len(demo.documents),
        "assignments": len(demo.assignments),
        "reviews": sum(r.submitted for r in demo.reviews),
        "drafts": sum(not r.submitted for r in demo.reviews),
        "messages": messages,
        "invited presenters": presenters,
    }


@functools.cache
def _demo_files(themes: tuple[str, ...]) -> dict[str, DemoDocument]:
    """The demo documents by file name, generated once per process (the same bytes every time)."""
    return {d.filename: d for d in demo_documents(themes)}


def _attach_documents(session, demo: DemoCall, sub_ids: list[int], *, themes: tuple[str, ...], admin: Viewer) -> None:
    """Attach the planned demo documents through the admin's own function (checked,
    cleaned, text extracted, audited); the same file on several submissions is stored once."""
    files = _demo_files(themes)
    for i, name in demo.documents:
        documents_da.attach_document(
            session,
            submission_id=sub_ids[i],
            name=name,
            content=files[name].content,
            actor=admin,
            limits=DocumentLimits(),
        )


def demo_sign_ins() -> list[tuple[str, str, str]]:
    """(role, username, password) of the demo accounts, for the console."""
    return [(u.role, u.username, u.password) for u in DEMO_USERS]
