"""Cached data never crosses from one user to another.

`st.cache_data` and `st.cache_resource` are shared by every session of the
server process. The app caches only what is the same for everyone who may
see it: the engine and configuration (keyed by URL or path) and scores and
coverage counts (keyed by database URL and data version: `audit.data_version`,
moved by every write unit that changed shared data), used only on pages for
admin and office. Two proofs:

* the inventory: every cached function in app.py, ui/ and pages/ is listed
  here, takes only those keys (nothing that names a viewer) and reads nothing
  about who is signed in; a new cache fails this test until it is reviewed;
* in one process, admin and office fill every cache, then a reviewer opens
  every page they may open: nothing of what was cached for admin and office
  (identities, other reviewers' names and reviews, unassigned submissions)
  reaches them, and the office gets nothing that is the admin's alone.
"""

from __future__ import annotations

import ast

import pytest
import streamlit as st
from streamlit.runtime.caching.cache_data_api import get_data_cache_stats_provider
from streamlit.runtime.caching.cache_resource_api import get_resource_cache_stats_provider

import ui.coverage
from tests.conftest import ROOT
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from tests.support.figures import figure_strings

# Every cached function, with the arguments that key it. Review a new one before adding it here.
REVIEWED_CACHES = {
    ("ui/context.py", "_call_config"): ("path", "mtime_ns"),
    ("ui/context.py", "_database"): ("url",),
    ("ui/context.py", "_schema_ok"): ("url",),
    ("ui/coverage.py", "_codes"): ("url", "codes_key"),
    # Keyed by the submitted scores' content (ui.scores.content_key); `_scores_key` (unhashed) is what they were
    # read under, of the same content: the scores' key, never the viewer.
    ("ui/coverage.py", "_frame"): ("url", "codes_key", "content", "weights", "threshold", "_scores_key"),
    ("ui/scores.py", "_submitted_scores"): ("url", "key"),
    ("ui/scores.py", "_content"): ("url", "key"),
    ("ui/scores.py", "_calibration"): ("url", "content", "weights", "threshold", "_key"),
    ("ui/rankings.py", "_submission_list"): ("url", "submissions_key"),
    # Every submission unmasked, keyed by its tables' versions: the Submissions page passes it to
    # list_submissions for staff only (a reviewer's list is read for them, their assignments alone; the second
    # proof below and tests/pages/test_submissions_cache.py).
    ("ui/submission_list.py", "_every"): ("url", "key"),
    # The admin's Assignments page (ui.assignment_data; the page checks the role first): the overview keyed by
    # which reviews are drafts and which submitted and its tables' versions (read in the state of its key), the fit
    # by its tables' versions and the call's weights and themes (the call's configuration passed unhashed), every
    # submission's reference by the version of `submissions`. Counts, names and conflicts: the same for every admin.
    ("ui/assignment_data.py", "_overview"): ("url", "key", "k"),
    ("ui/assignment_data.py", "_fit"): ("url", "key", "weights", "themes", "_config"),
    ("ui/assignment_data.py", "_references"): ("url", "key"),
    ("ui/rankings.py", "_review_summary"): ("url", "content", "names_key", "criteria", "_scores_key"),
    ("pages/selection.py", "candidates"): (
        "url",
        "tables_key",
        "scores_content",
        "weights",
        "threshold",
        "_scores_key",
    ),
    # Keyed by the content of the admin's shared candidates frame (ui.selection.content_key), the frame itself
    # passed unhashed: the same frame gives the same line-up and pick list, whoever asks.
    ("pages/selection.py", "propose"): ("content", "rules_json", "labels_json", "_frame"),
    ("ui/selection.py", "_pick_list"): ("content", "rules_json", "_candidates"),
    # Figures, keyed by the builder's name and a digest of the content of all its arguments (ui.figures.fingerprint);
    # `_build` (unhashed) builds the figure of that key: the same inputs give the same figure, whoever asks.
    ("ui/figures.py", "_figure"): ("key", "_build"),
}
# Names that would make a cached result depend on, or be about, the person asking.
VIEWER_NAMES = {"viewer", "user", "user_id", "username", "role", "session_state", "current_viewer", "cookies"}


def cached_functions() -> dict[tuple[str, str], tuple[ast.FunctionDef, tuple[str, ...]]]:
    found = {}
    files = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource"):
                    params = tuple(a.arg for a in node.args.args + node.args.kwonlyargs)
                    found[(str(path.relative_to(ROOT)), node.name)] = (node, params)
    return found


