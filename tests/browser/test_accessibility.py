"""Accessibility in CI (issue 20): axe-core (axe-playwright-python, which ships it) in Chromium on
every page for every role and signed out, on the demo call, once each page has drawn.

Signed out: the sign-in page, its "Forgot your password?" form, a one-time password link and a
presenter's reply link. Signed in, as the admin, the office and a reviewer: every page the role may
open, a submission's detail, the review form open, the gap map with a cell selected, an import
preview with problems, and a page the role may not open (the refusal). The app has no st.dialog.

A view fails on any serious or critical violation, and on any heading out of order (axe's
heading-order: no h1 -> h3 jumps), unless it is Streamlit's own markup listed in
tests/support/axe_known.py with its upstream reference; the count of those is printed and may not
exceed the number there. The keyboard alone scores and saves a review; the review form's
accessibility tree (what a screen reader reads) names every control; every control shows where
the keyboard's focus is; the review form and the Audit log keep their content at 320 px wide and
at 200% zoom (pictures under the test's tmp dir, copied to docs/img/a11y-*.png for
docs/accessibility.md).

One server of its own and one signed-in browser context per role, shared by the module."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from data_access import account_links, outbox, tokens
from data_access import invitations as inv
from data_access.db import Database
from data_access.models import OutboxMessage, User
from data_access.reviews import get_own_review
from tests.browser.conftest import own_demo_server
from tests.browser.test_import import HEADERS, ROWS
from tests.browser.test_import import choose as choose_typed
from tests.browser.test_reviewing import _untouched, _user
from tests.conftest import ROOT
from tests.data_access.test_delivery import mail_settings
from tests.support.accounts import password_of
from tests.support.axe_known import KNOWN, MAX_KNOWN_PER_VIEW
from tests.support.browser import go_to, sign_in, wait_idle
from tests.support.line_ups import invited_line_up
from tests.support.live import LiveServer
from tests.support.spreadsheets import csv_bytes
from ui.guard import wrong_role_message
from ui.navigation import pages_for, pages_refused

pytestmark = pytest.mark.browser
DOCS_IMG = ROOT / "docs" / "img"
SERIOUS = {"serious", "critical"}
ENFORCED = {"heading-order"}  # failed whatever axe's impact: headings in order on every page
ACCOUNTS = {"admin": "admin", "office": "office", "reviewer": "reviewer1"}
DESKTOP = {"width": 1280, "height": 900}
KEYBOARD_REVIEWER = "reviewer2"  # scores and saves a review with the keyboard alone (this module's server only)

# Whether the node axe names (its selector) is, or is inside, the element `inside` selects.
INSIDE = "([target, inside]) => { const e = document.querySelector(target); return !!e && !!e.closest(inside); }"
# The text of every disabled control (its whole element: label, options, captions) whose contrast with
# what is behind it is under 4.5:1 (WCAG 1.4.3 exempts inactive controls; the issue asks for it anyway:
# a disabled control's words must still be readable). Colours are composited with their opacity.
DISABLED_CONTRAST = """() => {
    const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const behind = el => { const layers = [];
        for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; } }
        let bg = [255, 255, 255, 1]; for (const l of layers.reverse()) bg = over(l, bg); return bg; };
    const opacity = el => { let o = 1; for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; };
    const widgets = new Set([...document.querySelectorAll(':disabled, [aria-disabled="true"]')]
        .map(e => e.closest('[data-testid="stElementContainer"]') || e));
    const low = [];
    for (const widget of widgets) {
        for (const el of [widget, ...widget.querySelectorAll('*')]) {
            const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
            if (!own || !el.getClientRects().length) continue;
            const fg = parse(getComputedStyle(el).color); const bg = behind(el);
            const shown = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
            const [a, b] = [lum(shown), lum(bg)];
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (ratio < 4.5) low.push(`${own.slice(0, 50)}: ${ratio.toFixed(2)}:1`);
        }
    }
    return low;
}"""
# Where a cell of the gap map (a point carrying its cell in customdata) is on the screen, within the
# window, from plotly's own axes (as tests/browser/test_coverage.py).
A_CELL = """() => {
    const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullData) return null;
    const box = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    for (const trace of gd._fullData) {
        if (!(trace.customdata || []).length || !trace.x) continue;
        for (let i = 0; i < trace.x.length; i++) {
            const x = box.left + xa._offset + xa.l2p(trace.x[i]), y = box.top + ya._offset + ya.l2p(trace.y[i]);
            if (y > 40 && y < window.innerHeight - 40 && x > 0 && x < window.innerWidth) return {x, y};
        }
    }
    // No cell on screen: the page moved under the chart since it was scrolled to (a part above it drawn
    // later). Scroll to it again; the next poll looks again.
    gd.scrollIntoView({block: "center"});
    return null;
}"""


@dataclass
class Site:
    server: LiveServer
    db: Database
    links: dict[str, str]
    known: dict[str, int] = field(default_factory=dict)  # view -> known upstream violations met


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Site]:
    """A server of its own on a fresh demo call with a presenter's reply link and a one-time
    password link (minted as the mail sender would), so that no other test's data is touched."""
    links: dict[str, str] = {}

    def prepare(db: Database, public_url: str) -> None:
        invited_line_up(db, "Accessibility line-up", public_url)
        settings = mail_settings(None, EVIDENCE_PUBLIC_URL=public_url)
        with db.write() as s:
            message = s.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == inv.PURPOSE).order_by(OutboxMessage.id.desc())
            ).first()
            sent = inv.fill_link(s, record=outbox.as_record(message), settings=settings, actor="test")
            [line] = [line for line in sent.body_text.splitlines() if "reply?reply=" in line]
            links["reply"] = line.strip()
            person = s.scalar(select(User).where(User.username == "reviewer3"))
            handed = account_links.hand_over(s, user_id=person.id, purpose=tokens.RESET, settings=settings, actor="t")
            links["password"] = handed.url

    with own_demo_server(tmp_path_factory.mktemp("a11y"), prepare=prepare) as (server, db):
        site = Site(server, db, links)
        yield site
    # Printed past pytest's capture, so that every run (CI's too) shows the count that may only go down.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(
            f"\naxe-core: {sum(site.known.values())} known upstream (Streamlit) violations over {len(site.known)} "
            f"views, at most {max(site.known.values(), default=0)} on one (ceiling {MAX_KNOWN_PER_VIEW}, "
            "tests/support/axe_known.py)"
        )


