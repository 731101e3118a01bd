"""Message templates in the sandbox: what may be saved, what is refused and why, and what comes out."""

import pytest
from markupsafe import Markup

from messages import sandbox
from messages.sandbox import MAX_BODY_CHARS, MAX_LIST_ITEMS, Problem, TemplateError, render, validate
from messages.templates import TEMPLATES, spec_for

DIGEST = spec_for("reviewer.assignments")
ACK = spec_for("contributor.acknowledgement")


@pytest.mark.parametrize("purpose", sorted(TEMPLATES))
def test_every_default_template_validates_and_renders_with_its_examples(purpose):
    spec = TEMPLATES[purpose]
    assert validate(spec, spec.subject, spec.text, spec.html) == []
    out = render(spec, spec.subject, spec.text, spec.html, spec.examples())
    assert out.subject and "\n" not in out.subject
    for body in (out.text, out.html or ""):
        assert "{{" not in body and "{%" not in body
    # Every example value of a text variable reaches the plain-text body or the subject.
    for variable in spec.variables:
        if variable.kind in ("text", "link", "date") and variable.name != "organisers":
            assert str(variable.example) in out.subject + out.text, variable.name
    assert (out.html is None) == (spec.html is None)


def test_the_seven_purposes_of_issue_16_each_have_a_template():
    assert set(TEMPLATES) == {
        "reviewer.invitation",
        "reviewer.reset",
        "reviewer.assignments",
        "reviewer.reminder",
        "reviewer.overdue",
        "contributor.acknowledgement",
        "presenter.invitation",
    }


def test_the_digest_lists_every_new_assignment_by_reference_and_title():
    out = render(DIGEST, DIGEST.subject, DIGEST.text, DIGEST.html, DIGEST.examples())
    assert out.subject == "2 new submissions for you to review"
    assert (
        "- CFE-0042: Safe spaces: a youth-work toolkit\n- CFE-0107: Guardianship for separated children\n" in out.text
    )
    assert out.html is not None and "<li>CFE-0107: Guardianship for separated children</li>" in out.html


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("{{ ''.__class__.__mro__ }}", "“.__class__”: names beginning with an underscore are not allowed"),
        ("{{ cycler.__init__.__globals__ }}", "“cycler” is not a variable of this message"),
        ("{{ self }}", "“self” is not a variable of this message"),
        ("{{ self._TemplateReference__context }}", "“self” is not a variable of this message"),
        ("{{ lipsum.__globals__['os'] }}", "square brackets are not allowed"),
        ("{{ recipient_name.__class__ }}", "names beginning with an underscore"),
        ("{{ recipient_name.upper() }}", "calling a function or method is not allowed"),
        ("{{ '{0.__class__}'.format(recipient_name) }}", "calling a function or method is not allowed"),
        ("{% for i in range(10**9) %}x{% endfor %}", "a loop may only go through a list variable"),
        ("{% for i in range(10**9) %}x{% endfor %}", "“range” is not a variable"),
        ("{{ recipient_name * 1000000000 }}", "only + and - are allowed"),
        ("{{ '%s' % recipient_name }}", "only + and - are allowed"),
        ("{% set x = recipient_name ~ recipient_name %}{{ x }}", "{% set %} is not allowed"),
        ("{% for a in assignments %}{% for b in assignments %}.{% endfor %}{% endfor %}", "a loop inside a loop"),
        ("{% include 'secrets.txt' %}", "{% include %} is not allowed"),
        ("{% extends 'base.html' %}", "{% extends %} is not allowed"),
        ("{% macro m() %}x{% endmacro %}", "{% macro %} is not allowed"),
        ("{{ recipient_name|safe }}", "the filter “safe” is not allowed"),
        ("{{ recipient_name|attr('__class__') }}", "the filter “attr” is not allowed"),
        ("{% autoescape false %}{{ recipient_name }}{% endautoescape %}", "{% autoescape %} is not allowed"),
        ("{% for a in assignments %}{{ a.organisation }}{% endfor %}", "each item has only reference, title"),
        ("{{ loop.index }}", "“loop” is not a variable"),
        ("{{ recipient_name", "the template does not read"),
    ],
)
def test_a_template_that_reaches_outside_its_variables_is_refused_with_the_reason(source, words):
    problems = validate(DIGEST, "Subject", source, None)
    assert any(words in p.message for p in problems), problems
    assert all(p.part == "text" for p in problems)
    with pytest.raises(TemplateError) as info:
        render(DIGEST, "Subject", source, None, DIGEST.examples())
    assert words in str(info.value)


