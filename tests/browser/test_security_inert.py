"""Hostile contributor text stays inert in a real browser, on every page where it appears.

A copy of the demo call gets two extra submissions (one named, one anonymous)
whose title, summary, organisation, contact, region, links and office notes
carry scripts, image error handlers, `javascript:` and `data:` links, remote
images, LaTeX and colour directives; they are reviewed (comments carry the same
text, and so does one reviewer's name) and the named one is in a saved line-up
whose name and notes carry it too. Each role then opens every page where that
text can appear. For each page: no script ran (`window.__xss`), no element the
text would have made exists (in the page or any frame inside it), the text is
on screen as the literal characters, and the browser asked nothing of any
origin but the app's own (requests elsewhere are aborted and recorded).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from access.visibility import Viewer
from config import limits, load_call_config
from data_access import lineups as lineups_da
from data_access import users as users_da
from data_access.db import Database
from data_access.rankings import ranking_inputs
from scoring import calibrate
from scoring.ranking import ranking_table
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.browser.conftest import demo_database, screenshot
from tests.browser.test_coverage import CELL_POSITION
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.browser import wait_idle, wait_loaded
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in
from tests.support.security import PAYLOAD_LINKS, NetworkWatch, payload, probe

NAMED, ANONYMOUS = "CFE-9001", "CFE-9002"
HOSTILE_REVIEWER = "hostile-reviewer"
NAMED_FIELDS = {
    "title": payload("NAMEDTITLE"),
    "summary": payload("NAMEDSUMMARY"),
    "organisation": payload("NAMEDORG"),
    "contact_name": payload("NAMEDCONTACT"),
    "region": payload("NAMEDREGION"),
    "notes": payload("NAMEDNOTES"),
}
ANONYMOUS_FIELDS = {
    "title": payload("ANONTITLE"),
    "summary": payload("ANONSUMMARY"),
    "organisation": payload("ANONORG"),
    "contact_name": payload("ANONCONTACT"),
    "region": payload("ANONREGION"),
}
COMMENT = payload("COMMENT")
REVIEWER_NAME = payload("REVIEWERNAME", longest=limits.USER_NAME)  # the first four tricks
LINE_UP_NAME = "Hostile line-up <script>window.__xss=1</script> :red[x]"


@dataclass
class Hostile:
    server: LiveServer
    db: Database
    named_id: int


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """A server of its own on the demo call plus the hostile submissions."""
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'demo.db'}"
    config = load_call_config()
    db = demo_database(folder / "demo.db")
    codes = {
        "themes": ["sources_of_harm"],
        "focus_areas": ["perpetrators"],
        "exploitation_types": ["forced_labour"],
        "nation": "wales",
        "presentation_preference": "either",
    }
    with db.write() as s:
        hostile_reviewer = make_user(s, role="reviewer", username=HOSTILE_REVIEWER, name=REVIEWER_NAME)
        panel = [hostile_reviewer, *(_viewer(s, name) for name in ("reviewer1", "reviewer2"))]
        named = make_submission(s, config, reference=NAMED, links=PAYLOAD_LINKS, **codes, **NAMED_FIELDS)
        anonymous = make_submission(s, config, reference=ANONYMOUS, anonymous=True, **codes, **ANONYMOUS_FIELDS)
        for sid in (named, anonymous):
            for reviewer in panel:
                assign(s, sid, reviewer)
                submit_review(s, config, sid, reviewer, scores=dict.fromkeys(config.criterion_ids, 5), comment=COMMENT)
    with db.write() as s:
        scores = lineups_da.current_scores(s, config=config)
        labels = labels_from_config(config)
        rules = SelectionRules.from_config(config, pinned=(named,))
        result = select_presenters(lineups_da.candidate_frame(s, scores=scores), rules, labels=labels, explain=False)
        lineups_da.save_line_up(
            s, viewer=_viewer(s, "admin"), name=LINE_UP_NAME, result=result, scores=scores, notes=COMMENT, labels=labels
        )
    server = LiveServer.start(url, folder)
    try:
        yield Hostile(server, db, named)
    finally:
        server.stop()
        db.dispose()


def _viewer(session, username: str) -> Viewer:
    user = users_da.get_user_by_username(session, username)
    return Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)


def ranking_position(db: Database, submission_id: int) -> int:
    """Where a submission is in the Rankings page's table (default sort), computed as the page does."""
    config = load_call_config()
    with db.read() as session:
        inputs = ranking_inputs(session)
    cal = calibrate(inputs.scores, config.weights, disagreement_threshold=config.disagreement_threshold)
    table = ranking_table(
        cal.submissions,
        inputs.submissions,
        criterion_labels={c.id: c.label for c in config.criteria},
        impact_labels=config.vocabulary("reported_impact").labels(),
    )
    return list(table.index).index(submission_id)


