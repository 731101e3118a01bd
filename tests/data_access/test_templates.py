"""Stored message templates on both databases: admin-only saves, validated and refused
whole, stale-protected, audited, reset to the default, and previews with real data."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from data_access import audit
from data_access import templates as templates_da
from data_access.assignments import declare_conflict
from data_access.errors import AccessDenied
from data_access.templates import StaleTemplate, TemplateError, TemplateRefused
from data_access.users import set_active
from messages.templates import spec_for
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.dbdump import table_contents

ACK = "contributor.acknowledgement"
DIGEST = "reviewer.assignments"
NEW_SUBJECT = "Thank you: {{ reference }} received"
NEW_TEXT = "Dear {{ recipient_name or 'colleague' }},\n\nWe have {{ title }}.\n"


@pytest.fixture
def admin(db):
    with db.write() as s:
        return make_user(s, role="admin")


def test_a_purpose_uses_its_default_until_the_admin_saves_one(db, admin):
    spec = spec_for(ACK)
    with db.read() as s:
        before = templates_da.get_template(s, ACK)
    assert (before.subject, before.text, before.html, before.version, before.is_default) == (
        spec.subject,
        spec.text,
        spec.html,
        0,
        True,
    )
    with db.write() as s:
        saved = templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, "<p>{{ title }}</p>", admin, 0)
    with db.read() as s:
        stored = templates_da.get_template(s, ACK)
        listed = {t.purpose: t for t in templates_da.list_templates(s)}
    assert stored == saved
    assert (stored.subject, stored.text, stored.html, stored.version, stored.is_default) == (
        NEW_SUBJECT,
        NEW_TEXT,
        "<p>{{ title }}</p>",
        1,
        False,
    )
    assert stored.updated_by == admin.username
    assert listed[ACK] == stored and listed[DIGEST].is_default


def test_a_template_with_problems_is_refused_whole_and_nothing_is_saved(db, admin):
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)
    before = table_contents(db)
    with pytest.raises(TemplateRefused) as info, db.write() as s:
        templates_da.save_template(
            s, ACK, "Received\nBcc: all@example.org", "{{ contact_email }}", "<p>{{ ''.__class__ }}</p>", admin, 1
        )
    assert [(p.part, p.line) for p in info.value.problems] == [("subject", 2), ("text", 1), ("html", 1)]
    assert "“contact_email” is not a variable" in str(info.value)
    assert table_contents(db) == before


def test_only_an_active_admin_may_save_or_reset(db, admin):
    with db.write() as s:
        office = make_user(s, role="office")
        reviewer = make_user(s, role="reviewer")
    for viewer in (office, reviewer, replace(admin, role="admin", user_id=reviewer.user_id)):
        with pytest.raises(AccessDenied, match="only an active admin may edit message templates"), db.write() as s:
            templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, viewer, 0)
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)
        other = make_user(s, role="admin")
        set_active(s, user_id=other.user_id, active=False, actor="test")
    with pytest.raises(AccessDenied), db.write() as s:
        templates_da.reset_template(s, ACK, other, 1)
    with db.read() as s:
        assert templates_da.get_template(s, ACK).version == 1


def test_a_save_over_someone_elses_edit_is_refused_as_stale(db, admin):
    with db.write() as s:
        second = make_user(s, role="admin")
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)
    with pytest.raises(StaleTemplate) as info, db.write() as s:
        templates_da.save_template(s, ACK, "Mine: {{ reference }}", NEW_TEXT, None, second, 0)
    assert info.value.current.version == 1
    assert admin.username in str(info.value)
    with db.write() as s:
        templates_da.save_template(s, ACK, "Second: {{ reference }}", NEW_TEXT, None, second, 1)
    with pytest.raises(StaleTemplate), db.write() as s:
        templates_da.save_template(s, ACK, "First again: {{ reference }}", NEW_TEXT, None, admin, 1)
    with db.read() as s:
        stored = templates_da.get_template(s, ACK)
    assert (stored.subject, stored.version, stored.updated_by) == ("Second: {{ reference }}", 2, second.username)


def test_saves_and_resets_are_audited_with_the_old_and_new_wording(db, admin):
    spec = spec_for(ACK)
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)
        templates_da.reset_template(s, ACK, admin, 1)
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(entity="message_template")).sort_values("id")
        after = templates_da.get_template(s, ACK)
    assert list(entries["action"]) == ["message_template.save", "message_template.reset"]
    assert set(entries["entity_id"]) == {ACK} and set(entries["actor"]) == {admin.username}

    def wording(value):
        return json.loads(value) if isinstance(value, str) else value

    saved, reset = entries.iloc[0], entries.iloc[1]
    assert wording(saved["old"])["subject"] == spec.subject and wording(saved["old"])["version"] == 0
    assert wording(saved["new"]) == {"subject": NEW_SUBJECT, "text": NEW_TEXT, "html": None, "version": 1}
    assert wording(reset["new"])["subject"] == spec.subject
    assert after.is_default and after.subject == spec.subject


def test_a_reset_of_a_template_that_moved_is_stale(db, admin):
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)
        templates_da.save_template(s, ACK, "Again {{ reference }}", NEW_TEXT, None, admin, 1)
    with pytest.raises(StaleTemplate), db.write() as s:
        templates_da.reset_template(s, ACK, admin, 1)
    with db.read() as s:
        assert templates_da.get_template(s, ACK).version == 2


def test_the_stored_template_is_what_is_rendered_and_a_render_error_gives_the_reason(db, admin):
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, "{{ recipient_name - 1 }}", None, admin, 0)
    with pytest.raises(TemplateError, match="Plain-text body: it cannot be rendered"), db.read() as s:
        templates_da.render_template(s, ACK, spec_for(ACK).examples())
    with db.write() as s:
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 1)
    with db.read() as s:
        out = templates_da.render_template(s, ACK, spec_for(ACK).examples())
    assert out.subject == "Thank you: CFE-0042 received"


def test_a_preview_without_data_uses_the_examples_and_the_calls_own_words(db, admin, call_config):
    spec = spec_for(DIGEST)
    with db.read() as s:
        shown = templates_da.preview(s, DIGEST, spec.subject, spec.text, spec.html, viewer=admin, config=call_config)
    assert shown.about == "examples"
    assert "- CFE-0042: Safe spaces: a youth-work toolkit" in shown.rendered.text
    assert call_config.title in shown.rendered.text
    assert "Friday 24 September 2021" in shown.rendered.text  # config/call.toml's review_deadline


def test_a_preview_of_the_digest_shows_a_real_reviewers_assignments_and_no_identity(db, admin, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer", name="Rowan Reviewer")
        open_id = make_submission(
            s, call_config, title="Open <evidence>", organisation="Visible Org", contact_name="Vera Visible"
        )
        anon_id = make_submission(
            s,
            call_config,
            title="Anonymous evidence",
            anonymous=True,
            organisation="Survivor Voices Hidden",
            contact_name="Hidden Person",
            contact_email="hidden@example.org",
        )
        conflicted_id = make_submission(s, call_config, title="Conflicted evidence", contact_name="Colm Conflict")
        for sid in (open_id, anon_id, conflicted_id):
            assign(s, sid, reviewer)
        submit_review(s, call_config, open_id, reviewer)
        declare_conflict(
            s, submission_id=conflicted_id, reviewer_id=reviewer.user_id, actor=reviewer.username, source="reviewer"
        )
    spec = spec_for(DIGEST)
    with db.read() as s:
        shown = templates_da.preview(
            s,
            DIGEST,
            spec.subject,
            spec.text,
            spec.html,
            viewer=admin,
            config=call_config,
            base_url="https://evidence.example.org",
        )
        reminder = templates_da.preview(
            s,
            "reviewer.reminder",
            "{{ unfinished_count }} of {{ assigned_count }}",
            "x",
            None,
            viewer=admin,
            config=call_config,
        )
    out = shown.rendered
    assert shown.about == "Rowan Reviewer (reviewer)"
    assert out.subject == "2 new submissions for you to review"
    assert "Anonymous evidence" in out.text and "Open <evidence>" in out.text
    assert out.html is not None and "Open &lt;evidence&gt;" in out.html
    assert "https://evidence.example.org/" in out.text
    assert "Conflicted evidence" not in out.text  # a conflicted submission shows its reference alone, here nothing
    for secret in ("Survivor Voices Hidden", "Hidden Person", "hidden@example.org", "Visible Org", "Vera Visible"):
        assert secret not in out.subject + out.text + out.html
    assert reminder.rendered.subject == "1 of 2"
    assert {"assignments", "recipient_name", "app_link"} <= set(shown.real)


def test_a_preview_of_an_acknowledgement_uses_the_first_submission(db, admin, call_config):
    with db.write() as s:
        make_submission(s, call_config, title="First {{ 7*7 }}", contact_name="Ada Contact")
        make_submission(s, call_config, title="Second")
    with db.read() as s:
        shown = templates_da.preview(
            s, ACK, "{{ reference }}: {{ title }}", "Dear {{ recipient_name }}", None, viewer=admin, config=call_config
        )
    assert shown.rendered.subject.endswith(": First {{ 7*7 }}")
    assert shown.rendered.text == "Dear Ada Contact"


def test_a_preview_is_for_the_admin_and_an_invalid_one_is_refused_with_the_reason(db, admin, call_config):
    with db.write() as s:
        office = make_user(s, role="office")
    with pytest.raises(AccessDenied), db.read() as s:
        templates_da.preview(s, ACK, "x", "y", None, viewer=office, config=call_config)
    with pytest.raises(TemplateError, match="“score” is not a variable"), db.read() as s:
        templates_da.preview(s, ACK, "x", "{{ score }}", None, viewer=admin, config=call_config)


def test_an_unknown_purpose_is_refused(db, admin):
    with pytest.raises(KeyError, match=r"no message template 'reviewer\.bribe'"), db.write() as s:
        templates_da.save_template(s, "reviewer.bribe", "x", "y", None, admin, 0)


def test_versions_only_go_up_so_a_save_from_before_a_reset_is_still_stale(db, admin):
    with db.write() as s:
        second = make_user(s, role="admin")
        templates_da.save_template(s, ACK, NEW_SUBJECT, NEW_TEXT, None, admin, 0)  # version 1, which both open
    with db.write() as s:
        reset = templates_da.reset_template(s, ACK, second, 1)
    assert reset.is_default and reset.version == 2
    with db.read() as s:
        assert templates_da.get_template(s, ACK).version == 2
        assert {t.purpose: t.version for t in templates_da.list_templates(s)}[ACK] == 2
    with pytest.raises(StaleTemplate), db.write() as s:
        templates_da.save_template(s, ACK, "Opened before the reset {{ reference }}", NEW_TEXT, None, admin, 1)
    with db.write() as s:
        saved = templates_da.save_template(s, ACK, "After the reset {{ reference }}", NEW_TEXT, None, second, 2)
    assert saved.version == 3 and not saved.is_default
    # The admin who opened version 1 before the reset and the new save: refused, nothing overwritten.
    with pytest.raises(StaleTemplate) as info, db.write() as s:
        templates_da.save_template(s, ACK, "Mine, from version 1 {{ reference }}", NEW_TEXT, None, admin, 1)
    assert info.value.current.version == 3
    with db.read() as s:
        stored = templates_da.get_template(s, ACK)
        other = templates_da.get_template(s, DIGEST)
    assert (stored.subject, stored.version, stored.updated_by) == (
        "After the reset {{ reference }}",
        3,
        second.username,
    )
    assert (other.version, other.is_default) == (0, True)  # another purpose keeps its own count


def test_the_presenter_invitations_preview_link_opens_the_reply_pages_parameter(db, admin, call_config):
    """The preview's (and the spec's example) reply link is `reply?reply=...`: the parameter the
    reply page reads (`invitations.REPLY_PARAM`), not `token` (a password link's)."""
    from urllib.parse import parse_qs, urlsplit

    from data_access import invitations as inv

    spec = spec_for(inv.PURPOSE)
    with db.read() as s:
        shown = templates_da.preview(
            s,
            inv.PURPOSE,
            spec.subject,
            spec.text,
            spec.html,
            viewer=admin,
            config=call_config,
            base_url="https://evidence.example.org",
        )
    assert "reply_link" in shown.real
    [line] = [line.strip() for line in shown.rendered.text.splitlines() if "evidence.example.org/" in line]
    example = next(v.example for v in spec.variables if v.name == "reply_link")
    for link in (line, example):
        parts = urlsplit(link)
        assert parts.path == f"/{inv.REPLY_PAGE}"
        assert list(parse_qs(parts.query)) == [inv.REPLY_PARAM]
    assert f'href="{line}"' in (shown.rendered.html or "").replace("&amp;", "&")
