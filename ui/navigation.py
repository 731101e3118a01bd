"""Every page of the app, with the roles that may open it.

This table is the single source of truth: `app.py` builds each role's
navigation from it (the pages a role may not open are registered too, hidden
from the menu, so that their URL reaches the guard), and every page calls
`ui.guard.require_page(key)`, which checks the role against it again on the
server, and logs and refuses a wrong role.
"""

from __future__ import annotations

from dataclasses import dataclass

from access.roles import STAFF, Role
from importing.submission_rules import REFERENCE_RE

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    title: str
    icon: str
    roles: frozenset[str]
    section: str  # the group the page belongs to (PAGES keeps each group together); the menu shows no headings (app.py)

    @property
    def url_path(self) -> str:
        return self.path.removeprefix("pages/").removesuffix(".py")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "pages/overview.py", "Overview", ":material/home:", ALL_ROLES, "Call"),
    PageSpec("submissions", "pages/submissions.py", "Submissions", ":material/description:", ALL_ROLES, "Call"),
    PageSpec("rankings", "pages/rankings.py", "Rankings", ":material/leaderboard:", STAFF, "Call"),
    PageSpec("coverage", "pages/coverage.py", "Coverage", ":material/bubble_chart:", STAFF, "Call"),
    PageSpec("selection", "pages/selection.py", "Selection", ":material/how_to_reg:", STAFF, "Call"),
    PageSpec("exports", "pages/exports.py", "Exports", ":material/download:", STAFF, "Call"),
    PageSpec("programme", "pages/programme.py", "Programme", ":material/event:", STAFF, "Call"),
    PageSpec("line_up_status", "pages/line_up_status.py", "Line-up status", ":material/fact_check:", STAFF, "Call"),
    PageSpec(
        "my_reviews",
        "pages/my_reviews.py",
        "My reviews",
        ":material/rate_review:",
        frozenset({Role.REVIEWER}),
        "Review",
    ),
    PageSpec(
        "my_expertise",
        "pages/my_expertise.py",
        "Expertise and bids",
        ":material/psychology:",
        frozenset({Role.REVIEWER}),
        "Review",
    ),
    PageSpec(
        "assignments",
        "pages/assignments.py",
        "Assignments",
        ":material/assignment_ind:",
        frozenset({Role.ADMIN}),
        "Review",
    ),
    PageSpec(
        "import",
        "pages/import_submissions.py",
        "Import",
        ":material/upload_file:",
        frozenset({Role.ADMIN}),
        "Administration",
    ),
    PageSpec("users", "pages/users.py", "Users", ":material/group:", frozenset({Role.ADMIN}), "Administration"),
    PageSpec("messages", "pages/messages.py", "Messages", ":material/mail:", frozenset({Role.ADMIN}), "Administration"),
    PageSpec(
        "audit_log", "pages/audit_log.py", "Audit log", ":material/history:", frozenset({Role.ADMIN}), "Administration"
    ),
)
PAGES_BY_KEY = {p.key: p for p in PAGES}
PAGES_BY_URL = {p.url_path: p for p in PAGES}
DEFAULT_PAGE = "overview"

# The query parameters a link into the app may carry through sign-in: the
# open submission (My reviews, Submissions; `ref` is the Submissions page's
# older name for it, still read there), as a plain reference (the pattern an
# import accepts: `importing.submission_rules.REFERENCE_RE`).
LINK_PARAMS = ("submission", "ref")


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def pages_refused(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role not in p.roles]


def allowed(role: str, key: str) -> bool:
    spec = PAGES_BY_KEY.get(key)
    return spec is not None and role in spec.roles


def link_query(params: dict[str, str]) -> dict[str, str]:
    """The part of a link's query that survives sign-in: `submission` (or the
    older `ref`), when it is a plain reference; every other key, and any other
    value, is dropped."""
    return {
        key: params[key]
        for key in LINK_PARAMS
        if isinstance(params.get(key), str) and REFERENCE_RE.fullmatch(params[key]) and ".." not in params[key]
    }
