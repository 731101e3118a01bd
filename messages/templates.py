"""Every message the app sends, by purpose: its fixed variables and its default wording.

`TEMPLATES` holds one `TemplateSpec` per purpose. The admin may edit a
template's subject and bodies (`data_access.templates`), never its list of
variables: a template that reads anything else is refused when it is saved
(`validate`). `render` fills a template in Jinja2's sandbox (`messages.sandbox`).

The wording is for this call: the Independent Anti-Slavery Commissioner and
Cumberland Lodge's call for evidence on practitioner responses to child
exploitation and trafficking. Names, titles and organisations come from the
call's configuration and the database, never from here. No variable carries
an anonymous contributor's identity: the assignments digest lists a
submission's reference and title only (both shown to its reviewers).
"""

from __future__ import annotations

from messages.sandbox import Problem, Rendered, TemplateError, render, validate
from messages.spec import DATE, LINK, LIST, NUMBER, TEXT_KIND, TemplateSpec, Variable

__all__ = [
    "TEMPLATES",
    "Problem",
    "Rendered",
    "TemplateError",
    "TemplateSpec",
    "Variable",
    "render",
    "spec_for",
    "validate",
]

CALL_TITLE = Variable(
    "call_title",
    TEXT_KIND,
    "The call's title (config/call.toml)",
    "Emerging good practice in practitioner responses to child exploitation and trafficking",
)
ORGANISERS = Variable(
    "organisers", TEXT_KIND, "Who runs the call", "Independent Anti-Slavery Commissioner and Cumberland Lodge"
)
CONFERENCE = Variable("conference", TEXT_KIND, "Where and when the conference is", "Cumberland Lodge, October 2021")
REVIEWER_NAME = Variable("recipient_name", TEXT_KIND, "The reviewer's name", "Priya Shah")
USERNAME = Variable("username", TEXT_KIND, "The reviewer's username, to sign in with", "pshah")
EXPIRES = Variable("link_expires", DATE, "When the link stops working", "Friday 10 September 2021 at 17:00 UTC")
REVIEW_DEADLINE = Variable("review_deadline", DATE, "The review deadline", "Friday 24 September 2021")
APP_LINK = Variable("app_link", LINK, "The review app's address", "https://evidence.example.org/")
ASSIGNED = Variable("assigned_count", NUMBER, "How many submissions the reviewer has in all", 12)
UNFINISHED = Variable("unfinished_count", NUMBER, "How many of them still need a submitted review", 5)
CONTACT_NAME = Variable("recipient_name", TEXT_KIND, "The contact's name as they gave it (may be empty)", "Sam Okafor")
REFERENCE = Variable("reference", TEXT_KIND, "The submission's reference", "CFE-0042")
TITLE = Variable(
    "title", TEXT_KIND, "The submission's title, as the contributor wrote it", "Safe spaces: a youth-work toolkit"
)

_SIGN_OFF = """With thanks,
The call for evidence team
{{ organisers }}
"""

_HTML_SIGN_OFF = """<p>With thanks,<br>The call for evidence team<br>{{ organisers }}</p>
"""

INVITATION = TemplateSpec(
    purpose="reviewer.invitation",
    title="Reviewer invitation",
    recipient="reviewer",
    when="When the admin adds a reviewer (or sends a new invitation): a one-time link to set their own password.",
    variables=(
        REVIEWER_NAME,
        USERNAME,
        CALL_TITLE,
        ORGANISERS,
        REVIEW_DEADLINE,
        EXPIRES,
        Variable(
            "set_password_link",
            LINK,
            "The one-time link to set a password",
            "https://evidence.example.org/set_password?token=EXAMPLE",
        ),
    ),
    subject="Set your password to review evidence for the {{ organisers }}",
    text="""Dear {{ recipient_name }},

Thank you for agreeing to review evidence for the call "{{ call_title }}".

An account has been made for you in the review app. Your username is {{ username }}. Please choose your own password with this link:

{{ set_password_link }}

The link works once, until {{ link_expires }}. If it has expired, reply to this email and we will send a new one. Nobody else will ever know or choose your password.

Reviews are due by {{ review_deadline }}.

"""
    + _SIGN_OFF,
    html="""<p>Dear {{ recipient_name }},</p>
<p>Thank you for agreeing to review evidence for the call “{{ call_title }}”.</p>
<p>An account has been made for you in the review app. Your username is <strong>{{ username }}</strong>.
Please choose your own password: <a href="{{ set_password_link }}">set your password</a>.</p>
<p>The link works once, until {{ link_expires }}. If it has expired, reply to this email and we will send a new one.
Nobody else will ever know or choose your password.</p>
<p>Reviews are due by {{ review_deadline }}.</p>
"""
    + _HTML_SIGN_OFF,
)

