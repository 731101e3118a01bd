"""Users (admin): add people, change roles, deactivate, reset passwords.

Nobody is given a password chosen by someone else: invitations and resets are
one-time links, sent to the person's address or shown to the admin once to
hand over (`ui.user_admin`, `data_access.account_links`).
"""

from ui import context
from ui.guard import require_page
from ui.user_admin import users_page

viewer = require_page("users")
users_page(context.database(), context.settings(), context.call_config(), viewer)
