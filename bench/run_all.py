#!/usr/bin/env python
"""Run every benchmark in bench/ (`make bench`): each `*_bench.py`, one after the other.

Each prints its own figures (and PASS/FAIL against its targets); this exits
non-zero if one of them fails to run. Benchmarks are never timed tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(BENCH.glob("*_bench.py")):
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, check=False)
        print(f"=== {script.name}: {time.perf_counter() - started:.0f} s, exit {result.returncode} ===", flush=True)
        if result.returncode:
            failed.append(script.name)
    if failed:
        print(f"\nFailed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
