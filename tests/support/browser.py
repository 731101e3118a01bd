"""Small helpers for driving the Streamlit app in Chromium.

Waiting for the app is waiting for what its WebSocket says, never for a fixed
time: every browser context the tests make (through `Watched`, which the
`chromium` fixture is) carries `WIRE_WATCH`, a script that notes, in the order
they happen, each run the page asks for (a `rerun_script` BackMsg), each run
the server starts (`new_session`) and ends (`script_finished`), and each answer
a component frame posts to the page. `wait_idle` waits until the server has
started a run since the page last asked for one, that run has ended and the
page has drawn its end."""

from __future__ import annotations

# How the tests and the benches start Debian's Chromium. Here, not in tests/browser/conftest.py, so
# that a bench can use it without importing the tests' configuration (which sets its own cookie key).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

# Top-level protobuf fields (streamlit/proto): BackMsg.rerun_script = 11;
# ForwardMsg.new_session = 4, ForwardMsg.script_finished = 6 (an enum:
# FINISHED_EARLY_FOR_RERUN = 2 is a run cut short by the next one, not an end).
WIRE_WATCH = """(() => {
  if (window.__evidenceWire || !window.WebSocket) return;
  const wire = { seq: 0, asked: 0, started: 0, ended: 0, answers: 0 };
  window.__evidenceWire = wire;
  const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  const fields = (bytes) => {  // the message's top-level fields: number -> varint value (null if not a varint)
    const found = new Map();
    let i = 0;
    const varint = () => { let value = 0, shift = 0, b; do { b = bytes[i++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80 && i < bytes.length); return value; };
    while (i < bytes.length) {
      const tag = varint(), type = tag % 8;
      if (type === 0) found.set(Math.floor(tag / 8), varint());
      else if (type === 2) { const length = varint(); found.set(Math.floor(tag / 8), null); i += length; }
      else if (type === 1) i += 8;
      else if (type === 5) i += 4;
      else break;
    }
    return found;
  };
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    const bytes = bytesOf(data);
    if (bytes && fields(bytes).has(11)) wire.asked = ++wire.seq;
    return send.call(this, data);
  };
  window.WebSocket = new Proxy(Native, {
    construct(target, args) {
      const socket = new target(...args);
      socket.addEventListener('message', (event) => {
        const bytes = bytesOf(event.data);
        if (!bytes) return;
        const found = fields(bytes);
        if (found.has(4)) wire.started = ++wire.seq;
        if (found.has(6) && found.get(6) !== 2) wire.ended = ++wire.seq;
      });
      return socket;
    },
  });
  window.addEventListener('message', (event) => {  // a component frame's answer (the cookie component's)
    if (event.data && event.data.type === 'streamlit:setComponentValue') wire.answers += 1;
  });
})();"""

IDLE = """() => {
    const wire = window.__evidenceWire;
    if (!wire) throw new Error('this page was opened without WIRE_WATCH: make its context with tests.support.browser.Watched');
    const app = document.querySelector('[data-testid="stApp"]');
    return wire.started > wire.asked && wire.ended > wire.started && !!app
        && app.dataset.testScriptState === 'notRunning' && app.dataset.testConnectionState === 'CONNECTED'
        && !document.querySelector('[data-stale="true"]');
}"""


class Watched:
    """A Playwright browser whose every new context carries WIRE_WATCH (see the module's docstring)."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(WIRE_WATCH)
        return context

    def new_page(self, **options):
        return self.new_context(**options).new_page()

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


# Streamlit sends a widget's change from a task it queues (setTimeout 0) as the
# click or key is handled: let the tasks queued so far run first, so that the
# run that change asks for is known to the watch.
QUEUED_TASKS = "() => new Promise(done => setTimeout(() => setTimeout(done, 0), 0))"


def wait_idle(page, timeout: int = 30_000) -> None:
    """Wait until the app has finished the run the page last asked for (or, on a
    page just opened, its first run), and cleared what the run before it drew
    (elements kept a moment, marked stale, would otherwise be found twice or
    clicked to no effect)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.evaluate(QUEUED_TASKS)
    except PlaywrightError as exc:  # the page is loading another document, whose watch starts afresh
        if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
            raise
    page.wait_for_function(IDLE, timeout=timeout, polling="raf")


LOADED = """() => document.readyState === 'complete' && [...document.images].every(image => image.complete)"""


def wait_loaded(page, timeout: int = 30_000) -> None:
    """Wait until what the page has asked for has come: every image complete (loaded or refused), every
    frame in it loaded, and a frame drawn since (polling on animation frames, so that what a style asks
    for has been asked). A check that nothing was fetched waits for this, not for a fixed time."""
    page.wait_for_function(LOADED, timeout=timeout, polling="raf")
    for frame in page.frames:
        frame.wait_for_load_state("load", timeout=timeout)
    page.wait_for_function(LOADED, timeout=timeout, polling="raf")


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    answers = component_answers(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").first.wait_for()  # a redraw may hold two a moment
    wait_for_cookie(page, answered_after=answers)


def component_answers(page) -> int:
    """How many answers component frames have posted to this page so far."""
    return page.evaluate("() => window.__evidenceWire ? window.__evidenceWire.answers : 0")


def wait_for_cookie(
    page, name: str = "evidence_review_session", timeout_ms: int = 15_000, *, answered_after: int = 0
) -> None:
    """After a sign-in the cookie component writes the cookie, answers the page
    (which starts a run) and the app redraws: wait until the browser holds the
    cookie, a component has answered since `answered_after` answers (see
    `component_answers`), and the run its answer started has ended."""
    page.wait_for_function(
        """([name, after]) => {
            const wire = window.__evidenceWire;
            return !!wire && wire.answers > after && document.cookie.split('; ').some(c => c.startsWith(name + '='));
        }""",
        arg=[name, answered_after],
        timeout=timeout_ms,
        polling="raf",
    )
    wait_idle(page)


def nav_links(page) -> list[str]:
    """The page titles listed in the sidebar navigation."""
    # Each link's text is the icon's name, then the title.
    return [t.strip().split("\n")[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)


def go_to(page, title: str) -> None:
    """Open a page through the sidebar navigation and wait for its heading."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    wait_idle(page)


def choose(page, box: str, option: str, attempts: int = 3):
    """Choose `option` in the select box labelled `box`; returns the option's
    locator once it is in the opened list (click it to choose). A click that
    lands while a run redraws the box can leave its list closed: it is opened
    again (at most `attempts` times), never waited for blindly."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(attempts):
        wait_idle(page)
        page.get_by_role("combobox", name=box).click()
        try:
            choice.wait_for(timeout=5_000)
            return choice
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
    return choice


def watch_run_ends(page) -> list[int]:
    """The status of every script run's end the page receives from now on, in order, as the
    list returned fills (`ForwardMsg.ScriptFinishedStatus`: a whole run ends FINISHED_SUCCESSFULLY,
    a fragment's own run FINISHED_FRAGMENT_RUN_SUCCESSFULLY, a run cut for a rerun
    FINISHED_EARLY_FOR_RERUN)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ended: list[int] = []

    def watch(ws) -> None:
        def frame(payload) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "script_finished":
                    ended.append(msg.script_finished)

        ws.on("framereceived", frame)

    page.on("websocket", watch)
    return ended
