"""What people typed (a line-up's name, a username, a reference) is never read as Markdown on the
Programme and Line-up status pages: an alert box holds only our fixed words, and the typed value is
shown beneath it as text (`ui.render.notice`). Each view's message is provoked through the app.
Both databases."""

from __future__ import annotations

from sqlalchemy import update

from data_access import invitations as inv
from data_access import placements as pl
from data_access import programme as prog
from data_access.models import LineUp, LineUpSignOff, Submission
from tests.data_access.test_invitations import call as call
from tests.data_access.test_invitations import invited as invited
from tests.data_access.test_invitations import saved as saved
from tests.data_access.test_programme import fields
from tests.data_access.test_programme import line_up as line_up
from tests.data_access.test_programme import people as people
from tests.factories import make_user
from tests.pages.test_programme_replacement import CONFIRM, PROPOSE, proposed_then_out_of_date
from tests.pages.test_programme_replacement import declined as declined
from tests.pages.test_programme_replacement import public_address as public_address
from tests.support.apptest import rerun, run_app

PROGRAMME = "pages/programme.py"
STATUS = "pages/line_up_status.py"
HOSTILE = "**x** [y](javascript:z) <img src=x>"
SIGNER = "of_fi_ce_"
EMPHASIS_REF = "REF_emph_1_"  # a reference the import accepts, which Markdown would read as emphasis


def markdown_read(at) -> list[str]:
    """Every value Streamlit reads as Markdown: alerts, markdown, captions."""
    return [
        e.value for kind in ("error", "warning", "info", "success", "markdown", "caption") for e in getattr(at, kind)
    ]


def assert_shown_as_text(at, typed: str) -> None:
    assert not at.exception, at.exception
    assert any(typed in t.value for t in at.text), [t.value for t in at.text]
    leaked = [v for v in markdown_read(at) if typed in v or "javascript:" in v or "<img" in v]
    assert not leaked, leaked


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_refused_sign_off_shows_the_line_ups_name_as_text(db, db_url):
    with db.write() as s:
        office = make_user(s, role="office")
        s.add(LineUp(name=HOSTILE, rules={}, objective=0.0, notes="", created_by="test", version=1))
    at = run_app(db_url, office, page=PROGRAMME)
    button(at, "Sign off version 1").click()  # a line-up without presenters: refused, naming it
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["Not signed off:"]
    assert_shown_as_text(at, f"{HOSTILE} has no presenters to sign off.")


def test_a_sign_off_names_the_account_as_text(db, db_url, people, line_up):
    with db.write() as s:  # an account whose username Markdown would read as emphasis signed it off
        s.execute(update(LineUpSignOff).values(signed_off_by=SIGNER))
    at = run_app(db_url, people["office"], page=PROGRAMME)
    assert next(s.value for s in at.success).startswith("This version is signed off.")
    assert_shown_as_text(at, f"signed off by {SIGNER} on ")


def test_a_stale_replacement_names_the_line_up_as_text_and_the_confirmation_its_references(db, db_url, declined):
    with db.write() as s:
        s.execute(update(LineUp).where(LineUp.id == declined["id"]).values(name=HOSTILE))
    at = proposed_then_out_of_date(db, db_url, declined)
    button(at, CONFIRM).click()
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["The replacement was not confirmed:"]
    assert_shown_as_text(at, f"Nothing was changed: {HOSTILE} or its replies changed")

    newcomer = declined["references"][2]
    with db.write() as s:
        s.execute(update(Submission).where(Submission.reference == newcomer).values(reference=EMPHASIS_REF))
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    button(at, CONFIRM).click()
    at = rerun(at, db_url)
    assert "Replacement confirmed: version 2 is signed off." in [s.value for s in at.success]
    assert_shown_as_text(at, f"Invited: {EMPHASIS_REF}.")


def test_a_recorded_reply_and_a_deleted_sessions_presenters_are_named_as_text(db, db_url, call_config, people, line_up):
    admin = people["admin"]
    with db.write() as s:
        s.execute(update(Submission).where(Submission.reference == line_up["refs"][3]).values(reference=EMPHASIS_REF))
    at = run_app(db_url, admin, page=PROGRAMME)
    [presenter] = [b for b in at.selectbox if b.label == "Presenter"]
    with db.read() as s:
        [awaiting] = [r for r in inv.list_invitations(s, line_up_id=line_up["id"]) if r.reference == EMPHASIS_REF]
    presenter.set_value(awaiting.id)
    [choice] = [r for r in at.radio if r.label == "Reply"]
    choice.set_value("in_person")
    button(at, "Record reply").click()
    at = rerun(at, db_url)
    assert "Reply recorded." in [s.value for s in at.success]
    assert_shown_as_text(at, f"{EMPHASIS_REF}: ")

    with db.write() as s:  # the presenter placed in a session, which the admin then deletes
        added = prog.add_session(s, viewer=admin, fields=fields(), config=call_config)
        confirmed = pl.confirmed_presenters(s, line_up_id=line_up["id"])
        seats = [pl.Seat(c.invitation_id, added.id if c.reference == EMPHASIS_REF else None, 1) for c in confirmed]
        versions = {c.invitation_id: c.version for c in confirmed}
        pl.save_placements(s, viewer=admin, line_up_id=line_up["id"], seats=seats, expected_versions=versions)
    at = run_app(db_url, admin, page=PROGRAMME)
    at.toggle(key="prog.session.editing").set_value(True)
    at = rerun(at, db_url)
    button(at, "Delete session").click()
    at = rerun(at, db_url)
    assert "Session deleted." in [s.value for s in at.success]
    assert_shown_as_text(at, f"Taken out of it: {EMPHASIS_REF}.")


def test_the_line_up_status_names_a_presenter_to_check_as_text(db, db_url, request):
    setup, saved = request.getfixturevalue("call"), request.getfixturevalue("saved")
    request.getfixturevalue("invited")
    first = saved.members[0].reference
    with db.read() as s:
        [row] = [r for r in inv.list_invitations(s, line_up_id=saved.id) if r.reference == first]
    with db.write() as s:  # accepted, then marked as no longer available to present
        inv.record_reply(s, viewer=setup["admin"], invitation_id=row.id, choice="in_person", expected_version=1)
        s.execute(
            update(Submission)
            .where(Submission.reference == first)
            .values(reference=EMPHASIS_REF, presentation_preference="not_available")
        )
    at = run_app(db_url, setup["office"], page=STATUS)
    assert "Presenters to check:" in [w.value for w in at.warning]
    assert_shown_as_text(at, f"{EMPHASIS_REF} cannot be selected now")
