"""The bids list a page at a time, on both backends (issue 21): `bid_page`
reads one page of what `bid_list` lists, with the count of matches; search
(plain text: reference, title, the organisation where the reviewer may see
it), filters and order run on the server; what a reviewer may not see is
never found, on any page."""

import dataclasses

import pytest

from data_access import expertise as ex
from data_access.errors import AccessDenied
from data_access.submissions import publish_redactions, submission_version
from tests.factories import make_submission, make_user

MARKUP = "**Bold** <b>claim</b> [link](https://evil.example)"
HARM = {"themes": ["sources_of_harm"], "focus_areas": ["contexts"]}
ODD = "100% _safe_ .* (a|b) O'Brien; DROP TABLE submissions; --"


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        numbered = [
            make_submission(
                s,
                call_config,
                reference=f"CFE-{i:04d}",
                title=f"Evidence {chr(ord('z') - i)}",  # titles sort the other way round
                organisation=f"Org {i}",
                themes=["sources_of_harm"],
                focus_areas=["perpetrators"],
            )
            for i in range(1, 13)
        ]
        support = make_submission(
            s,
            call_config,
            reference="CFE-0013",
            title=MARKUP,
            organisation="Harbour Trust",
            themes=["support_responses"],
            focus_areas=["advocacy"],
        )
        odd = make_submission(s, call_config, reference="CFE-0014", title=ODD, organisation="Moor Aid", **HARM)
        anonymous = make_submission(
            s,
            call_config,
            reference="CFE-0015",
            title="Refuge report",
            organisation="Hidden Refuge",
            anonymous=True,
            **HARM,
        )
        castle = make_submission(
            s, call_config, reference="CFE-0016", title="Castle report", organisation="Castle Trust", **HARM
        )
        admin = make_user(s, role="admin")
        ann = make_user(s, organisation="Castle Trust")
        ben = make_user(s)
    return {
        "numbered": numbered,
        "support": support,
        "odd": odd,
        "anonymous": anonymous,
        "castle": castle,
        "admin": admin,
        "ann": ann,
        "ben": ben,
    }


def _page(db, viewer, config, flt=None, **kw):
    with db.read() as s:
        return ex.bid_page(s, viewer, config, flt or ex.BidFilter(), **kw)


def _refs(page):
    return [r.reference for r in page.rows]


def test_a_page_holds_its_rows_alone_with_the_count_of_every_match(db, call, call_config):
    ann = call["ann"]
    with db.read() as s:
        every = [r.reference for r in ex.bid_list(s, ann, call_config)]
    assert "CFE-0016" not in every and len(every) == 15  # her own organisation's is never hers
    pages = [_page(db, ann, call_config, page=n, size=4) for n in (1, 2, 3, 4)]
    assert [p.matches for p in pages] == [15] * 4
    assert [p.page for p in pages] == [1, 2, 3, 4]
    assert [ref for p in pages for ref in _refs(p)] == every  # in order, each once
    assert _refs(pages[1]) == ["CFE-0005", "CFE-0006", "CFE-0007", "CFE-0008"]
    assert len(pages[3].rows) == 3
    # a crafted page number: past the end is the last page, before the start the first
    for asked, shown in ((10**12, 4), (5, 4), (0, 1), (-3, 1)):
        page = _page(db, ann, call_config, page=asked, size=4)
        assert (page.page, _refs(page)) == (shown, _refs(pages[shown - 1]))
    for bad in ({"page": "2"}, {"page": 1.5}, {"size": 0}, {"size": -4}):
        with pytest.raises(ex.BidError, match="Not a page"):
            _page(db, ann, call_config, **bad)
    # the rows of a page are those bid_list gives, in full
    with db.read() as s:
        full = {r.submission_id: r for r in ex.bid_list(s, ann, call_config)}
    assert all(full[r.submission_id] == r for p in pages for r in p.rows)


def test_search_finds_by_reference_title_and_organisation_as_plain_text(db, call, call_config):
    ben = call["ben"]

    def found(text):
        return _refs(_page(db, ben, call_config, ex.BidFilter(search=text)))

    assert found("cfe-0013") == ["CFE-0013"]
    assert found("  CFE-0013 ") == ["CFE-0013"]
    assert found("evidence y") == ["CFE-0001"]  # title, any case
    assert found("harbour") == ["CFE-0013"]  # organisation
    assert found("Org 1") == ["CFE-0001", "CFE-0010", "CFE-0011", "CFE-0012"]
    # Markdown, HTML, SQL and pattern characters are text: found as typed, nothing else
    assert found("<b>claim</b>") == ["CFE-0013"]
    assert found("**Bold**") == ["CFE-0013"]
    for text in ("100%", "_safe_", ".*", "(a|b)", "O'Brien; DROP TABLE submissions; --"):
        assert found(text) == ["CFE-0014"], text
    assert found("%") == ["CFE-0014"] and found("_") == ["CFE-0014"]
    assert found("no such words") == []
    with pytest.raises(ex.BidError, match="at most"):
        found("x" * 10_000)
    with db.read() as s:
        assert len(ex.bid_list(s, ben, call_config)) == 16  # nothing was changed by any of it


