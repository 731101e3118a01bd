"""No full garbage collection after every script run; memory kept bounded by ui.memory instead (issue 21)."""

from __future__ import annotations

import gc
import inspect
import threading
import tomllib
import weakref

from streamlit import config as st_config
from streamlit.runtime.scriptrunner import script_runner

from tests.conftest import ROOT
from tests.factories import make_user
from tests.support.apptest import run_app
from ui import memory


def test_the_servers_config_turns_off_streamlits_collection_after_every_run():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["runner"]["postScriptGC"] is False
    # The option is still Streamlit's, and still what decides the collection at the end of a run.
    assert st_config.get_option("runner.postScriptGC") in (True, False)
    assert 'config.get_option("runner.postScriptGC")' in inspect.getsource(script_runner)


class _Big:
    """A cycle that holds memory, like a DataFrame referenced from a closure that references itself."""

    def __init__(self) -> None:
        self.payload = bytearray(8 << 20)
        self.me = self


def test_garbage_in_cycles_is_freed_by_the_periodic_collection_after_a_run():
    gc.disable()  # only the collection under test may free it
    try:
        memory.collect_if_used()  # start from no pending run
        garbage = _Big()
        alive = weakref.ref(garbage)
        del garbage
        assert alive() is not None  # a cycle: not freed by reference counting
        assert memory.collect_if_used() is False  # no script ran: an idle server does nothing
        assert alive() is not None
        memory.note_run()
        assert memory.collect_if_used() is True
        assert alive() is None
    finally:
        gc.enable()


def test_the_first_run_freezes_what_start_up_made_and_starts_one_collector(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin")
    for _ in range(2):
        at = run_app(db_url, admin)
        assert not at.exception, at.exception
    assert gc.get_freeze_count() > 0
    collectors = [t for t in threading.enumerate() if t.name == memory.COLLECTOR_THREAD]
    assert len(collectors) == 1 and collectors[0].daemon and collectors[0].is_alive()
