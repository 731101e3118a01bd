"""The Import page's mapping in Streamlit's AppTest: the confidence of each
guess, sure value suggestions pre-selected and "Accept all suggestions", a
re-upload with the same columns keeping every choice (and one with other
columns saying so), and the mapping downloaded as a file."""

import hashlib
import json

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.models import Submission
from importing import propose_mapping, read_table, unmatched_values
from importing.mapping_file import FORMAT, load_mapping
from tests.factories import make_user
from tests.importing.test_guessing import GOOGLE_HEADERS, GOOGLE_ROWS, LONG
from tests.pages.test_import_page import PAGE, selectbox, upload
from tests.support.apptest import download, rerun, run_app
from tests.support.interrupted import shown_afresh
from tests.support.spreadsheets import csv_bytes
from ui.importing import MAX_VALUE_EDITORS


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def value_boxes(at):
    return [s for s in at.selectbox if s.label.startswith("Value ")]


def test_each_guess_shows_how_sure_it_is(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    assert not at.exception, at.exception
    assert selectbox(at, "Column C goes to").value == "(not imported)"  # the empty "Name"
    assert selectbox(at, "Column D goes to").value == "contact_name"  # "Your full name", filled
    assert selectbox(at, "Column I goes to").value == "anonymous"
    assert selectbox(at, "Column J goes to").value == "presentation_preference"
    captions = [c.value for c in at.caption]
    assert "Sure: the header names it and the cells look like it." in captions
    assert "Sure: a yes/no question about anonymity." in captions
    assert "Sure: a yes/no question about presenting." in captions


def test_a_sure_value_suggestion_is_preselected_and_the_file_imports(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    [value] = value_boxes(at)
    assert value.value == "either"  # "Yes" to presenting: chosen for the coordinator, who may change it
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert not at.error, [e.value for e in at.error]
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    with db.read() as session:
        stored = dict(session.execute(select(Submission.title, Submission.presentation_preference)).all())
    assert stored == {
        "Parks at night": "either",
        "Advocates in care": "not_available",
        "Survivor voice": "not_available",
        "Lines of sight": "not_available",
    }


def test_accept_all_suggestions_takes_every_sure_one_and_leaves_the_unsure(db, db_url, admin):
    rows = [
        [f"T{i}", LONG, theme, nation]
        for i, (theme, nation) in enumerate(
            [("Responses to the sources of harm to children", "Englnd"), ("Support", "Somewhere"), ("Support", "")]
        )
    ]
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(["Title", "Summary", "Themes", "Nation"], rows))
    boxes = {b.label: b for b in value_boxes(at)}
    assert sorted(b.value for b in boxes.values()) == ["(choose a code)", "england", "sources_of_harm"]
    for box in boxes.values():  # the coordinator clears every choice...
        box.set_value("(choose a code)")
    rerun(at, db_url)
    assert [b.value for b in value_boxes(at)] == ["(choose a code)"] * 3
    accept = next(b for b in at.button if b.label.startswith("Accept all suggestions"))
    assert accept.label == "Accept all suggestions (2)"
    accept.click()  # ...and takes the sure suggestions back in one action
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert sorted(b.value for b in value_boxes(at)) == ["(choose a code)", "england", "sources_of_harm"]
    assert "2 suggestions accepted." in [c.value for c in at.caption]


def test_a_value_chosen_or_accepted_is_what_a_browser_drawing_the_box_afresh_shows(db, db_url, admin):
    """A browser shows a box's choice only when the element says to set it, or the box's default when it
    draws the box afresh (after a run cut short, say): the default is what the server holds, in every run
    after the one that chose it, never "(choose a code)" above a mapping that uses another code."""
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    [value] = value_boxes(at)
    assert shown_afresh(value) == "Either"  # the sure suggestion, preset
    value.set_value("not_available")
    rerun(at, db_url)
    for _ in range(2):
        rerun(at, db_url)
        [value] = value_boxes(at)
        assert value.value == "not_available" and shown_afresh(value) == "Not available to present"
    value.set_value("(choose a code)")
    rerun(at, db_url)
    next(b for b in at.button if b.label.startswith("Accept all suggestions")).click()
    rerun(at, db_url)
    for _ in range(2):  # the run that accepts says to set it, and every later run draws it so
        [value] = value_boxes(at)
        assert value.value == "either" and shown_afresh(value) == "Either"
        rerun(at, db_url)


def test_a_re_upload_with_the_same_columns_keeps_every_choice(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    selectbox(at, "Column E goes to").set_value("(not imported)")  # organisation left out
    selectbox(at, "Column C goes to").set_value("notes")
    rerun(at, db_url)
    [value] = value_boxes(at)
    value.set_value("in_person")
    rerun(at, db_url)
    # The coordinator removes the file and uploads it again, one response longer, without saving.
    at.file_uploader[0].set_value(None)
    rerun(at, db_url)
    more = [*GOOGLE_ROWS, ["09/07/2021 10:00", "kim@x.example", "", "Kim Lo", "Lo Trust", "Late", LONG, "Support",
                           "No", "Yes"]]  # fmt: skip
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, more), name="form (1).csv")
    assert not at.exception, at.exception
    assert selectbox(at, "Column E goes to").value == "(not imported)"
    assert selectbox(at, "Column C goes to").value == "notes"
    [value] = value_boxes(at)
    assert value.value == "in_person"
    assert any("same columns as the previous one" in i.value for i in at.info)

    other = [h if h != "Name" else "Nickname" for h in GOOGLE_HEADERS]
    upload(at, db_url, csv_bytes(other, GOOGLE_ROWS), name="other.csv")
    assert any("columns are not those of the previous file (1 new, 1 no longer there" in w.value for w in at.warning)
    assert selectbox(at, "Column E goes to").value == "organisation"  # proposed afresh


