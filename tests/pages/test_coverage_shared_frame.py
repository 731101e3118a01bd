"""Issue 21: Coverage's frame of codes and scores is one object shared by every run (`ui.coverage._frame`, a
`st.cache_resource`: no copy unpickled on each visit), and no run changes it: each gets a shallow copy, which
pandas' copy-on-write copies where the run changes it."""

from __future__ import annotations

import pandas as pd

import ui.coverage
from tests.pages.test_coverage_page import call, select  # noqa: F401 (call: a fixture)
from tests.support.apptest import download, rerun, run_app


def test_every_run_shares_one_frame_and_none_changes_it(db_url, call, monkeypatch):  # noqa: F811
    handed = []
    real = ui.coverage._frame

    def kept(*args, **kwargs):
        handed.append(real(*args, **kwargs))
        return handed[-1]

    monkeypatch.setattr(ui.coverage, "_frame", kept)
    at = run_app(db_url, call["office"], page="pages/coverage.py")
    assert not at.exception, at.exception
    shared = handed[0]
    before = shared.copy(deep=True)

    at.multiselect(key="coverage.nation").set_value(["scotland"])
    at.toggle(key="coverage.reviewed").set_value(True)
    rerun(at, db_url)
    select(at, db_url, "nation", ("focus:perpetrators", "scotland"))
    assert not at.exception, at.exception
    exports = run_app(db_url, call["admin"], page="pages/exports.py")
    download(next(b for b in exports.download_button if b.label == "Download the coverage table"))
    assert len(handed) >= 4 and all(frame is shared for frame in handed)  # one frame, every run and page
    pd.testing.assert_frame_equal(shared, before)

    copy = shared.copy(deep=False)  # what coverage_data hands a run: changing it leaves the shared frame be
    copy.loc[:, "score"] = -1.0
    copy["nation"] = "changed by a run"
    pd.testing.assert_frame_equal(shared, before)