class Visit:
    """One signed-in browser whose every page is checked for rendered payload and foreign requests."""

    def __init__(self, chromium, hostile: Hostile, username: str) -> None:
        self.base = hostile.server.url
        self.context = chromium.new_context(viewport={"width": 1400, "height": 1800})
        self.watch = NetworkWatch(self.base)
        self.watch.attach(self.context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.username = username
        arrive_signed_in(self.page, self.base, hostile.db.url, username)

    def open(self, path: str, heading: str) -> None:
        self.page.goto(self.base + path)
        self.page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        wait_idle(self.page)

    def check(self, name: str, *, texts: tuple[str, ...] = ()) -> None:
        """Nothing rendered or fetched; each of `texts` is on screen as an st.text element, character for character."""
        wait_idle(self.page)
        wait_loaded(self.page)  # any image or frame the payload made has been asked for
        screenshot(self.page, f"inert-{self.username}-{name}")
        assert probe(self.page) == [], name
        shown = [t.strip() for t in self.page.locator('[data-testid="stText"]').all_inner_texts()]
        for text in texts:
            assert any(text in s for s in shown), f"{name}: {text[:30]}… is not shown as text"
        assert self.watch.foreign == [], name
        assert self.watch.unexpected == [], name

    def close(self) -> None:
        assert self.watch.seen > 0  # the watch did see the app's own requests
        self.context.close()


def test_admin_sees_hostile_text_inert_on_every_page(chromium, hostile):
    visit = Visit(chromium, hostile, "admin")
    page = visit.page

    visit.open(f"/submissions?submission={NAMED}", "Submissions")
    page.get_by_text("Documents and links", exact=False).first.wait_for()
    live = page.locator("a[data-evidence-link]")
    live.first.wait_for()  # drawn before the checks, so that they see it
    visit.check(
        "submission-named",
        texts=(*NAMED_FIELDS.values(), *PAYLOAD_LINKS[:2], REVIEWER_NAME, COMMENT),
    )
    assert [live.nth(i).get_attribute("href") for i in range(live.count())] == [PAYLOAD_LINKS[2]]
    visit.open(f"/submissions?submission={ANONYMOUS}", "Submissions")
    visit.check("submission-anonymous", texts=tuple(ANONYMOUS_FIELDS.values()))
    page.get_by_role("textbox", name="Search").fill("NAMEDTITLE")
    page.keyboard.press("Enter")
    wait_idle(page)
    visit.check("submissions-search")

    visit.open("/rankings", "Rankings")
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    row = ranking_position(hostile.db, hostile.named_id)
    assert row < 8, "the hostile submission should be near the top of the rankings"
    page.mouse.click(box["x"] + 12, box["y"] + 35 * (row + 1) + 17)  # the row's selection cell
    page.get_by_role("heading", name="Reviews behind the selected row").first.wait_for()
    wait_idle(page)
    page.locator('[data-testid="stPlotlyChart"]').last.scroll_into_view_if_needed()
    visit.check("rankings", texts=(f"{NAMED}: {NAMED_FIELDS['title']}", f"{REVIEWER_NAME}:\n{COMMENT}"))

    visit.open("/coverage", "Evidence and gap map")
    cell_list = page.locator('[data-testid="stText"]').filter(has_text="Perpetrators of exploitation × Forced labour")
    for attempt in range(3):  # a click while the chart still lays itself out can miss: click again, as a person would
        wait_idle(page)
        where = page.wait_for_function(CELL_POSITION, arg=["focus:perpetrators", "forced_labour"]).json_value()
        page.mouse.click(where["x"], where["y"])
        try:
            cell_list.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_idle(page)
    page.get_by_role("heading", name="Submissions in the selected cells").scroll_into_view_if_needed()
    visit.check("coverage-cell")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Mark a saved line-up").click()
    page.get_by_role("option", name=LINE_UP_NAME, exact=False).first.click()
    page.locator('[data-testid="stText"]').filter(has_text="★ marks the cells").wait_for()
    visit.check("coverage-line-up", texts=(f"★ marks the cells of the saved line-up “{LINE_UP_NAME}” (version 1).",))

    for path, heading in (
        ("/selection", "Selection"),
        ("/exports", "Exports"),
        ("/assignments", "Assignments"),
        ("/users", "Users"),
        ("/audit_log", "Audit log"),
    ):
        visit.open(path, heading)
        visit.check(path.strip("/"))
    visit.close()


def test_office_sees_hostile_text_inert(chromium, hostile):
    visit = Visit(chromium, hostile, "office")
    visit.open(f"/submissions?submission={ANONYMOUS}", "Submissions")
    visit.check("submission-anonymous", texts=(*ANONYMOUS_FIELDS.values(), REVIEWER_NAME, COMMENT))
    visit.open("/rankings", "Rankings")
    visit.check("rankings")
    visit.close()


def test_a_reviewer_sees_hostile_text_inert_and_no_anonymous_identity(chromium, hostile):
    visit = Visit(chromium, hostile, "reviewer1")
    page = visit.page
    steps = (
        (
            f"/submissions?submission={NAMED}",
            "Submissions",
            (NAMED_FIELDS["title"], NAMED_FIELDS["organisation"], COMMENT),
        ),
        (
            f"/submissions?submission={ANONYMOUS}",
            "Submissions",
            (ANONYMOUS_FIELDS["title"], ANONYMOUS_FIELDS["summary"]),
        ),
        (f"/my_reviews?submission={ANONYMOUS}", "My reviews", (ANONYMOUS_FIELDS["title"], COMMENT)),
    )
    for path, heading, texts in steps:
        visit.open(path, heading)
        page.get_by_text("Submission CFE-900").first.wait_for()
        visit.check(path.strip("/").split("?")[0] + "-" + path[-4:], texts=texts)
        content = page.content()
        # No anonymous identity, no office notes, no other reviewer's name (the same text stands in each).
        for secret in ("ANONORG", "ANONCONTACT", "ANONREGION", "NAMEDNOTES", "REVIEWERNAME"):
            assert secret not in content, (path, secret)
    visit.close()
