"""The bench's empty page (`bench/empty_page.py`), registered in `ui.navigation`
for the bench's own process only: the baseline every page pays (the sign-in
check and the navigation). Used by bench/pages_bench.py (in AppTest) and
bench/serve_bench.py (in the server that bench/submit_next_bench.py drives)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMPTY_PAGE = ROOT / "bench" / "empty_page.py"
EMPTY_KEY = "bench_empty"
EMPTY_TITLE = "Empty"
RUN_AGAIN = "Run again"


def register_empty_page():
    """Add the empty page to this process's `ui.navigation.PAGES`, open to every
    role, at `/bench_empty`; returns its PageSpec."""
    from ui import navigation

    class BenchPage(navigation.PageSpec):
        @property
        def url_path(self) -> str:
            return self.key

    if EMPTY_KEY in navigation.PAGES_BY_KEY:
        return navigation.PAGES_BY_KEY[EMPTY_KEY]
    empty = BenchPage(
        EMPTY_KEY,
        str(EMPTY_PAGE.relative_to(ROOT)),
        EMPTY_TITLE,
        ":material/circle:",
        navigation.ALL_ROLES,
        "Bench",
    )
    navigation.PAGES = (*navigation.PAGES, empty)
    navigation.PAGES_BY_KEY[empty.key] = empty
    navigation.PAGES_BY_URL[empty.url_path] = empty
    return empty