RESET = TemplateSpec(
    purpose="reviewer.reset",
    title="Password reset",
    recipient="reviewer",
    when="When someone asks to reset the password of an existing account.",
    variables=(
        REVIEWER_NAME,
        USERNAME,
        ORGANISERS,
        EXPIRES,
        Variable(
            "reset_link",
            LINK,
            "The one-time link to choose a new password",
            "https://evidence.example.org/set_password?token=EXAMPLE",
        ),
    ),
    subject="Reset your password for the evidence review app",
    text="""Dear {{ recipient_name }},

Someone asked to reset the password of your account ({{ username }}) in the evidence review app. To choose a new password, use this link:

{{ reset_link }}

The link works once, until {{ link_expires }}. If you did not ask for this, you can ignore this email: your password has not changed.

"""
    + _SIGN_OFF,
)

ASSIGNMENTS = TemplateSpec(
    purpose="reviewer.assignments",
    title="New submissions to review",
    recipient="reviewer",
    when="After submissions are assigned: one message per reviewer listing everything newly assigned to them.",
    variables=(
        REVIEWER_NAME,
        CALL_TITLE,
        ORGANISERS,
        REVIEW_DEADLINE,
        APP_LINK,
        ASSIGNED,
        Variable("new_count", NUMBER, "How many submissions are newly assigned", 2),
        Variable(
            "assignments",
            LIST,
            "The newly assigned submissions (reference and title only)",
            [
                {"reference": "CFE-0042", "title": "Safe spaces: a youth-work toolkit"},
                {"reference": "CFE-0107", "title": "Guardianship for separated children"},
            ],
            fields=(
                Variable("reference", TEXT_KIND, "The submission's reference", "CFE-0042"),
                Variable("title", TEXT_KIND, "The submission's title", "Safe spaces"),
            ),
        ),
    ),
    subject="{{ new_count }} new submission{% if new_count != 1 %}s{% endif %} for you to review",
    text="""Dear {{ recipient_name }},

{{ new_count }} more submission{% if new_count != 1 %}s have{% else %} has{% endif %} been assigned to you for the call "{{ call_title }}":

{% for item in assignments %}
- {{ item.reference }}: {{ item.title }}
{% endfor %}

You now have {{ assigned_count }} in all. You can read and score them in the review app:

{{ app_link }}

Reviews are due by {{ review_deadline }}. If you know any of the people or organisations behind a submission, please declare a conflict of interest in the app before you read further.

"""
    + _SIGN_OFF,
    html="""<p>Dear {{ recipient_name }},</p>
<p>{{ new_count }} more submission{% if new_count != 1 %}s have{% else %} has{% endif %} been assigned to you for the call “{{ call_title }}”:</p>
<ul>
{% for item in assignments %}
<li>{{ item.reference }}: {{ item.title }}</li>
{% endfor %}
</ul>
<p>You now have {{ assigned_count }} in all. You can read and score them in <a href="{{ app_link }}">the review app</a>.</p>
<p>Reviews are due by {{ review_deadline }}. If you know any of the people or organisations behind a submission,
please declare a conflict of interest in the app before you read further.</p>
"""
    + _HTML_SIGN_OFF,
)

REMINDER = TemplateSpec(
    purpose="reviewer.reminder",
    title="Review reminder",
    recipient="reviewer",
    when="Before the review deadline, to reviewers with unfinished reviews.",
    variables=(REVIEWER_NAME, CALL_TITLE, ORGANISERS, REVIEW_DEADLINE, APP_LINK, ASSIGNED, UNFINISHED),
    subject="Reminder: {{ unfinished_count }} review{% if unfinished_count != 1 %}s{% endif %} due by {{ review_deadline }}",
    text="""Dear {{ recipient_name }},

A gentle reminder that reviews for the call "{{ call_title }}" are due by {{ review_deadline }}.

You have submitted {{ assigned_count - unfinished_count }} of your {{ assigned_count }} reviews; {{ unfinished_count }} still need{% if unfinished_count == 1 %}s{% endif %} finishing. Drafts are saved as you go, so you can pick up where you left off:

{{ app_link }}

If you cannot finish in time, please reply to this email and let us know: we would much rather hear early.

"""
    + _SIGN_OFF,
)