def test_every_cache_is_keyed_by_shared_data_only_and_reads_nothing_about_the_viewer():
    found = cached_functions()
    assert {key: params for key, (_node, params) in found.items()} == REVIEWED_CACHES
    for key, (node, _params) in found.items():
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        assert not names & VIEWER_NAMES, (key, names & VIEWER_NAMES)


@pytest.fixture
def call(db, call_config):
    """Reviewer R has one submission, not yet reviewed by R; reviewer Q reviewed it and an anonymous one."""
    with db.write() as s:
        people = {
            "admin": make_user(s, role="admin"),
            "office": make_user(s, role="office"),
            "r": make_user(s, name="Rhea Reader"),
            "q": make_user(s, name="Quentin Quill"),
            "p": make_user(s, name="Petra Pen"),
        }
        shared = make_submission(s, call_config, title="Shared evidence", presentation_preference="either")
        anonymous = make_submission(
            s,
            call_config,
            title="Anonymous evidence",
            anonymous=True,
            organisation="Hidden Harbour Trust",
            contact_name="Hidden Hana",
            contact_email="hana@hidden.example",
        )
        make_submission(s, call_config, title="Unassigned evidence", notes="Office-only note")
        assign(s, shared, people["r"])
        for sid, comment in ((shared, "Quentin's private comment"), (anonymous, "Quentin on the anonymous one")):
            for reviewer in (people["q"], people["p"]):
                assign(s, sid, reviewer)
                submit_review(s, call_config, sid, reviewer, comment=comment)
    return people


SECRETS = (
    "Hidden Harbour Trust",
    "Hidden Hana",
    "hana@hidden.example",
    "Anonymous evidence",
    "Unassigned evidence",
    "Office-only note",
    "Quentin",
    "Petra",
)
ADMIN_AND_OFFICE_PAGES = ("pages/rankings.py", "pages/coverage.py", "pages/exports.py", "pages/selection.py")


def test_a_reviewer_never_gets_what_was_cached_for_admin_and_office(db_url, call):
    st.cache_data.clear()
    for role in ("admin", "office"):
        for page in ADMIN_AND_OFFICE_PAGES:
            at = run_app(db_url, call[role], page=page)
            assert not at.exception, (role, page, at.exception)
    admin_view = run_app(db_url, call["admin"], page="pages/rankings.py")
    assert "Quentin Quill" in "\n".join(s for c in admin_view.get("plotly_chart") for s in figure_strings(c.proto.spec))
    stats = [
        *get_data_cache_stats_provider().get_stats().values(),
        *get_resource_cache_stats_provider().get_stats().values(),
    ]
    cached = {stat.cache_name.rsplit(".", 1)[-1] for family in stats for stat in family}
    assert {
        "_codes",
        "_frame",
        "_submitted_scores",
        "_calibration",
        "_submission_list",
        "_review_summary",
        "candidates",
    } <= cached  # the caches are warm
    assert ui.coverage._kept_progress  # and Coverage's progress, kept by the submitted reviews' key (counts, ids)

    shown = []
    for page in ("pages/overview.py", "pages/submissions.py", "pages/my_reviews.py"):
        at = run_app(db_url, call["r"], page=page)
        assert not at.exception, (page, at.exception)
        shown.append(texts(at))
        shown.extend(s for c in at.get("plotly_chart") for s in figure_strings(c.proto.spec))
    at = run_app(db_url, call["r"], page="pages/submissions.py")
    at.query_params["ref"] = at.dataframe[0].value["Reference"].iloc[0]
    shown.append(texts(rerun(at, db_url)))
    everything = "\n".join(shown)
    assert "Shared evidence" in everything  # the reviewer's own submission is there
    for secret in SECRETS:
        assert secret not in everything, secret


def test_the_office_gets_nothing_of_the_admins_own_view_from_the_shared_cache(db_url, call):
    st.cache_data.clear()
    admin = run_app(db_url, call["admin"], page="pages/rankings.py")
    assert "Reviewers' leniency (admin only)" in texts(admin)
    office = run_app(db_url, call["office"], page="pages/rankings.py")
    assert not office.exception
    assert "Reviewers' leniency (admin only)" not in texts(office)
    assert len(office.get("plotly_chart")) == len(admin.get("plotly_chart")) - 1
    charts = "\n".join(s for c in office.get("plotly_chart") for s in figure_strings(c.proto.spec))
    assert "Quentin Quill" not in charts  # the leniency chart, built from the same cached scores