def test_an_undeclared_variable_is_named_with_its_part_and_line():
    problems = validate(
        ACK, "Received {{ reference }}", "Dear {{ recipient_name }},\n\nYour score: {{ score }}\n", None
    )
    assert problems == [
        Problem(
            "text",
            3,
            "“score” is not a variable of this message (its variables: call_title, conference, organisers, "
            "recipient_name, reference, title)",
        )
    ]
    assert str(problems[0]).startswith("Plain-text body, line 3: “score” is not a variable")


def test_the_html_body_is_checked_like_the_others():
    problems = validate(ACK, "Received", "Thanks", "<p>{{ contact_email }}</p>")
    assert [(p.part, p.line) for p in problems] == [("html", 1)]
    assert "“contact_email” is not a variable" in str(problems[0])


@pytest.mark.parametrize("subject", ["Received\nBcc: everyone@example.org", "Received\r\nX-Evil: 1", "Two\rlines"])
def test_a_line_break_in_the_subject_is_refused(subject):
    problems = validate(ACK, subject, "Thanks", None)
    assert [p.part for p in problems] == ["subject"]
    assert "must be one line" in problems[0].message


def test_an_empty_subject_or_text_is_refused_and_an_empty_html_body_means_none():
    problems = validate(ACK, "  ", "", "")
    assert [(p.part, p.message) for p in problems] == [("subject", "it is empty"), ("text", "it is empty")]
    out = render(ACK, "Received", "Thanks", "  ", ACK.examples())
    assert out.html is None


def hostile_values(title: str) -> dict:
    return ACK.examples() | {"title": title, "recipient_name": "Ada\nBcc: all@example.org"}


def test_contributor_values_are_escaped_in_html_and_left_as_they_are_in_text():
    title = '<script>alert("x")</script> & <b>bold</b>'
    out = render(ACK, ACK.subject, "Title: {{ title }}", "<p>{{ title }}</p>", hostile_values(title))
    assert out.text == f"Title: {title}"
    assert out.html == "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"


def test_a_markup_value_is_escaped_like_any_other_text():
    out = render(ACK, ACK.subject, "{{ title }}", "{{ title }}", ACK.examples() | {"title": Markup("<i>x</i>")})
    assert out.html == "&lt;i&gt;x&lt;/i&gt;"


@pytest.mark.parametrize(
    "title", ["{{ 7*7 }}", "{% raw %}{{ 7*7 }}{% endraw %}", "{{ ''.__class__.__mro__ }}", "{% for i in x %}"]
)
def test_template_syntax_inside_a_value_is_printed_not_run(title):
    out = render(ACK, "{{ title }}", "{{ title }}", "{{ title }}", ACK.examples() | {"title": title})
    assert out.subject == title
    assert out.text == title
    assert "49" not in out.text
    assert out.html is not None and "49" not in out.html


def test_a_value_cannot_add_a_line_or_a_header_to_the_subject():
    out = render(ACK, "To {{ recipient_name }}: {{ title }}", "x", None, hostile_values("A\r\nB\tC\x00D"))
    assert out.subject == "To Ada Bcc: all@example.org: A B C D"


def test_a_loop_whose_output_would_be_too_long_is_refused():
    items = [{"reference": f"CFE-{i:04}", "title": "x" * 100} for i in range(MAX_LIST_ITEMS)]
    values = DIGEST.examples() | {"assignments": items}
    body = "{% for a in assignments %}{{ a.title }}{{ a.title }}{% endfor %}"
    assert validate(DIGEST, "Subject", body, None) == []
    with pytest.raises(TemplateError, match=f"longer than {MAX_BODY_CHARS:,} characters"):
        render(DIGEST, "Subject", body, None, values)


def test_too_many_list_items_are_refused():
    items = [{"reference": "CFE-1", "title": "t"}] * (MAX_LIST_ITEMS + 1)
    with pytest.raises(TemplateError, match="at most"):
        render(DIGEST, "Subject", "x", None, DIGEST.examples() | {"assignments": items})


def test_a_render_that_runs_out_of_time_is_refused(monkeypatch):
    monkeypatch.setattr(sandbox, "MAX_RENDER_SECONDS", -1.0)
    with pytest.raises(TemplateError, match="took longer than"):
        render(DIGEST, DIGEST.subject, DIGEST.text, None, DIGEST.examples())


def test_a_template_that_fails_to_render_raises_with_the_reason():
    with pytest.raises(TemplateError) as info:
        render(ACK, "Received", "{{ recipient_name - 1 }}", None, ACK.examples())
    assert str(info.value).startswith("Plain-text body: it cannot be rendered: unsupported operand")