def test_the_mapping_downloads_as_a_file_the_command_line_reads(db, db_url, admin, call_config):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    selectbox(at, "Column E goes to").set_value("(not imported)")
    rerun(at, db_url)
    button = next(b for b in at.download_button if b.label == "Download this mapping (JSON)")
    _url, content = download(button)
    data = json.loads(content)
    assert data["format"] == FORMAT and data["version"] == 1
    assert data["columns"]["contact_name"] == "Your full name" and "organisation" not in data["columns"]
    assert data["values"] == {"presentation_preference": {"Yes": "either"}}
    with db.read() as session:
        [entry] = audit.list_entries(session, filters=audit.AuditFilter(action="export.import_mapping")).to_dict(
            "records"
        )
    assert entry["actor"] == admin.username and entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["new"]["columns"] == len(data["columns"]) and entry["new"]["values"] == 1
    loaded = load_mapping(content, call_config, headers=GOOGLE_HEADERS)  # what --mapping FILE reads
    assert loaded.columns == data["columns"] and loaded.values == data["values"]


def test_accept_all_also_takes_the_values_beyond_the_list(db, db_url, admin, call_config):
    nation = call_config.vocabulary("nation")
    labels = [nation.label(c) for c in nation.ids]
    typos = sorted(
        {label[:i] + label[i] + label[i:] for label in labels for i in range(len(label)) if label[i].isalpha()}
    )
    headers = ["Title", "Summary", "Themes", "Organisation", "Nation"]

    def rows_of(values):
        return [[f"T{i}", LONG, "Support", f"Org {i}", value] for i, value in enumerate(values)]

    table = read_table(csv_bytes(headers, rows_of(typos)), "f.csv", max_bytes=10**7)
    sure = [u.value for u in unmatched_values(table, propose_mapping(table, call_config), call_config) if u.confident]
    assert len(sure) > MAX_VALUE_EDITORS  # more than the page lists
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(headers, rows_of(sure)))
    assert len(value_boxes(at)) == MAX_VALUE_EDITORS
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    unlisted = len(sure) - MAX_VALUE_EDITORS  # the listed ones are pre-selected; the others are problems
    assert any(f"{unlisted} problem" in e.value for e in at.error), [e.value for e in at.error]
    next(b for b in at.button if b.label == f"Accept all suggestions ({len(sure)})").click()
    rerun(at, db_url)
    assert not at.error, [e.value for e in at.error]
    assert next(m.value for m in at.metric) == str(len(sure))  # every row will be added