@pytest.fixture(scope="module")
def signed_in(chromium, site: Site) -> Iterator:
    """One signed-in page per role, made when first asked for and shared by the module."""
    made: dict[str, tuple] = {}

    def page_for(role: str):
        if role not in made:
            context = chromium.new_context(viewport=DESKTOP)
            page = context.new_page()
            page.set_default_timeout(30_000)
            sign_in(page, site.server.url, ACCOUNTS[role], password_of(ACCOUNTS[role]))
            made[role] = (context, page)
        return made[role][1]

    yield page_for
    for context, _ in made.values():
        context.close()


@pytest.fixture
def signed_out(chromium) -> Iterator:
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def accessible(page, site: Site, what: str) -> None:
    """No serious or critical violation, and no heading out of order, on the page as it is now,
    other than Streamlit's own listed in tests/support/axe_known.py (counted, at most MAX_KNOWN_PER_VIEW)."""
    wait_idle(page)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)  # nothing still running
    violations = Axe().run(page).response["violations"]
    own, known = [], 0
    for violation in violations:
        entries = [k for k in KNOWN if k.rule == violation["id"]]
        for node in violation["nodes"]:
            target = node["target"][0]
            if any(page.evaluate(INSIDE, [target, k.inside]) for k in entries):
                known += 1
            elif violation.get("impact") in SERIOUS or violation["id"] in ENFORCED:
                own.append(
                    f"{violation['id']} ({violation['impact']}): {violation['help']} at {target}: {node['html'][:160]}"
                )
    site.known[what] = known
    own += [f"disabled control's text at {low}" for low in page.evaluate(DISABLED_CONTRAST)]
    assert not own, f"{what}: " + "; ".join(own)
    assert known <= MAX_KNOWN_PER_VIEW, f"{what}: {known} known upstream violations, more than {MAX_KNOWN_PER_VIEW}"


# --- signed out ---------------------------------------------------------------------------------------


def test_the_signed_out_pages_pass(signed_out, site):
    from ui.presenter_reply import TITLE as REPLY_TITLE

    page = signed_out
    page.goto(site.server.url)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    accessible(page, site, "sign-in")
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_role("textbox", name="Username or email address").wait_for()
    accessible(page, site, "forgot password")
    page.goto(site.links["password"])
    page.get_by_role("textbox", name="New password", exact=True).wait_for()
    accessible(page, site, "one-time password link")
    page.goto(site.links["reply"])
    page.get_by_role("heading", name=REPLY_TITLE).first.wait_for()
    accessible(page, site, "presenter's reply link")


# --- every page for every role ------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_passes_for_the_role(signed_in, site, role):
    page = signed_in(role)
    for spec in pages_for(role):
        go_to(page, spec.title)
        accessible(page, site, f"{role}: {spec.title}")
    reference = _untouched(site.db, ACCOUNTS["reviewer"])[0][1]  # one the reviewer may read too
    page.goto(f"{site.server.url}/submissions?submission={reference}")
    page.get_by_text(f"Submission {reference}", exact=True).wait_for()
    accessible(page, site, f"{role}: a submission's detail")
    refused = pages_refused(role)
    if refused:
        page.goto(f"{site.server.url}/{refused[-1].url_path}")
        page.get_by_text(wrong_role_message(role, refused[-1].key)).first.wait_for()
        accessible(page, site, f"{role}: refused {refused[-1].title}")


