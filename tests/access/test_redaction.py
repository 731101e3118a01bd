"""The published-version check: near-copies of a contributor's details are caught."""

import pytest

from access.redaction import names_contributor, words

OWN = ["Acme Housing Trust", "Leeds", "acme-housing.org.uk"]
PEOPLE = ["Jo Smithson"]


@pytest.mark.parametrize(
    "text",
    [
        "Acme Housing Trust",
        "a project of acme  housing   trust",  # spacing
        "ACME-HOUSING TRUST (north)",  # case and punctuation
        "Ａｃｍｅ Ｈｏｕｓｉｎｇ Ｔｒｕｓｔ",  # full-width forms (NFKC)
        "AcmeHousingTrust",  # run together
        "near leeds",
        "see acme housing.org.uk",  # the host, written with a space
        "J. Smithson's team",  # a surname alone
        "work led by SMITHSON",
    ],
)
def test_near_copies_of_the_contributors_details_are_caught(text):
    assert names_contributor(text, OWN, PEOPLE)


@pytest.mark.parametrize(
    "text",
    [
        "A survivor-led housing charity",
        "A city in the north of England",
        "Jo's team",
        "The evaluation (address withheld)",
    ],
)
def test_texts_that_name_nobody_pass(text):
    assert not names_contributor(text, OWN, PEOPLE)


def test_short_values_and_names_do_not_refuse_everything():
    assert not names_contributor("A team in the UK", ["UK"], ["Al Li"])
    assert words("Ｔｒｕｓｔ_ﬁnance!") == ["trust", "finance"]
