"""Links in messages: absolute, from the configured public address, never from anything else."""

import pytest

from config import SettingsError, load_settings
from messages.links import LinkError, app_link
from tests.conftest import ROOT

GOOD_KEY = "s5Pu4pYGBLssrRVv-P0TXGCLuSwRCSXeqmu6-d9FEPrm"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://evidence.example.org", "https://evidence.example.org/set_password?token=abc"),
        ("https://evidence.example.org/", "https://evidence.example.org/set_password?token=abc"),
        ("http://localhost:8501/review", "http://localhost:8501/review/set_password?token=abc"),
    ],
)
def test_a_link_is_the_public_address_the_path_and_the_token(base, expected):
    assert app_link(base, "set_password", token="abc") == expected


def test_a_token_is_percent_encoded_so_it_cannot_add_parameters():
    link = app_link("https://e.example.org", "set_password", token="a&next=https://evil.example/#x y")
    assert link == "https://e.example.org/set_password?token=a%26next%3Dhttps%3A%2F%2Fevil.example%2F%23x+y"


def test_the_app_link_alone_has_no_query():
    assert app_link("https://e.example.org/") == "https://e.example.org/"


@pytest.mark.parametrize(
    ("base", "words"),
    [
        ("", "no public address"),
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://files.example.org", "http:// or https://"),
        ("evidence.example.org", "http:// or https://"),
        ("https://", "no host name"),
        ("https://user:pw@evidence.example.org", "user name or password"),
        ("https://evidence.example.org/?next=x", "query"),
        ("https://evidence.example.org/#top", "fragment"),
        ("https://evidence.example.org:99999", "not a web address"),
        ("https://evidence.example.org/a b", "spaces"),
    ],
)
def test_a_base_that_is_not_a_plain_web_address_is_refused(base, words):
    with pytest.raises(LinkError, match=words):
        app_link(base, "set_password", token="abc")


@pytest.mark.parametrize("path", ["/set_password", "//evil.example/x", "../admin", "a/./b", "a\\b"])
def test_a_path_outside_the_app_is_refused(path):
    with pytest.raises(LinkError, match="not a path inside the app"):
        app_link("https://e.example.org", path, token="abc")


def test_the_public_address_is_a_setting_checked_at_start():
    env = {"EVIDENCE_COOKIE_KEY": GOOD_KEY}
    assert load_settings(env, secrets={}, root=ROOT).public_url == ""
    good = load_settings({**env, "EVIDENCE_PUBLIC_URL": "https://evidence.example.org"}, secrets={}, root=ROOT)
    assert good.public_url == "https://evidence.example.org"
    with pytest.raises(SettingsError) as info:
        load_settings({**env, "EVIDENCE_PUBLIC_URL": "javascript:alert(1)"}, secrets={}, root=ROOT)
    assert "EVIDENCE_PUBLIC_URL" in str(info.value)
    assert "http:// or https://" in str(info.value)
