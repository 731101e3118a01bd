"""Two (or more) writers started together from a barrier, for the lock-order tests."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from data_access.db import Database


def _side(db: Database, write, start: threading.Barrier, delay: float, fine: tuple, outcome: list) -> None:
    start.wait()
    time.sleep(delay)
    try:
        with db.write() as s:
            write(s)
        outcome.append("done")
    except fine:
        outcome.append("refused")
    except Exception as exc:  # noqa: BLE001 - reported to the test (a deadlock, say)
        outcome.append(exc)


def race(
    db: Database,
    sides: Mapping[str, Callable[[Session], object]],
    *,
    fine: tuple[type[BaseException], ...],
    rng: random.Random,
    jitter: float = 0.004,
) -> dict[str, str | BaseException]:
    """Run each side's write in its own thread and write unit, all released at once (each after a
    random delay up to `jitter` seconds): side -> "done", "refused" (one of `fine` raised) or the
    exception anything else raised."""
    start = threading.Barrier(len(sides))
    outcomes: dict[str, list] = {who: [] for who in sides}
    threads = [
        threading.Thread(target=_side, args=(db, write, start, rng.random() * jitter, fine, outcomes[who]))
        for who, write in sides.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return {who: outcome[0] if outcome else TimeoutError(f"{who} did not finish") for who, outcome in outcomes.items()}