def test_values_must_be_exactly_the_declared_variables():
    with pytest.raises(TemplateError, match="no value given for title"):
        render(ACK, "x", "y", None, {k: v for k, v in ACK.examples().items() if k != "title"})
    with pytest.raises(TemplateError, match="not variables of this message: contact_email"):
        render(ACK, "x", "y", None, ACK.examples() | {"contact_email": "a@b.example"})


def test_a_list_item_with_an_undeclared_field_is_refused_so_no_identity_rides_along():
    items = [{"reference": "CFE-1", "title": "t", "organisation": "Survivor Voices"}]
    with pytest.raises(TemplateError, match="exactly reference, title"):
        render(DIGEST, "x", "y", None, DIGEST.examples() | {"assignments": items})


def test_a_number_must_be_a_whole_number():
    with pytest.raises(TemplateError, match="new_count must be a whole number"):
        render(DIGEST, "x", "y", None, DIGEST.examples() | {"new_count": "2"})


def test_the_sandbox_has_no_globals_and_no_way_to_mark_text_safe():
    for env in (sandbox._PLAIN_ENV, sandbox._HTML_ENV):
        assert env.globals == {}
        assert "safe" not in env.filters and "attr" not in env.filters
    assert sandbox._HTML_ENV.autoescape is True and sandbox._PLAIN_ENV.autoescape is False
    # Even past the checks, the sandbox refuses Python's internals.
    with pytest.raises(Exception, match="unsafe"):
        sandbox._PLAIN_ENV.from_string("{{ x.__class__.__mro__ }}").render(x="")


PRESENTER = spec_for("presenter.invitation")


@pytest.mark.parametrize(
    ("html", "words"),
    [
        ('<a href="{{ title }}">x</a>', "only a link variable (reply_link) may be a link's address"),
        ("<a href={{ title }}>x</a>", "only a link variable (reply_link) may be a link's address"),
        ("<img src='{{ recipient_name }}'>", "only a link variable (reply_link) may be a link's address"),
        ('<a href="{% if title %}{{ title }}{% endif %}">x</a>', "only a link variable"),
        ('<p style="color: {{ title }}">x</p>', "a value cannot go inside <script>"),
        ('<a onclick="{{ reply_link }}">x</a>', "a value cannot go inside <script>"),
        ('<script>var t = "{{ title }}";</script>', "a value cannot go inside <script>"),
        ("<style>p { content: '{{ title }}' }</style>", "a value cannot go inside <script>"),
    ],
)
def test_in_the_html_body_a_value_cannot_be_code_or_a_links_address_unless_it_is_a_link(html, words):
    problems = validate(PRESENTER, "Subject", "Text", html)
    assert [p.part for p in problems] == ["html"]
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("html", "words"),
    [
        # HTML needs no space before an attribute: "/" or the end of a quoted value will do
        ('<img src="https://a.example/x.png"/onerror="{{ title }}">', "a value cannot go inside <script>"),
        ('<img src="https://a.example/x.png"onerror="{{ title }}">', "a value cannot go inside <script>"),
        ("<p/style='color: {{ title }}'>x</p>", "a value cannot go inside <script>"),
        ('<iframe srcdoc="{{ title }}"></iframe>', "a value cannot go inside <script>"),  # read as HTML
        ('<a/href="{{ title }}">x</a>', "only a link variable (reply_link) may be a link's address"),
        ('<a class="x"href="{{ title }}">x</a>', "only a link variable (reply_link) may be a link's address"),
        ('<svg><a xlink:href="{{ title }}">x</a></svg>', "only a link variable (reply_link) may be a link's address"),
        ('<object data="{{ title }}"></object>', "only a link variable (reply_link) may be a link's address"),
    ],
)
def test_no_spelling_of_an_attribute_lets_a_value_be_code_or_an_address(html, words):
    problems = validate(PRESENTER, "Subject", "Text", html)
    assert [p.part for p in problems] == ["html"], html
    assert words in problems[0].message


def test_values_in_html_text_and_attributes_and_a_link_in_href_are_allowed():
    html = (
        '<p title="{{ title }}">{{ title }}</p><script>1</script><p>{{ reference }}</p><a href="{{ reply_link }}">x</a>'
        '<p data-ref="{{ reference }}" class="x">Say "style=bold" and {{ title }}</p>'
    )
    assert validate(PRESENTER, "Subject", "Text", html) == []


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,x", "https://a.example/\nBcc: x", "//evil.example"]
)
def test_a_link_value_must_be_an_http_address(link):
    with pytest.raises(TemplateError, match="reply_link must be an http"):
        render(PRESENTER, "x", "{{ reply_link }}", None, PRESENTER.examples() | {"reply_link": link})