def test_the_review_form_open_passes_and_reads_as_labelled_controls(signed_in, site):
    from config import load_call_config

    page = signed_in("reviewer")
    go_to(page, "My reviews")
    form = page.locator(".st-key-my_reviews-form")
    form.get_by_text("Your confidence", exact=True).wait_for()
    accessible(page, site, "reviewer: review form")
    # What a screen reader is given (no Orca here: docs/accessibility.md): each control named in words.
    tree = form.aria_snapshot()
    config = load_call_config()
    for criterion in config.criteria:
        assert f'radiogroup "{criterion.label}: {criterion.question}"' in tree, tree
    for name in ("Recommendation", "Your confidence"):
        assert f'radiogroup "{name}"' in tree, tree
    assert 'textbox "Comment to the panel (required when a score is 1 or 5)"' in tree, tree
    for button in ("Save draft", "Submit", "Submit and next"):
        assert re.search(rf'button "[^"]*{button}"', tree), tree
    assert not re.search(r'(radio|button|textbox|checkbox) ""', tree), tree  # no control without a name


def test_the_gap_map_with_a_cell_selected_passes(signed_in, site):
    page = signed_in("office")
    go_to(page, "Coverage")
    page.get_by_test_id("stPlotlyChart").first.evaluate("e => e.scrollIntoView({block: 'center'})")
    where = page.wait_for_function(A_CELL).json_value()
    page.mouse.click(where["x"], where["y"])
    wait_idle(page)
    page.locator('[data-testid="stText"]').filter(has_text="×").first.wait_for()
    accessible(page, site, "office: gap map, a cell selected")


def test_an_import_preview_with_problems_passes(signed_in, site, tmp_path):
    page = signed_in("admin")
    path = tmp_path / "form export.csv"
    path.write_bytes(csv_bytes(HEADERS, ROWS, encoding="cp1252"))
    go_to(page, "Import")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Spreadsheet to import")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_role("heading", name="Columns").first.wait_for()
    wait_idle(page)
    choose_typed(page, "Value 1 means", "(choose a code)")
    page.get_by_role("button", name="Preview the import").click()
    wait_idle(page)
    page.locator('[data-testid="stAlert"]').filter(has_text=re.compile(r"problems? in")).first.wait_for()
    accessible(page, site, "admin: import preview with problems")


# --- keyboard, focus, zoom ----------------------------------------------------------------------------