def test_search_and_pages_never_show_what_the_reviewer_may_not_see(db, call, call_config):
    ann, ben = call["ann"], call["ben"]
    # her own organisation's: not by reference, organisation or any page
    assert _refs(_page(db, ann, call_config, ex.BidFilter(search="CFE-0016"))) == []
    assert _refs(_page(db, ann, call_config, ex.BidFilter(search="Castle"))) == []
    # an anonymous contributor's organisation is never searched, nor is the placeholder
    assert _refs(_page(db, ben, call_config, ex.BidFilter(search="Hidden Refuge"))) == []
    assert _refs(_page(db, ben, call_config, ex.BidFilter(search="anonymous"))) == []
    (row,) = _page(db, ben, call_config, ex.BidFilter(search="CFE-0015")).rows
    assert row.organisation == "(anonymous)" and "Hidden Refuge" not in repr(row)
    # under blind review no organisation is searched; what the admin published is
    blind = dataclasses.replace(call_config, blind_review=True)
    assert _refs(_page(db, ben, blind, ex.BidFilter(search="Harbour"))) == []
    with db.write() as s:
        version = submission_version(s, submission_id=call["support"])
        assert version is not None
        publish_redactions(
            s,
            submission_id=call["support"],
            values={"organisation": "A coastal charity"},
            viewer=call["admin"],
            expected_version=version,
        )
    (row,) = _page(db, ben, blind, ex.BidFilter(search="coastal")).rows
    assert row.reference == "CFE-0013" and row.organisation == "A coastal charity"
    assert _refs(_page(db, ben, blind, ex.BidFilter(search="Harbour"))) == []
    # another reviewer's bids and conflicts are not this reviewer's
    with db.write() as s:
        ex.set_bids(s, ann, {call["numbered"][0]: (None, "eager"), call["numbered"][1]: (None, "conflict")})
    mine = _page(db, ben, call_config, ex.BidFilter(bids=ex.BID_ON))
    assert mine.matches == 0
    assert {r.bid for r in _page(db, ben, call_config, size=100).rows} == {None}


def test_filters_and_order_for_bidding(db, call, call_config):
    ben = call["ben"]
    with db.write() as s:
        ex.set_bids(s, ben, {call["numbered"][2]: (None, "willing"), call["support"]: (None, "conflict")})
    assert _refs(_page(db, ben, call_config, ex.BidFilter(bids=ex.BID_ON))) == ["CFE-0003", "CFE-0013"]
    not_yet = _page(db, ben, call_config, ex.BidFilter(bids=ex.NOT_BID_ON), size=100)
    assert not_yet.matches == 14 and {"CFE-0003", "CFE-0013"}.isdisjoint(_refs(not_yet))
    assert _refs(_page(db, ben, call_config, ex.BidFilter(themes=("support_responses",)))) == ["CFE-0013"]
    # on my themes and focus areas: none named, none shown; a theme or a focus area matches
    assert _page(db, ben, call_config, ex.BidFilter(on_my_expertise=True)).matches == 0
    with db.write() as s:
        ex.set_expertise(s, ben, call_config, keys=["advocacy"], seen=[])
    assert _refs(_page(db, ben, call_config, ex.BidFilter(on_my_expertise=True))) == ["CFE-0013"]
    with db.write() as s:
        ex.set_expertise(s, ben, call_config, keys=["sources_of_harm"], seen=["advocacy"])
    mine = _page(db, ben, call_config, ex.BidFilter(on_my_expertise=True, search="Org 1"))
    assert _refs(mine) == ["CFE-0001", "CFE-0010", "CFE-0011", "CFE-0012"]
    # by title: the numbered ones' titles run the other way round
    by_title = _page(db, ben, call_config, ex.BidFilter(sort="title", search="Evidence"), size=100)
    assert _refs(by_title) == [f"CFE-{i:04d}" for i in range(12, 0, -1)]
    for bad in (
        ex.BidFilter(themes=("no_such_theme",)),
        ex.BidFilter(bids="someone_elses"),
        ex.BidFilter(sort="organisation"),
    ):
        with pytest.raises(ex.BidError, match="Nothing was searched"):
            _page(db, ben, call_config, bad)


@pytest.mark.parametrize("who", ["admin", "office"])
def test_only_a_reviewer_reads_a_page_of_bids(db, call, call_config, who):
    with db.write() as s:
        viewer = call["admin"] if who == "admin" else make_user(s, role="office")
    with pytest.raises(AccessDenied):
        _page(db, viewer, call_config, ex.BidFilter(search="CFE"))
