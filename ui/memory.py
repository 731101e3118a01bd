"""Memory kept bounded without a full garbage collection after every script run.

Streamlit's `runner.postScriptGC` (on by default) runs `gc.collect(2)` at the
end of every script run. On this app's server, with a 10,000-submission call
in its caches, that collection was 78-82% of the server's active CPU on
trivial reruns (a click on a small page: 170-270 ms of CPU with it, 25-30 ms
without), and it holds the GIL, so every session waits for it. It is off in
`.streamlit/config.toml`; instead, once per server process (`keep_bounded`,
called by app.py on every run, does its work only the first time):

* `gc.freeze()` after the first collection: the objects alive once the app
  has started (its modules, Streamlit's, pandas') go to the permanent
  generation, which no later collection walks again;
* Python's own generational collection still runs as objects are allocated
  (its thresholds are left as they are), so cyclic garbage is still found;
* a daemon thread (`COLLECTOR_THREAD`) runs a full collection every
  `COLLECT_EVERY_SECONDS`, and only when a script has run since the last one
  (`note_run`), so that garbage that the generational thresholds would leave
  for long (a few large cycles holding DataFrames) is freed within that time
  while an idle server does nothing.

Measured in docs/architecture.md ("Speed").
"""

from __future__ import annotations

import gc
import threading
import time

COLLECT_EVERY_SECONDS = 30.0
COLLECTOR_THREAD = "evidence-gc"

_lock = threading.Lock()
_runs = [0]  # scripts run since the last full collection (a list: shared, mutable)


def note_run() -> None:
    """A script run happened (garbage may have been made)."""
    _runs[0] += 1


def collector_running() -> bool:
    return any(t.name == COLLECTOR_THREAD and t.is_alive() for t in threading.enumerate())


def keep_bounded(every: float = COLLECT_EVERY_SECONDS) -> None:
    """The first call in a process collects, freezes what is alive and starts the
    collector thread; every call counts a run."""
    note_run()
    if collector_running():
        return
    with _lock:
        if collector_running():
            return
        gc.collect()
        gc.freeze()
        threading.Thread(target=_collect_forever, args=(every,), name=COLLECTOR_THREAD, daemon=True).start()


def _collect_forever(every: float) -> None:
    while True:
        time.sleep(every)
        collect_if_used()


def collect_if_used() -> bool:
    """A full collection if a script has run since the last one; whether it ran."""
    if not _runs[0]:
        return False
    _runs[0] = 0
    gc.collect()
    return True
