"""`python manage.py purge-expired`: everything the app keeps only for a while, in one unit of work.

* contact details, stored import files, contributors' messages and evidence
  documents past the call's retention period (`data_access.privacy.purge_expired`);
* sign-in sessions that expired more than a day ago (`auth.purge_expired_sessions`);
* throttle rows that no longer count: sign-ins after `login_lock_minutes`, password
  reset requests after `tokens.RESET_WINDOW_MINUTES` (`auth.purge_old_throttle`);
* the rows of one-time links that were used or have expired (`tokens.purge_old_links`),
  and of presenters' reply links likewise (`invitations.purge_old_links`).

With `dry_run` it counts what it would remove and changes nothing.
"""

from __future__ import annotations

from config import Settings
from config.call_config import CallConfig
from data_access import auth, invitations, privacy, tokens
from data_access.db import Database

# How long each family of throttle rows counts, by the prefix of its key (sign-ins: the settings' lock).
THROTTLE_WINDOWS = {
    tokens.RESET_KEY: tokens.RESET_WINDOW_MINUTES,
    tokens.RESET_CLIENT_KEY: tokens.RESET_WINDOW_MINUTES,
    tokens.RESET_ACCOUNT_KEY: tokens.RESET_WINDOW_MINUTES,
}


def purge_expired(db: Database, *, config: CallConfig, settings: Settings, actor: str, dry_run: bool) -> list[str]:
    """Remove (or with `dry_run` count) everything past its time; the lines that say what."""
    with db.write() as session:
        report = privacy.purge_expired(session, config=config, actor=actor, dry_run=dry_run)
        sessions = auth.purge_expired_sessions(session, dry_run=dry_run)
        throttle = auth.purge_old_throttle(
            session, lock_minutes=settings.login_lock_minutes, windows=THROTTLE_WINDOWS, dry_run=dry_run
        )
        links = tokens.purge_old_links(session, actor=actor, dry_run=dry_run)
        replies = invitations.purge_old_links(session, actor=actor, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    return [
        f"retention period {config.retention_months} months (cut-off {report.cutoff:%Y-%m-%d}): {verb} "
        f"the contact details of {report.submissions} submissions, {report.import_files_emptied} stored "
        f"import files, {report.messages} messages in the outbox and the {report.documents} evidence documents "
        f"of submissions received before the cut-off"
        + ("" if dry_run else f"; {report.audit_entries_redacted} audit entries stripped"),
        f"sign-ins: {verb} {sessions} sessions that expired more than a day ago and {throttle} sign-in "
        f"throttle rows that no longer count",
        f"one-time links: {verb} {links.used + links.expired} links that can no longer be used "
        f"({links.used} used, {links.expired} expired unused)",
        f"presenters' reply links: {verb} {replies} links that can no longer be used (used or expired)",
    ]
