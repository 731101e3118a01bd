"""How `-n` shares the tests between workers (`tests/conftest.py` chooses it
for `--dist loadgroup`, which `-n` without a `--dist` of its own gets).

Each browser module is one unit, run whole by one worker, so that a server
of its own (a module fixture) starts once, not once on each worker; every
other test is a unit of its own. The units are handed out the largest first,
so the browser modules start before the single tests, which then keep both
workers busy to the end.

pytest-xdist's own `loadgroup` groups by a suffix (`test@group`) that each
worker appends to the node id of a test marked `xdist_group`; under pytest
9.2 that assignment no longer changes the node id
(https://github.com/pytest-dev/pytest-xdist/issues/1386), so every test
became a unit of its own and a module's tests ran on both workers at once,
each starting the module's server. This scheduler decides on the main
process from the node id's path, which needs nothing from the workers."""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

BROWSER_FOLDER = "tests/browser/"


class BrowserModuleScheduling(LoadGroupScheduling):
    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path.startswith(BROWSER_FOLDER):
            return path
        return super()._split_scope(nodeid)