# What has the keyboard's focus, and how it is drawn: the outline, shadow and border of the element
# and its four nearest ancestors (a radio or checkbox input is hidden: its option or group draws it).
FOCUS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const look = [];
    for (let el = e, i = 0; el && i < 5; el = el.parentElement, i++) {
        const s = getComputedStyle(el);
        look.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(' '));
    }
    const group = e.closest('[role="radiogroup"]');
    return {
        tag: e.tagName, type: e.getAttribute('type'), value: e.value || null,
        name: (e.getAttribute('aria-label') || e.innerText || e.textContent || '').trim().slice(0, 80),
        group: group ? group.getAttribute('aria-label') : null,
        form: !!e.closest('.st-key-my_reviews-form'),
        look: look.join(' | '),
    };
}"""
BLUR = "() => document.activeElement && document.activeElement.blur()"


def tab_stops(page, limit: int = 200) -> Iterator[dict]:
    """Each place Tab takes the focus to, once round the page (from the top), with how it is drawn
    focused and (`unfocused`) the same element's look with the focus taken away: the next Tab goes on
    from it (the browser keeps its place in the order)."""
    page.evaluate(BLUR)
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS)
        if focused is None:
            return
        key = (focused["tag"], focused["name"], focused["group"], focused["value"])
        if key == first:
            return
        first = first or key
        yield focused


def assert_focus_shown(page, what: str) -> int:
    """Every Tab stop on the page looks different focused and unfocused (WCAG 2.4.7); how many stops."""
    unseen, stops = [], 0
    for focused in tab_stops(page):
        stops += 1
        handle = page.evaluate_handle("() => document.activeElement")
        page.evaluate(BLUR)
        look = handle.evaluate(
            """e => { const look = [];
                for (let el = e, i = 0; el && i < 5; el = el.parentElement, i++) {
                    const s = getComputedStyle(el);
                    look.push([s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor].join(' '));
                }
                return look.join(' | '); }"""
        )
        if focused["tag"] != "CANVAS" and look == focused["look"]:  # a table draws its focus in its canvas
            unseen.append(f"{focused['tag']} {focused['type'] or ''} {focused['name'] or focused['group']!r}")
        handle.evaluate("e => e.focus()")  # back where it was: the next Tab goes on from here
    assert not unseen, f"{what}: no visible focus on {unseen}"
    return stops


def test_every_control_shows_the_keyboards_focus(signed_in, site):
    page = signed_in("reviewer")
    go_to(page, "My reviews")
    page.locator(".st-key-my_reviews-form").get_by_text("Your confidence", exact=True).wait_for()
    wait_idle(page)
    assert assert_focus_shown(page, "review form") > 10
    page = signed_in("admin")
    go_to(page, "Audit log")
    assert assert_focus_shown(page, "Audit log") > 5


def test_a_review_is_scored_and_saved_with_the_keyboard_alone(chromium, site):
    """Tab through the review form: each score group gets its third choice (3) by the arrow keys,
    the recommendation and confidence theirs, and Enter on "Save draft" saves it."""
    from config import load_call_config

    config = load_call_config()
    reviewer = _user(site.db, KEYBOARD_REVIEWER)
    submission_id, reference = _untouched(site.db, KEYBOARD_REVIEWER)[0]
    context = chromium.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_in(page, site.server.url, KEYBOARD_REVIEWER, password_of(KEYBOARD_REVIEWER))
        page.goto(f"{site.server.url}/my_reviews?submission={reference}")
        page.get_by_text(f"Submission {reference}", exact=True).wait_for()
        page.locator(".st-key-my_reviews-form").get_by_text("Your confidence", exact=True).wait_for()
        wait_idle(page)
        chosen, saved = set(), False
        for focused in tab_stops(page):
            if focused["form"] and focused["type"] == "radio" and focused["group"] not in chosen:
                for _ in range(2):
                    page.keyboard.press("ArrowDown")
                    wait_idle(page)
                chosen.add(focused["group"])
            elif focused["tag"] == "BUTTON" and focused["name"].endswith("Save draft"):
                page.keyboard.press("Enter")
                wait_idle(page)
                saved = True
                break
        assert saved, "Tab never reached Save draft"
        assert len(chosen) == len(config.criteria) + 2, chosen
        with site.db.read() as s:
            review = get_own_review(s, submission_id=submission_id, reviewer_id=reviewer)
        assert review is not None and review.status == "draft"
        assert review.scores == {c.id: 3 for c in config.criteria}
        assert review.recommendation == config.recommendations.ids[2]
        assert review.confidence == config.confidence_levels.ids[2]
    finally:
        context.close()


# WCAG 1.4.10 (reflow): 320 CSS px wide; WCAG 1.4.4 (resize text): a 1280 x 900 window at 200% zoom
# lays the page out in 640 x 450 CSS px (drawn here at the usual density).
SIZES = {"320px": {"width": 320, "height": 720}, "zoom-200": {"width": 640, "height": 450}}


def test_the_review_form_and_audit_log_keep_their_content_when_narrow_or_zoomed(signed_in, site, tmp_path):
    for role, title, ready, top, name in (
        ("reviewer", "My reviews", "Submit and next", "Your review", "review-form"),
        ("admin", "Audit log", None, "Audit log", "audit-log"),
    ):
        page = signed_in(role)
        url_path = next(p.url_path for p in pages_for(role) if p.title == title)
        try:
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                page.goto(f"{site.server.url}/{url_path}")  # opened at that size, as a phone or zoomed window would
                page.get_by_role("heading", name=title, exact=True).first.wait_for()
                wait_idle(page)
                # Nothing wider than the window: no sideways scrolling of the page itself.
                assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"], size
                if ready:  # every control of the form is there and can be reached
                    button = page.get_by_role("button", name=ready)
                    button.scroll_into_view_if_needed()
                    expect(button).to_be_visible()
                    expect(page.get_by_role("radiogroup").first).to_be_visible()
                else:  # the table fits the window (it scrolls within itself)
                    table = page.get_by_test_id("stDataFrame").first
                    table.scroll_into_view_if_needed()
                    expect(table).to_be_visible()
                    box = table.bounding_box()
                    assert box is not None and box["width"] <= viewport["width"], size
                # The picture (of the window: the page scrolls inside it) from the part's heading down.
                heading = page.get_by_role("heading", name=top, exact=True).first
                heading.evaluate("e => e.scrollIntoView({block: 'start'})")
                path = tmp_path / f"a11y-{name}-{size}.png"
                page.screenshot(path=str(path))
                DOCS_IMG.mkdir(parents=True, exist_ok=True)
                (DOCS_IMG / path.name).write_bytes(path.read_bytes())
        finally:
            page.set_viewport_size(DESKTOP)
