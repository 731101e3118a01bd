"""What of a link's address survives sign-in (`ui.navigation.link_query`), and
which page of ours an address names (`ui.deep_links`)."""

import pytest

from ui import deep_links
from ui import streamlit_adapter as adapter
from ui.navigation import PAGES_BY_KEY, link_query


def test_only_a_plain_submission_reference_survives_sign_in():
    assert link_query({"submission": "CFE-0300"}) == {"submission": "CFE-0300"}
    attack = {"submission": "CFE-0300", "x": "<script>alert(1)</script>", "next": "//evil.example", "page": "users"}
    assert link_query(attack) == {"submission": "CFE-0300"}
    assert link_query({"ref": "CFE-0300", "x": "1"}) == {"ref": "CFE-0300"}  # the Submissions page's older name


@pytest.mark.parametrize(
    "value",
    ["../../etc/passwd", "CFE/../../etc", "<script>", "", " CFE-0300", "//evil.example", "x" * 65, "CFE 0300"],
)
def test_a_submission_value_that_is_not_a_plain_reference_is_dropped(value):
    assert link_query({"submission": value}) == {}
    assert link_query({"ref": value}) == {}


def _asked(monkeypatch, page_hash: str, name: str) -> list[bool]:
    forgotten: list[bool] = []
    monkeypatch.setattr(adapter, "requested_page", lambda: (page_hash, name))
    monkeypatch.setattr(adapter, "forget_requested_page", lambda: forgotten.append(True))
    return forgotten


def test_an_address_naming_one_of_our_pages_is_kept(monkeypatch):
    forgotten = _asked(monkeypatch, "", "my_reviews")
    assert deep_links.requested() == PAGES_BY_KEY["my_reviews"]
    assert deep_links.unknown_address() is False
    assert forgotten == []


def test_a_rerun_of_an_open_page_names_it_by_its_hash(monkeypatch):
    _asked(monkeypatch, adapter.page_hash("users"), "")
    assert deep_links.requested() == PAGES_BY_KEY["users"]
    assert deep_links.unknown_address() is False


@pytest.mark.parametrize("name", ["my_reviewz", "sign-in", "evil.example", "users/../audit_log"])
def test_an_address_naming_no_page_of_ours_is_forgotten_and_reported(monkeypatch, name):
    forgotten = _asked(monkeypatch, "", name)
    assert deep_links.requested() is None
    assert deep_links.unknown_address() is True
    assert forgotten == [True]


def test_the_front_page_is_neither(monkeypatch):
    forgotten = _asked(monkeypatch, "", "")
    assert deep_links.requested() is None
    assert deep_links.unknown_address() is False
    assert forgotten == []


def test_the_page_of_one_time_links_is_ours_and_left_signed_in(monkeypatch):
    forgotten = _asked(monkeypatch, "", "set_password")
    assert deep_links.unknown_address() is False  # no "no page here" for a one-time link
    assert deep_links.at_link_page() is True
    deep_links.leave_link_page()
    assert forgotten == [True]
    _asked(monkeypatch, adapter.page_hash("set_password"), "")
    assert deep_links.at_link_page() is True
    _asked(monkeypatch, adapter.page_hash("users"), "")
    assert deep_links.at_link_page() is False