OVERDUE = TemplateSpec(
    purpose="reviewer.overdue",
    title="Reviews overdue",
    recipient="reviewer",
    when="After the review deadline, to reviewers with unfinished reviews.",
    variables=(REVIEWER_NAME, CALL_TITLE, ORGANISERS, REVIEW_DEADLINE, APP_LINK, ASSIGNED, UNFINISHED),
    subject="Your reviews were due on {{ review_deadline }}",
    text="""Dear {{ recipient_name }},

Reviews for the call "{{ call_title }}" were due on {{ review_deadline }}, and {{ unfinished_count }} of your {{ assigned_count }} still need{% if unfinished_count == 1 %}s{% endif %} finishing.

The panel's decisions wait on every review, so please finish them as soon as you can:

{{ app_link }}

If something is stopping you, please reply to this email: we can reassign submissions so that nobody's evidence goes unread.

"""
    + _SIGN_OFF,
)

ACKNOWLEDGEMENT = TemplateSpec(
    purpose="contributor.acknowledgement",
    title="Acknowledgement of receipt",
    recipient="contributor",
    when="After an import, to each new submission's contact address (optional per import).",
    variables=(CONTACT_NAME, REFERENCE, TITLE, CALL_TITLE, ORGANISERS, CONFERENCE),
    subject="We have received your evidence ({{ reference }})",
    text="""Dear {{ recipient_name or "colleague" }},

Thank you for sending evidence to the call "{{ call_title }}". We have received it, and it is now with our review panel.

Your reference is {{ reference }}, for "{{ title }}". Please quote it if you write to us about your evidence.

Every submission is read and scored by reviewers from the panel. The evidence will inform the conference ({{ conference }}), and a small number of contributors will be invited to present there. We will write to you again either way.

"""
    + _SIGN_OFF,
)

PRESENTER = TemplateSpec(
    purpose="presenter.invitation",
    title="Invitation to present",
    recipient="contributor",
    when="When a contributor is selected to present their evidence at the conference.",
    variables=(
        CONTACT_NAME,
        REFERENCE,
        TITLE,
        CALL_TITLE,
        ORGANISERS,
        CONFERENCE,
        Variable("presentation_format", TEXT_KIND, "How they are invited to present", "in person"),
        Variable(
            "reply_link",
            LINK,
            "Their personal link to accept or decline",
            "https://evidence.example.org/reply?reply=EXAMPLE",
        ),
        Variable("reply_by", DATE, "The date to reply by", "Friday 1 October 2021"),
    ),
    subject="Invitation to present your evidence at {{ conference }}",
    text="""Dear {{ recipient_name or "colleague" }},

Thank you again for your evidence to the call "{{ call_title }}" ({{ reference }}: "{{ title }}").

The review panel would like to invite you to present it at the conference on Practitioner Responses to Child Trafficking: Emerging Good Practice ({{ conference }}). We are offering you a place to present {{ presentation_format }}.

Please tell us whether you can accept by the end of {{ reply_by }} (UK time), using your personal link:

{{ reply_link }}

If the format does not suit you, or you would like to talk anything through first (including how we can support you to take part), please reply to this email. We will fit around your availability and circumstances wherever we can.

"""
    + _SIGN_OFF,
    html="""<p>Dear {{ recipient_name or "colleague" }},</p>
<p>Thank you again for your evidence to the call “{{ call_title }}” ({{ reference }}: “{{ title }}”).</p>
<p>The review panel would like to invite you to present it at the conference on Practitioner Responses to Child
Trafficking: Emerging Good Practice ({{ conference }}). We are offering you a place to present {{ presentation_format }}.</p>
<p>Please tell us whether you can accept by the end of {{ reply_by }} (UK time), using <a href="{{ reply_link }}">your personal link</a>.</p>
<p>If the format does not suit you, or you would like to talk anything through first (including how we can support
you to take part), please reply to this email. We will fit around your availability and circumstances wherever we can.</p>
"""
    + _HTML_SIGN_OFF,
)

TEMPLATES: dict[str, TemplateSpec] = {
    spec.purpose: spec for spec in (INVITATION, RESET, ASSIGNMENTS, REMINDER, OVERDUE, ACKNOWLEDGEMENT, PRESENTER)
}


def spec_for(purpose: str) -> TemplateSpec:
    """The spec of a purpose; KeyError naming the known purposes for any other."""
    try:
        return TEMPLATES[purpose]
    except KeyError:
        raise KeyError(f"no message template {purpose!r} (known: {', '.join(TEMPLATES)})") from None
